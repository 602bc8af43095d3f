package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir/maildirtest"
)

// These tests race a session's command with another program (mutt,
// another mailgate process) changing the same maildir.

// TestRaceStoreWithOthersRenameHidesNoRemoval: on a watched maildir
// another program changes message 1's flags (renames its file), and the
// session's STORE +FLAGS (\Flagged) comes before the re-read that the
// notification schedules (changeDelay). The STORE's rename fails, and the
// file found again is renamed, or left when it carries \Flagged already.
// Another program's removal of the file a moment later must still reach
// the session as EXPUNGE: the failed rename's records of notifications
// to come, left over, took it for the process's own change.
func TestRaceStoreWithOthersRenameHidesNoRemoval(t *testing.T) {
	for _, letter := range []string{"S", "F"} {
		t.Run("other program sets "+letter, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			v := selectSettled(t, a)
			woken := notified(t, v) // IDLE: watched
			storage.Quiesce(t, v)
			f := findFile(t, dir, 1)
			if err := os.Rename(f, f+letter); err != nil {
				t.Fatal(err)
			}
			// The watcher reads the rename's notifications, and the
			// re-read they schedule is still to come.
			time.Sleep(5 * time.Millisecond)
			if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			storage.Quiesce(t, v) // events handled, re-read done
			expectForeignRemoval(t, v, woken, dir)
		})
	}
}

// TestRaceStoreKeepsOthersFlags: another program marks message 2 \Seen
// while the core still holds its old flags, and the session's STORE 2
// +FLAGS (\Flagged) finds the file renamed. The file must carry both
// flags, not those computed from the old ones, and the mailbox (the
// STORE's FETCH answer) must show both. Watched, the window is from the
// notification to the re-read (changeDelay); unwatched, every command
// between the process's own change and the end of the check that
// follows it, during which the folder is trusted (watchDue).
func TestRaceStoreKeepsOthersFlags(t *testing.T) {
	for _, watched := range []bool{false, true} {
		t.Run(fmt.Sprintf("watched=%v", watched), func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			v := selectSettled(t, a)
			if watched {
				notified(t, v)
				storage.Quiesce(t, v)
			}
			// STORE 1 +FLAGS (\Flagged): begins with Check; another
			// program marks message 2 \Seen while it runs.
			v.Check()
			f := findFile(t, dir, 2)
			if err := os.Rename(f, f+"S"); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			pollOnce(v)
			// The next, pipelined command: STORE 2 +FLAGS (\Flagged).
			v.Check()
			uid := v.UIDs()[1]
			changed, err := v.Store([]uint32{uid}, storage.AddFlags, []string{storage.FlagFlagged})
			if err != nil {
				t.Fatal(err)
			}
			if name := findFile(t, dir, 2); !strings.HasSuffix(name, ":2,FS") {
				t.Fatalf("after STORE 2 +FLAGS (\\Flagged) the file is %s: another program's \\Seen was dropped", filepath.Base(name))
			}
			msgs := make([]storage.Message, 1)
			v.Lookup([]uint32{uid}, msgs)
			if want := []string{storage.FlagFlagged, storage.FlagSeen}; !slices.Equal(changed, []uint32{uid}) || !slices.Equal(msgs[0].Flags, want) {
				t.Fatalf("STORE changed %v, message 2's flags %q; want %d changed with %q", changed, msgs[0].Flags, uid, want)
			}
		})
	}
}

// TestStoreWhileWatchLiftedHidesNoRemoval: on a watched maildir a large
// STORE lifts the watch (quiet.go), and afterQuiet, in the background,
// watches again. A single STORE pipelined right after, before the watch
// is back, must not record its rename as a notification to come: none
// comes to use the record up, and it took another program's removal of
// that file within 10 s for the process's own, and the session never
// heard EXPUNGE.
func TestStoreWhileWatchLiftedHidesNoRemoval(t *testing.T) {
	for _, held := range []bool{false, true} {
		name := "pipelined at once"
		if held {
			name = "watch back only after the second STORE"
		}
		t.Run(name, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := filepath.Join(root, "alice", "INBOX")
			maildirtest.WriteQuiet(t, dir, 600, func(int) string { return "Subject: m\n\nbody\n" })
			v := selectSettled(t, a)
			woken := notified(t, v)
			storage.Quiesce(t, v)
			release := func() {}
			if held {
				hold := make(chan struct{})
				var once sync.Once
				release = func() { once.Do(func() { close(hold) }) }
				t.Cleanup(release)
				t.Cleanup(storage.SetAfterQuietHook(func() { <-hold }))
			}
			uids := v.UIDs()
			if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Store(uids[:1], storage.RemoveFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			release()
			storage.Quiesce(t, v) // watched again, checked
			expectForeignRemoval(t, v, woken, dir)
		})
	}
}
