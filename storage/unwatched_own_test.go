package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestUnwatchedOwnRenameKeepsForeignRemoval: a STORE on an unwatched
// maildir renames a file while nothing watches, so it must not record
// the rename as a notification to come (maildir's expectChange): the
// watch set right after (ownChangedLocked), or when the session IDLEs,
// would take another program's removal of that file, within 10 s, for
// the process's own change, and the session would never hear EXPUNGE.
func TestUnwatchedOwnRenameKeepsForeignRemoval(t *testing.T) {
	for _, touch := range []bool{false, true} {
		name := map[bool]string{false: "untouched message", true: "message this process just flagged"}[touch]
		t.Run(name, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			v := selectSettled(t, a)
			if storage.Watched(v) {
				t.Fatal("a settled, quiet mailbox is watched")
			}
			uid := v.UIDs()[0]
			if !touch {
				uid = v.UIDs()[1] // STORE on message 2, remove message 1
			}
			if _, err := v.Store([]uint32{uid}, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
				t.Fatal(err)
			}
			// The session goes into IDLE; the watch and the check after
			// the own change are done a moment later.
			woken := notified(t, v)
			storage.Quiesce(t, v)
			expectForeignRemoval(t, v, woken, dir)
		})
	}
}

// notified has v's session wait for news, as IDLE does (SetNotify), and
// returns a channel that receives when news is queued for v.
func notified(t *testing.T, v *storage.View) <-chan struct{} {
	woken := make(chan struct{}, 1)
	v.SetNotify(func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	})
	t.Cleanup(func() { v.SetNotify(nil) })
	return woken
}

// expectForeignRemoval has another program (mutt, another mailgate
// process) remove message 1 of the maildir dir, once v was told what
// came before, and fails unless v is woken and told EXPUNGE 1.
func expectForeignRemoval(t *testing.T, v *storage.View, woken <-chan struct{}, dir string) {
	t.Helper()
	pollOnce(v) // what came before: a STORE's own FLAGS, a re-read
	select {
	case <-woken:
	default:
	}
	if err := os.Remove(findFile(t, dir, 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
	case <-time.After(3 * time.Second):
		t.Fatalf("another program's removal of message 1 never woke the waiting view (told %q at a Poll)", pollOnce(v))
	}
	if got := pollOnce(v); got != "EXPUNGE 1" {
		t.Fatalf("told %q, want EXPUNGE 1", got)
	}
}

// findFile returns the one file of message i (1700000000.M<i>P1.host...)
// in dir's cur/.
func findFile(t *testing.T, dir string, i int) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "cur", fmt.Sprintf("1700000000.M%dP1.host*", i)))
	if len(files) != 1 {
		t.Fatalf("message %d's files: %q", i, files)
	}
	return files[0]
}

// TestUnwatchedOwnAppendKeepsForeignRemoval: as
// TestUnwatchedOwnRenameKeepsForeignRemoval, for an APPEND (or an
// in-process LMTP delivery) into the unwatched mailbox: the new file's
// name must not be recorded as a notification to come, or another
// program removing the message from new/ within 10 s is taken for the
// process's own change, and a session EXAMINEing INBOX never hears
// EXPUNGE, at any later command either (the mailbox is watched by then).
func TestUnwatchedOwnAppendKeepsForeignRemoval(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v, err := a.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	storage.Quiesce(t, v) // settled, unwatched
	if storage.Watched(v) {
		t.Fatal("a settled, quiet mailbox is watched")
	}
	if _, _, err := a.Append("INBOX", strings.NewReader("Subject: d\r\n\r\nx\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	if got := pollOnce(v); got != "EXISTS 4" {
		t.Fatalf("after the APPEND: %q", got)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	if len(files) != 1 {
		t.Fatalf("the appended file: %q", files)
	}
	if err := os.Remove(files[0]); err != nil { // another program
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := pollOnce(v); got != "EXPUNGE 4" {
		t.Fatalf("after another program removed the appended message, a Poll told %q, want EXPUNGE 4", got)
	}
}

// TestUnwatchedFirstReadKeepsForeignRemoval: the first read of a maildir
// renames its files to carry their UIDs while nothing watches it, so it
// must not record those renames as notifications to come: the watch set
// when the mailbox settles (its folder cannot vouch for files so young)
// would take another program's removal of one of them, seconds later,
// for the process's own rename.
func TestUnwatchedFirstReadKeepsForeignRemoval(t *testing.T) {
	_, a, root := newAccount(t)
	dir := filepath.Join(root, "alice", "INBOX")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("1700000000.M%dP1.host:2,", i) // no UID yet
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte("Subject: m\n\nbody\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v := selectSettled(t, a)
	woken := notified(t, v)
	storage.Quiesce(t, v) // the re-read after the watch
	expectForeignRemoval(t, v, woken, dir)
}
