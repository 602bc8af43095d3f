//go:build unix

package maildir

import (
	"os"
	"path/filepath"
	"slices"
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
		{"SetFlags, the other program set another flag", "cur/1.M1P1.h,u=1:2,S",
			func(t *testing.T, f, _ *Folder, other func()) error {
				other()
				return f.SetFlags(1, []string{storage.FlagFlagged})
			},
			map[string]int{one: 0, "cur/1.M1P1.h,u=1:2,F": 0, "cur/1.M1P1.h,u=1:2,S": 1, "cur/1.M1P1.h,u=1:2,FS": 1}},
		{"SetFlagsBatch", "cur/1.M1P1.h,u=1:2,F",
			func(t *testing.T, f, _ *Folder, other func()) error {
				other()
				return f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: {storage.FlagFlagged}, 2: {storage.FlagFlagged}}))
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

// TestSetFlagsKeepsOthersFlags: a flag change of a file that another
// program renamed since the core last read the folder applies the change
// to the letters the file has now, one by one, in a batch, and after a
// read that found the file first, and MergedFlags reports the flags left;
// a change that found its file where it was reports none.
func TestSetFlagsKeepsOthersFlags(t *testing.T) {
	tests := []struct {
		name       string
		was, other string   // message 1's letters, and another program's
		flags      []string // what the core asks for
		want       string   // the letters left
	}{
		{"adds to another's", "", "S", []string{storage.FlagFlagged}, "FS"},
		{"takes from another's", "FS", "FRS", []string{storage.FlagSeen}, "RS"},
		{"another's removal stays", "FS", "F", []string{storage.FlagFlagged, storage.FlagSeen, storage.FlagAnswered}, "FR"},
		{"same as another's", "", "F", []string{storage.FlagFlagged}, "F"},
		{"unknown letters stay", "S", "SZ", []string{storage.FlagSeen, storage.FlagDeleted}, "STZ"},
		{"keyword", "S", "RS", []string{storage.FlagSeen, "Junk"}, "RSa"},
	}
	for _, tt := range tests {
		for _, way := range []string{"one", "batch", "read first"} {
			batch := way == "batch"
			t.Run(tt.name+"/"+way, func(t *testing.T) {
				path := mkMaildir(t, map[string]string{
					propsFile:                      "uidnext: 3\nuid-validity: 9\nversion: 3.15\n",
					keywordsFile:                   "0 Junk\n",
					"cur/1.M1P1.h,u=1:2," + tt.was: "Subject: 1\n\nbody\n",
					"cur/2.M1P1.h,u=2:2,":          "Subject: 2\n\nbody\n",
				})
				f := mustOpen(t, testDriver(), path)
				mustScan(t, f)
				if err := os.Rename(filepath.Join(path, "cur/1.M1P1.h,u=1:2,"+tt.was), filepath.Join(path, "cur/1.M1P1.h,u=1:2,"+tt.other)); err != nil {
					t.Fatal(err)
				}
				if way == "read first" {
					readAll(t, f, 1) // finds the file renamed
				}
				var err error
				if batch {
					err = f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: tt.flags, 2: {storage.FlagSeen}}))
				} else {
					err = f.SetFlags(1, tt.flags)
				}
				if err != nil {
					t.Fatal(err)
				}
				wantNames := []string{"1.M1P1.h,u=1:2," + tt.want, "2.M1P1.h,u=2:2,"}
				if batch {
					wantNames[1] += "S"
				}
				if got := listDir(t, filepath.Join(path, "cur")); !slices.Equal(got, wantNames) {
					t.Fatalf("cur/ = %q, want %q", got, wantNames)
				}
				merged := f.MergedFlags()
				wantFlags, _ := decodeLetters(tt.want, &f.kw)
				if len(merged) != 1 || !slices.Equal(merged[1], wantFlags) {
					t.Fatalf("MergedFlags = %v, want message 1's %q", merged, wantFlags)
				}
				if m, _ := message(mustScan(t, f), 1); !slices.Equal(m.Flags, wantFlags) {
					t.Fatalf("a scan finds %q, want %q", m.Flags, wantFlags)
				}
				if err := f.SetFlags(2, nil); err != nil {
					t.Fatal(err)
				}
				if merged := f.MergedFlags(); merged != nil {
					t.Fatalf("MergedFlags after a change that found its file = %v", merged)
				}
			})
		}
	}
}
