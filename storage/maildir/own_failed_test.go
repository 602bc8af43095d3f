//go:build unix

package maildir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// records returns how many changes of path are recorded as
// notifications to come (expectChange).
func records(path string) int {
	ownChanges.Lock()
	defer ownChanges.Unlock()
	return len(ownChanges.expect[filepath.Clean(path)])
}

// TestFailedChangeLeavesNoRecord: when another program renamed a file
// just before the Folder changes it, the Folder's rename or removal fails,
// relocate finds the file and the change is made again. Only the changes
// made stay recorded, one record per notification to come: a record of
// the change that failed, left over, took another program's later change
// to that name (its removal, say) for this process's own, and the
// sessions never heard of it.
func TestFailedChangeLeavesNoRecord(t *testing.T) {
	const (
		one = "cur/1.M1P1.h,u=1:2,"
		two = "cur/2.M1P1.h,u=2:2,"
	)
	tests := []struct {
		name  string
		other string // the name another program gives one first
		// change is the Folder's change of message 1 (and, in a
		// batch, 2), which calls other where the other program's
		// rename comes; dst is another maildir, for MOVE.
		change func(t *testing.T, f, dst *Folder, other func()) error
		// want is how many records each path has after it, by its
		// name in the maildir, or in dst after "dst:".
		want map[string]int
	}{
		{"SetFlags, the other program set the same flag", "cur/1.M1P1.h,u=1:2,F",
			func(t *testing.T, f, _ *Folder, other func()) error {
				other()
				return f.SetFlags(1, []string{storage.FlagFlagged})
			},
			map[string]int{one: 0, "cur/1.M1P1.h,u=1:2,F": 0}},
		{"SetFlagsBatch", "cur/1.M1P1.h,u=1:2,F",
			func(t *testing.T, f, _ *Folder, other func()) error {
				other()
				return f.SetFlagsBatch(map[uint32][]string{1: {storage.FlagFlagged}, 2: {storage.FlagFlagged}})
			},
			map[string]int{one: 0, "cur/1.M1P1.h,u=1:2,F": 0, two: 1, "cur/2.M1P1.h,u=2:2,F": 1}},
		{"Expunge", "cur/1.M1P1.h,u=1:2,S",
			func(t *testing.T, f, _ *Folder, other func()) error {
				other()
				return f.Expunge([]uint32{1})
			},
			map[string]int{one: 0, "cur/1.M1P1.h,u=1:2,S": 1}},
		{"MOVE", "cur/1.M1P1.h,u=1:2,S",
			func(t *testing.T, f, dst *Folder, other func()) error {
				s, err := dst.StageMove(f, 1, nil)
				if err != nil {
					return err
				}
				other() // after StageMove, which finds the file
				msgs, err := dst.CommitBatch([]storage.Staged{s})
				if err == nil && (len(msgs) != 1 || msgs[0].UID == 0) {
					t.Fatalf("MOVE committed %+v", msgs)
				}
				return err
			},
			map[string]int{one: 0, "cur/1.M1P1.h,u=1:2,S": 1, "dst:new": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := mkMaildir(t, map[string]string{
				propsFile: "uidnext: 3\nuid-validity: 9\nversion: 3.15\n",
				one:       "Subject: 1\n\nbody\n",
				two:       "Subject: 2\n\nbody\n",
			})
			dstPath, d := newMaildir(t)
			f, dst := mustOpen(t, d, path), mustOpen(t, d, dstPath)
			mustScan(t, f)
			mustScan(t, dst)
			other := func() {
				if err := os.Rename(filepath.Join(path, one), filepath.Join(path, tt.other)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.change(t, f, dst, other); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				p := filepath.Join(path, name)
				if name == "dst:new" {
					names := listDir(t, filepath.Join(dstPath, "new"))
					if len(names) != 1 {
						t.Fatalf("destination's new/ holds %q", names)
					}
					p = filepath.Join(dstPath, "new", names[0])
				}
				if got := records(p); got != want {
					t.Errorf("%s: %d records, want %d", name, got, want)
				}
			}
		})
	}
}
