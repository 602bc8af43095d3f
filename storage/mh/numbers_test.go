//go:build unix

package mh

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// contentsByUID scans a new Folder on path, as a new process does, and
// returns each message's content by UID.
func contentsByUID(t *testing.T, d *Driver, path string) map[uint32]string {
	t.Helper()
	f := mustOpen(t, d, path)
	defer f.Close()
	out := map[uint32]string{}
	for _, m := range mustScan(t, f).Messages {
		out[m.UID] = readAll(t, f, m.UID)
	}
	return out
}

// checkUIDsKept fails when a UID of before holds another content in
// after (annotated, it may have fields added above the old header), and
// returns the contents of after, sorted.
func checkUIDsKept(t *testing.T, step string, before, after map[uint32]string) []string {
	t.Helper()
	for uid, now := range after {
		if was, ok := before[uid]; ok && now != was && !strings.HasSuffix(now, was) {
			t.Errorf("%s: UID %d holds %q, was %q", step, uid, now, was)
		}
	}
	return slices.Sorted(maps.Values(after))
}

// TestNumbersAcrossProcesses: one process reads a folder and closes it;
// another program renumbers it (as nmh's sortm, folder -pack, rmm then
// inc do) while no mailgate process has it open; a new process then
// gives each UID the message it stood for, and a fresh UID to a file
// that came under a known number. A folder that nothing changed keeps
// its UIDs, and its numbers file is not written again.
func TestNumbersAcrossProcesses(t *testing.T) {
	const a, b, c = "Subject: a\n\nfirst\n", "Subject: b\n\nsecond, longer\n", "Subject: c\n\nthird\n"
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string)
		uids   []uint32 // the UIDs the new process gives
		want   []string // the contents it finds, sorted
	}{
		{"nothing changed", func(*testing.T, string) {}, []uint32{1, 2}, []string{a, b}},
		{"sortm", swap, []uint32{3, 4}, []string{a, b}},
		{"rmm then inc", func(t *testing.T, dir string) {
			mustRename(t, dir, "2", ",2")
			writeFile(t, filepath.Join(dir, "2"), c, testNow())
		}, []uint32{1, 3}, []string{a, c}},
		{"rm then inc", func(t *testing.T, dir string) {
			// ext4 hands the freed inode number out again at once:
			// its generation tells the new file.
			mustRemove(t, filepath.Join(dir, "2"))
			writeFile(t, filepath.Join(dir, "2"), c, testNow())
		}, []uint32{1, 3}, []string{a, c}},
		{"folder -pack", func(t *testing.T, dir string) {
			mustRename(t, dir, "1", ",1")
			mustRename(t, dir, "2", "1")
		}, []uint32{3}, []string{b}},
		{"inc", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "3"), c, testNow())
		}, []uint32{1, 2, 3}, []string{a, b, c}},
		{"anno in place", func(t *testing.T, dir string) {
			file, err := os.OpenFile(filepath.Join(dir, "1"), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			file.WriteString("Replied: yes\n" + a)
			file.Close()
		}, []uint32{1, 2}, []string{"Replied: yes\n" + a, b}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": a, "2": b})
			d := testDriver()
			had := contentsByUID(t, d, path)
			before, err := os.Stat(filepath.Join(path, numbersFile))
			if err != nil {
				t.Fatalf("no numbers file after the first process: %v", err)
			}
			tt.change(t, path)
			now := contentsByUID(t, testDriver(), path)
			if got := checkUIDsKept(t, "after "+tt.name, had, now); !slices.Equal(got, tt.want) {
				t.Errorf("contents %q, want %q", got, tt.want)
			}
			if got := slices.Sorted(maps.Keys(now)); !slices.Equal(got, tt.uids) {
				t.Errorf("UIDs %v, want %v", got, tt.uids)
			}
			after, err := os.Stat(filepath.Join(path, numbersFile))
			if err != nil {
				t.Fatal(err)
			}
			// Only a change of what the numbers hold is written.
			kept := tt.name == "nothing changed" || tt.name == "anno in place"
			if same := os.SameFile(before, after); same != kept {
				t.Errorf("numbers file written again: %v, want %v", !same, !kept)
			}
			// A third process agrees with the second.
			if again := contentsByUID(t, testDriver(), path); !maps.Equal(again, now) {
				t.Errorf("a third process gives %v, the second gave %v", again, now)
			}
		})
	}
}

