package storage_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestExpungeKeepsOthersUndelete: message 1 is \Deleted; another program
// (mutt) undeletes it, renaming :2,ST to :2,S, just before the session's
// EXPUNGE removes the files (the hook stands for the window before the
// re-read the notification schedules, or, unwatched, before the next
// look at the folder). The removal fails, the folder finds the file under
// its new name, which no longer carries T: the message must stay, no view
// hears EXPUNGE for it, and its flags are re-read. Message 2, \Deleted
// and left alone, goes. A MOVE's removal of its sources is forced and
// takes the message whatever its flags.
func TestExpungeKeepsOthersUndelete(t *testing.T) {
	for _, watched := range []bool{false, true} {
		name := "unwatched"
		if watched {
			name = "watched"
		}
		t.Run(name, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			v := selectSettled(t, a)
			if watched {
				notified(t, v) // as IDLE: watched
				storage.Quiesce(t, v)
			}
			if _, err := v.Store(v.UIDs()[:2], storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
				t.Fatal(err)
			}
			storage.Quiesce(t, v)
			pollOnce(v)
			f := findFile(t, dir, 1)
			if !strings.HasSuffix(f, "T") {
				t.Fatalf("message 1's file %q has no T", f)
			}
			undeleted := strings.TrimSuffix(f, "T")
			t.Cleanup(storage.SetExpungeHook(func() {
				if err := os.Rename(f, undeleted); err != nil {
					t.Error(err)
				}
			}))
			if err := v.Expunge(nil, false); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(undeleted); err != nil {
				files, _ := filepath.Glob(filepath.Join(dir, "cur", "*"))
				t.Fatalf("another program undeleted message 1, and EXPUNGE removed it: %v (cur/ %q)", err, files)
			}
			got := pollOnce(v)
			deadline := time.Now().Add(3 * time.Second)
			for !strings.Contains(got, "FLAGS 1") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				got += ";" + pollOnce(v)
			}
			if !strings.Contains(got, "EXPUNGE 2") || strings.Contains(got, "EXPUNGE 1") {
				t.Errorf("told %q, want EXPUNGE 2 and no EXPUNGE 1", got)
			}
			if !strings.Contains(got, "FLAGS 1 ") || strings.Contains(got, "FLAGS 1 "+storage.FlagDeleted) {
				t.Errorf("told %q, want message 1's flags without \\Deleted", got)
			}
			if n := len(v.UIDs()); n != 2 {
				t.Errorf("%d messages left, want 2", n)
			}
		})
	}
}
