package storage_test

import (
	"os"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
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
			time.Sleep(100 * time.Millisecond)
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
			time.Sleep(300 * time.Millisecond) // events handled, re-read done
			expectForeignRemoval(t, v, woken, dir)
		})
	}
}