// TestNumbersUntold: a folder whose numbers file is missing (written
// before mailgate kept one), damaged, of another version or of another
// directory (the folder copied elsewhere) tells nothing of what its
// numbers stood for: a new process takes the files as it finds them,
// keeps their numbers, and drops the core's cache file, whose values
// nothing vouches for. A numbers file that holds leaves the cache alone.
func TestNumbersUntold(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string) string // returns the folder to open
		drops  bool
	}{
		{"holds", func(_ *testing.T, dir string) string { return dir }, false},
		{"missing", func(t *testing.T, dir string) string {
			mustRemove(t, filepath.Join(dir, numbersFile))
			return dir
		}, true},
		{"damaged", func(t *testing.T, dir string) string {
			flipByte(t, filepath.Join(dir, numbersFile), numbersHeaderLen+2)
			return dir
		}, true},
		{"other version", func(t *testing.T, dir string) string {
			flipByte(t, filepath.Join(dir, numbersFile), len(numbersMagic)-1)
			return dir
		}, true},
		{"copied", func(t *testing.T, dir string) string {
			cp := filepath.Join(t.TempDir(), "copy")
			if out, err := exec.Command("cp", "-a", dir, cp).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v: %s", err, out)
			}
			return cp
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
			had := contentsByUID(t, testDriver(), path)
			writeFile(t, filepath.Join(path, cacheFile), "values by UID", testNow())
			open := tt.change(t, path)
			now := contentsByUID(t, testDriver(), open)
			if !maps.Equal(now, had) {
				t.Errorf("a new process gives %v, want the files as they are: %v", now, had)
			}
			_, err := os.Lstat(filepath.Join(open, cacheFile))
			if dropped := err != nil; dropped != tt.drops {
				t.Errorf("cache file dropped: %v, want %v", dropped, tt.drops)
			}
			n, ok := readNumbering(open)
			if !ok || len(n.entries) != 2 || n.uidNext != 3 {
				t.Errorf("numbers file after the scan: %+v, %v", n, ok)
			}
		})
	}
}

// flipByte changes the byte at off of the file at path.
func flipByte(t *testing.T, path string, off int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || off >= len(b) {
		t.Fatalf("%s: %v (%d bytes)", path, err, len(b))
	}
	b[off] ^= 0x5a
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNumbersFollowWrites: appends, batches and expunges of one process
// reach the numbers file under its lock, so that a process after it
// checks what they bound: after an expunge and a file that another
// program then put under the freed number, the new process gives that
// file a fresh UID.
func TestNumbersFollowWrites(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	for i := range 3 {
		appendMsg(t, f, fmt.Sprintf("Subject: %d\n\nbody\n", i+1))
	}
	n, ok := readNumbering(path)
	if !ok || n.uidNext != 4 || len(n.entries) != 3 {
		t.Fatalf("after three appends: %+v, %v", n, ok)
	}
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	if n, _ := readNumbering(path); len(n.entries) != 2 || n.entries[1].num != 2 {
		t.Fatalf("after the expunge: %+v", n)
	}
	f.Close()
	writeFile(t, filepath.Join(path, "3"), "Subject: inc\n\n", testNow())
	now := contentsByUID(t, testDriver(), path)
	if got := slices.Sorted(maps.Keys(now)); !slices.Equal(got, []uint32{1, 2, 4}) || now[4] != "Subject: inc\n\n" {
		t.Errorf("a new process gives %v, want inc's file under a fresh UID", now)
	}
}

// TestNumbersUnwritable: a folder whose numbers file cannot be written
// (here a directory is in its place) is still read; the Folder stops
// trying, and a new process, finding no numbers file that holds, takes
// the files as they are.
func TestNumbersUnwritable(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
	if err := os.MkdirAll(filepath.Join(path, numbersFile, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, testDriver(), path)
	defer f.Close()
	if got := uidsOf(mustScan(t, f)); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("UIDs %v", got)
	}
	if !f.numbersFailed {
		t.Error("the Folder did not note the failed write")
	}
	appendMsg(t, f, "Subject: more\n\n")
	if got := uidsOf(mustScan(t, f)); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Fatalf("UIDs after an append %v", got)
	}
}

