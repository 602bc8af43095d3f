package maildir

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSetFlagsBatchQuietExpectsNothing: a quiet batch (nobody watches)
// leaves no expected notification behind, which would hide another
// program's change to the same name, while SetFlagsBatch expects one per
// name it renames from and to.
func TestSetFlagsBatchQuietExpectsNothing(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for range 3 {
		if _, err := f.Append(strings.NewReader("Subject: x\r\n\r\nbody\r\n"), []string{storage.FlagSeen}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	s := mustScan(t, f)
	expected := func() int {
		ownChanges.Lock()
		defer ownChanges.Unlock()
		n := 0
		for p := range ownChanges.expect {
			if strings.HasPrefix(p, path) {
				n++
			}
		}
		return n
	}
	ownChanges.Lock()
	clear(ownChanges.expect)
	ownChanges.Unlock()
	set := func(flags []string, quiet bool) {
		changes := map[uint32][]string{}
		for _, m := range s.Messages {
			changes[m.UID] = flags
		}
		var err error
		if quiet {
			err = f.SetFlagsBatchQuiet(storage.FlagChangesOf(changes))
		} else {
			err = f.SetFlagsBatch(storage.FlagChangesOf(changes))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	set([]string{storage.FlagFlagged}, true)
	if n := expected(); n != 0 {
		t.Errorf("%d notifications expected after a quiet batch, want 0", n)
	}
	set(nil, false)
	if n := expected(); n != 6 {
		t.Errorf("%d notifications expected after a watched batch of 3, want 6", n)
	}
	for _, m := range mustScan(t, mustOpen(t, testDriver(), path)).Messages {
		if len(m.Flags) != 0 {
			t.Errorf("uid %d: flags %v, want none", m.UID, m.Flags)
		}
	}
}

// TestOnlyOwnChanges: after a scan and the Folder's own quiet batch the
// names are as it knows them; any other program's change to a name in
// new/ or cur/ is told apart, whatever it is.
func TestOnlyOwnChanges(t *testing.T) {
	nothing := func(*testing.T, string, []string) {}
	tests := []struct {
		name   string
		before func(t *testing.T, path string, names []string) // names: cur/ before the batch
		other  func(t *testing.T, path string, names []string) // names: cur/ after the batch
		want   bool                                            // QuietSame
	}{
		{"nothing else", nil, nothing, true},
		{"a message renamed before the batch found it", func(t *testing.T, path string, names []string) {
			rename(t, filepath.Join(path, "cur", names[0]), filepath.Join(path, "cur", names[0]+"S"))
		}, nothing, false},
		{"a hidden file", nil, func(t *testing.T, path string, _ []string) {
			writeFile(t, filepath.Join(path, "cur", ".tmp-of-an-editor"), "x", time.Time{})
		}, true},
		{"a symbolic link, which is no message", nil, func(t *testing.T, path string, _ []string) {
			if err := os.Symlink("/etc/passwd", filepath.Join(path, "cur", "1700000009.M9P1.host:2,")); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a flag changed", nil, func(t *testing.T, path string, names []string) {
			rename(t, filepath.Join(path, "cur", names[0]), filepath.Join(path, "cur", names[0]+"T"))
		}, false},
		{"a delivery", nil, func(t *testing.T, path string, _ []string) {
			writeFile(t, filepath.Join(path, "new", "1700000009.M1P1.host"), "Subject: y\n\nbody\n", time.Time{})
		}, false},
		{"a message removed", nil, func(t *testing.T, path string, names []string) {
			if err := os.Remove(filepath.Join(path, "cur", names[1])); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a message moved to new", nil, func(t *testing.T, path string, names []string) {
			rename(t, filepath.Join(path, "cur", names[2]), filepath.Join(path, "new", names[2]))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, d := newMaildir(t)
			f := mustOpen(t, d, path)
			for i := range 3 {
				writeFile(t, filepath.Join(path, "cur", fmt.Sprintf("1700000000.M%dP1.host:2,", i)), "Subject: x\n\nbody\n", time.Time{})
			}
			s := mustScan(t, f)
			if got := f.OnlyOwnChanges(); got != storage.QuietSame {
				t.Fatalf("OnlyOwnChanges = %v right after a scan", got)
			}
			if tt.before != nil {
				names, err := readNames(filepath.Join(path, "cur"))
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(names)
				tt.before(t, path, names)
			}
			changes := map[uint32][]string{}
			for _, m := range s.Messages {
				changes[m.UID] = []string{storage.FlagFlagged}
			}
			if err := f.SetFlagsBatchQuiet(storage.FlagChangesOf(changes)); err != nil {
				t.Fatal(err)
			}
			names, err := readNames(filepath.Join(path, "cur"))
			if err != nil || len(names) != 3 {
				t.Fatalf("cur/: %q %v", names, err)
			}
			tt.other(t, path, names)
			want := storage.QuietChanged
			if tt.want {
				want = storage.QuietSame
			}
			if got := f.OnlyOwnChanges(); got != want {
				t.Errorf("OnlyOwnChanges = %v, want %v", got, want)
			}
			if tt.before != nil && f.OnlyOwnChanges() != storage.QuietChanged {
				t.Error("another program's move found by the batch was reported once only, before any scan")
			}
			mustScan(t, f)
			if got := f.OnlyOwnChanges(); got != storage.QuietSame {
				t.Errorf("OnlyOwnChanges = %v after a scan, want QuietSame", got)
			}
		})
	}
}

// TestOnlyOwnChangesBusy: the Folder's own changes made while the check
// reads the directories make it unsure, not wrong: it reports QuietBusy,
// and QuietSame once asked again.
func TestOnlyOwnChangesBusy(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for i := range 3 {
		writeFile(t, filepath.Join(path, "cur", fmt.Sprintf("1700000000.M%dP1.host:2,", i)), "Subject: x\n\nbody\n", time.Time{})
	}
	s := mustScan(t, f)
	flag := func(flags ...string) {
		changes := map[uint32][]string{}
		for _, m := range s.Messages {
			changes[m.UID] = flags
		}
		if err := f.SetFlagsBatchQuiet(storage.FlagChangesOf(changes)); err != nil {
			t.Error(err)
		}
	}
	checkReadHook = func() { flag(storage.FlagFlagged) }
	got := f.OnlyOwnChanges()
	checkReadHook = nil
	if got != storage.QuietBusy {
		t.Errorf("OnlyOwnChanges = %v with a batch of its own during the read, want QuietBusy", got)
	}
	if got := f.OnlyOwnChanges(); got != storage.QuietSame {
		t.Errorf("OnlyOwnChanges = %v when asked again, want QuietSame", got)
	}
	// The Folder busy with another call: it does not wait to read.
	f.mu.Lock()
	got = f.OnlyOwnChanges()
	f.mu.Unlock()
	if got != storage.QuietBusy {
		t.Errorf("OnlyOwnChanges = %v while the Folder is locked, want QuietBusy", got)
	}
}

// TestOnlyOwnChangesGone: a message whose file another program removed,
// which a batch or a lookup then misses, makes the check fail until a
// scan: the core still lists it and must learn that it is gone.
func TestOnlyOwnChangesGone(t *testing.T) {
	for _, how := range []string{"batch", "open"} {
		t.Run(how, func(t *testing.T) {
			path, d := newMaildir(t)
			f := mustOpen(t, d, path)
			for i := range 2 {
				writeFile(t, filepath.Join(path, "cur", fmt.Sprintf("1700000000.M%dP1.host:2,", i)), "Subject: x\n\nbody\n", time.Time{})
			}
			s := mustScan(t, f)
			names, err := readNames(filepath.Join(path, "cur"))
			if err != nil || len(names) != 2 {
				t.Fatalf("cur/: %q %v", names, err)
			}
			slices.Sort(names)
			if err := os.Remove(filepath.Join(path, "cur", names[0])); err != nil {
				t.Fatal(err)
			}
			uid := s.Messages[0].UID
			if how == "batch" {
				if err := f.SetFlagsBatchQuiet(storage.FlagChangesOf(map[uint32][]string{uid: {storage.FlagFlagged}})); err != nil {
					t.Fatal(err)
				}
			} else if rc, err := f.Open(uid); err == nil {
				rc.Close()
				t.Fatal("Open found a removed file")
			}
			if got := f.OnlyOwnChanges(); got != storage.QuietChanged {
				t.Errorf("OnlyOwnChanges = %v after another program removed a message, want QuietChanged", got)
			}
			mustScan(t, f)
			if got := f.OnlyOwnChanges(); got != storage.QuietSame {
				t.Errorf("OnlyOwnChanges = %v after a scan, want QuietSame", got)
			}
		})
	}
}

// TestOnlyOwnChangesAfterScan: a file that another program moved, found
// by a batch, no longer makes the check fail once a scan has read the
// directories again.
func TestOnlyOwnChangesAfterScan(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	writeFile(t, filepath.Join(path, "cur", "1700000000.M1P1.host:2,"), "Subject: x\n\nbody\n", time.Time{})
	s := mustScan(t, f)
	names, err := readNames(filepath.Join(path, "cur"))
	if err != nil || len(names) != 1 {
		t.Fatalf("cur/: %q %v", names, err)
	}
	rename(t, filepath.Join(path, "cur", names[0]), filepath.Join(path, "cur", names[0]+"S"))
	if err := f.SetFlagsBatchQuiet(storage.FlagChangesOf(map[uint32][]string{s.Messages[0].UID: {storage.FlagFlagged}})); err != nil {
		t.Fatal(err)
	}
	mustScan(t, f)
	if got := f.OnlyOwnChanges(); got != storage.QuietSame {
		t.Errorf("OnlyOwnChanges = %v after a scan, want QuietSame", got)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}