// FuzzParseNumbering: no input makes the parser panic, and what it
// accepts it writes again as a snapshot that reads the same.
func FuzzParseNumbering(f *testing.F) {
	n := numbering{validity: 7, uidNext: 9, dir: dirID{1, 2, 3}, entries: []numberEntry{{1, 10, 0}, {4, 11, 7}, {8, 5, 1}}}
	f.Add(n.encode())
	f.Add(appendRecord(appendRecord(n.encode(), '+', numberEntry{9, 12, 3}, 10), '-', numberEntry{num: 4}, 0))
	f.Add((&numbering{}).encode())
	f.Add([]byte("MGMHNUM1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseNumbering(data)
		if err != nil {
			return
		}
		n.torn = false // a snapshot has no records to cut short
		again, err := parseNumbering(n.encode())
		if err != nil || !reflect.DeepEqual(again, n) {
			t.Fatalf("accepted %x as %+v; its snapshot reads as %+v, %v", data, n, again, err)
		}
		if !slices.IsSortedFunc(n.entries, func(a, b numberEntry) int { return cmp.Compare(a.num, b.num) }) {
			t.Fatalf("entries out of order: %+v", n.entries)
		}
	})
}

// TestNumbersRecords: appends write records after the snapshot, which a
// reader applies; a record cut short (a crash in the middle of a write)
// is left out (see TestNumbersTornRecords); past an eighth of the
// snapshot (at least minNumbersRecords) the records are folded into a
// new snapshot.
func TestNumbersRecords(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
	f := mustOpen(t, testDriver(), path)
	defer f.Close()
	mustScan(t, f)
	file := filepath.Join(path, numbersFile)
	snap, _ := os.Stat(file)
	m := appendMsg(t, f, "Subject: c\n\n")
	fi, _ := os.Stat(file)
	if !os.SameFile(snap, fi) || fi.Size() != snap.Size()+numbersRecordLen {
		t.Fatalf("an append made the file %d bytes from %d, want one record more in place", fi.Size(), snap.Size())
	}
	n, ok := readNumbering(path)
	if !ok || len(n.entries) != 3 || n.entries[2].num != m.UID || n.uidNext != m.UID+1 {
		t.Fatalf("after an append: %+v, %v", n, ok)
	}
	if err := f.Expunge([]uint32{1}); err != nil {
		t.Fatal(err)
	}
	if n, _ := readNumbering(path); len(n.entries) != 2 || n.entries[0].num != 2 {
		t.Fatalf("after an expunge: %+v", n)
	}
	data, _ := os.ReadFile(file)
	if n, err := parseNumbering(data[:len(data)-3]); err != nil || !n.torn || len(n.entries) != 3 {
		t.Errorf("a record cut short: %+v, %v; want the snapshot and the whole record, torn", n, err)
	}
	for range minNumbersRecords {
		appendMsg(t, f, "Subject: more\n\n")
	}
	fi, _ = os.Stat(file)
	n, ok = readNumbering(path)
	if !ok || len(n.entries) != 2+minNumbersRecords {
		t.Fatalf("after %d appends: %d entries, %v", minNumbersRecords, len(n.entries), ok)
	}
	if records := (fi.Size() - int64(numbersHeaderLen+numbersEntryLen*len(n.entries)+4)) / numbersRecordLen; records >= minNumbersRecords {
		t.Errorf("%d records after %d appends: never folded into a snapshot", records, minNumbersRecords)
	}
}

// TestNmhRenumberAcrossProcesses is TestNmhRenumber with a new process
// for every look: nmh's sortm, rmm and folder -pack, and anno run while
// no Folder is open, and every UID a new process gives holds the message
// it stood for before.
func TestNmhRenumberAcrossProcesses(t *testing.T) {
	nmhRenumberSteps(t, func(step string, f *Folder, _ map[uint32]string) map[uint32]string {
		if step == "" {
			f.Close() // the process that appended ends
		}
		return contentsByUID(t, &Driver{}, f.path)
	})
}
