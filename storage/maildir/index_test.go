package maildir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// indexedMaildir makes a maildir as imap4d and Dovecot leave one, quiet
// for an hour, and scans it once so that its index file is written.
func indexedMaildir(t *testing.T) string {
	t.Helper()
	path := mkMaildir(t, map[string]string{
		propsFile:                            "uidnext: 5\nuid-validity: 1795730010\nversion: 3.15\n",
		keywordsFile:                         "0 Junk\n",
		"cur/1.M1P1.host,a=FO,u=1:2,S":       "Subject: 1\n\none\n",
		"cur/2.M1P1.host,S=15,W=17,u=2:2,Sa": "Subject: 2\n\ntwo\n",
		"cur/3.M1P1.host,u=3:2,":             "Subject: 3\n\nthree\n",
		"new/4.M1P1.host,u=4":                "Subject: 4\n\nfour\n",
	})
	ageDirs(t, path, time.Hour)
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	if f.fromIndex {
		t.Fatal("first scan answered from an index")
	}
	if _, err := os.Stat(filepath.Join(path, indexFile)); err != nil {
		t.Fatalf("no index after a scan of a quiet maildir: %v", err)
	}
	f.Close()
	return path
}

// coldScan scans the maildir at path as a new process would: with a new
// Driver, so that nothing is shared with earlier Folders.
func coldScan(t *testing.T, path string) (storage.Snapshot, bool) {
	t.Helper()
	f := mustOpen(t, testDriver(), path)
	defer f.Close()
	return mustScanDated(t, f), f.fromIndex
}

// truthScan is what a scan without any index finds.
func truthScan(t *testing.T, path string) storage.Snapshot {
	t.Helper()
	if err := os.Remove(filepath.Join(path, indexFile)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s, fromIndex := coldScan(t, path)
	if fromIndex {
		t.Fatal("answered from a removed index")
	}
	return s
}

func sameSnapshot(a, b storage.Snapshot) bool {
	return a.UIDValidity == b.UIDValidity && a.UIDNext == b.UIDNext &&
		slices.EqualFunc(a.Messages, b.Messages, sameMessage)
}

// TestIndexScan changes a maildir after its index was written, as other
// programs and accidents do, and checks that a new Folder's Scan uses the
// index only when nothing changed, and otherwise sees the change.
func TestIndexScan(t *testing.T) {
	rename := func(t *testing.T, from, to string) {
		t.Helper()
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}
	damage := func(t *testing.T, path string, change func([]byte) []byte) {
		t.Helper()
		p := filepath.Join(path, indexFile)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, change(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
		// useIndex: the next Scan is answered from the index.
		useIndex bool
		// rewritten: after it, the one after is (the scan wrote the index
		// again, since the directories are quiet).
		rewritten bool
		check     func(t *testing.T, s storage.Snapshot)
	}{
		{"untouched", func(t *testing.T, path string) {}, true, true, func(t *testing.T, s storage.Snapshot) {
			if !slices.Equal(uidsOf(s), []uint32{1, 2, 3, 4}) || s.UIDNext != 5 || s.UIDValidity != 1795730010 {
				t.Fatalf("snapshot %+v", s)
			}
			if m, _ := message(s, 2); !slices.Equal(m.Flags, []string{"Junk", `\Seen`}) || m.Size != 17 {
				t.Fatalf("message 2 = %+v", m)
			}
			if m, _ := message(s, 4); !m.New || m.Size != crlfSize("Subject: 4\n\nfour\n") ||
				!m.InternalDate.Equal(time.Unix(1700000000, 0)) {
				t.Fatalf("message 4 = %+v", m)
			}
		}},
		{"delivery into new/", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, "new", "5.M1P1.mx"), "Subject: 5\n\nfive\n", time.Unix(1700000005, 0))
		}, false, false, func(t *testing.T, s storage.Snapshot) {
			if m, ok := message(s, 5); !ok || !m.New {
				t.Fatalf("delivered message missing: %v", uidsOf(s))
			}
		}},
		{"flags renamed in cur/", func(t *testing.T, path string) {
			rename(t, filepath.Join(path, "cur", "1.M1P1.host,a=FO,u=1:2,S"), filepath.Join(path, "cur", "1.M1P1.host,a=FO,u=1:2,FS"))
		}, false, false, func(t *testing.T, s storage.Snapshot) {
			if m, _ := message(s, 1); !slices.Equal(m.Flags, []string{`\Flagged`, `\Seen`}) {
				t.Fatalf("message 1 = %+v", m)
			}
		}},
		{"file deleted", func(t *testing.T, path string) {
			os.Remove(filepath.Join(path, "cur", "3.M1P1.host,u=3:2,"))
		}, false, false, func(t *testing.T, s storage.Snapshot) {
			if !slices.Equal(uidsOf(s), []uint32{1, 2, 4}) {
				t.Fatalf("UIDs %v", uidsOf(s))
			}
		}},
		{"read by mutt (new/ to cur/)", func(t *testing.T, path string) {
			rename(t, filepath.Join(path, "new", "4.M1P1.host,u=4"), filepath.Join(path, "cur", "4.M1P1.host,u=4:2,S"))
		}, false, false, func(t *testing.T, s storage.Snapshot) {
			if m, _ := message(s, 4); m.New || !slices.Equal(m.Flags, []string{`\Seen`}) {
				t.Fatalf("message 4 = %+v", m)
			}
		}},
		{"change with the times put back", func(t *testing.T, path string) {
			if runtime.GOOS != "linux" {
				t.Skip("only Linux's index records the change time")
			}
			cur := filepath.Join(path, "cur")
			fi, err := os.Stat(cur)
			if err != nil {
				t.Fatal(err)
			}
			rename(t, filepath.Join(cur, "3.M1P1.host,u=3:2,"), filepath.Join(cur, "3.M1P1.host,u=3:2,T"))
			if err := os.Chtimes(cur, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, false, true, func(t *testing.T, s storage.Snapshot) {
			if m, _ := message(s, 3); !slices.Equal(m.Flags, []string{`\Deleted`}) {
				t.Fatalf("message 3 = %+v", m)
			}
		}},
		{"directories touched just now", func(t *testing.T, path string) {
			ageDirs(t, path, 0)
		}, false, false, nil},
		{"uidnext raised by another process", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, propsFile), "uidnext: 9\nuid-validity: 1795730010\nversion: 3.15\n", zeroTime)
		}, false, true, func(t *testing.T, s storage.Snapshot) {
			if s.UIDNext != 9 {
				t.Fatalf("UIDNext %d", s.UIDNext)
			}
		}},
		{"uidvalidity changed", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, propsFile), "uidnext: 5\nuid-validity: 42\nversion: 3.15\n", zeroTime)
		}, false, true, func(t *testing.T, s storage.Snapshot) {
			if s.UIDValidity != 42 {
				t.Fatalf("UIDVALIDITY %d", s.UIDValidity)
			}
		}},
		{"keyword renamed", func(t *testing.T, path string) {
			writeFile(t, filepath.Join(path, keywordsFile), "0 Work\n", zeroTime)
		}, true, true, func(t *testing.T, s storage.Snapshot) {
			if m, _ := message(s, 2); !slices.Equal(m.Flags, []string{"Work", `\Seen`}) {
				t.Fatalf("message 2 = %+v", m)
			}
		}},
		{"index truncated", func(t *testing.T, path string) {
			damage(t, path, func(b []byte) []byte { return b[:len(b)/2] })
		}, false, true, nil},
		{"index empty", func(t *testing.T, path string) {
			damage(t, path, func(b []byte) []byte { return nil })
		}, false, true, nil},
		{"index byte changed", func(t *testing.T, path string) {
			damage(t, path, func(b []byte) []byte { b[len(b)/2]++; return b })
		}, false, true, nil},
		{"index removed", func(t *testing.T, path string) {
			os.Remove(filepath.Join(path, indexFile))
		}, false, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := indexedMaildir(t)
			tt.change(t, path)
			s, fromIndex := coldScan(t, path)
			if fromIndex != tt.useIndex {
				t.Fatalf("answered from the index: %v, want %v", fromIndex, tt.useIndex)
			}
			if _, again := coldScan(t, path); again != tt.rewritten {
				t.Fatalf("next scan answered from the index: %v, want %v", again, tt.rewritten)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
			if truth := truthScan(t, path); !sameSnapshot(s, truth) {
				t.Fatalf("scan %+v\nwithout index %+v", s, truth)
			}
		})
	}
}

// TestIndexOwnChanges makes every kind of change through a Folder after
// the index was written: a new Folder must see them all, and once the
// maildir is quiet, closing the Folder writes the index again.
func TestIndexOwnChanges(t *testing.T) {
	path := indexedMaildir(t)
	f := mustOpen(t, testDriver(), path)
	if s := mustScan(t, f); !f.fromIndex || len(s.Messages) != 4 {
		t.Fatalf("scan: from the index %v, %d messages", f.fromIndex, len(s.Messages))
	}
	if _, err := f.Append(strings.NewReader("Subject: 5\n\nfive\n"), []string{"Later"}, time.Unix(1700000005, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(1, []string{`\Answered`, `\Seen`}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{2: {`\Flagged`}, 3: {"Junk"}})); err != nil {
		t.Fatal(err)
	}
	if err := f.Seen([]uint32{4}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	want := mustScanDated(t, f)
	if f.fromIndex || !slices.Equal(uidsOf(want), []uint32{1, 2, 4, 5}) {
		t.Fatalf("scan after changes: from the index %v, UIDs %v", f.fromIndex, uidsOf(want))
	}
	got, fromIndex := coldScan(t, path)
	if fromIndex || !sameSnapshot(got, want) {
		t.Fatalf("another Folder: from the index %v, %+v\nwant %+v", fromIndex, got, want)
	}

	// The changes are still recent: closing leaves the index stale.
	writeFile(t, filepath.Join(path, "new", "6.M1P1.mx"), "Subject: 6\n\nsix\n", zeroTime)
	f.Close()
	// Now a while later.
	f = mustOpen(t, testDriver(), path)
	mustScan(t, f)
	ageDirs(t, path, time.Hour)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, fromIndex = coldScan(t, path)
	if !fromIndex {
		t.Fatal("Close did not bring the index up to date")
	}
	if truth := truthScan(t, path); !sameSnapshot(got, truth) || !slices.Equal(uidsOf(got), []uint32{1, 2, 4, 5, 6}) {
		t.Fatalf("from the index %+v\nwithout %+v", got, truth)
	}
}

// TestIndexNotWhileBusy checks that a scan of directories changed less
// than stableAge ago neither writes nor trusts an index.
func TestIndexNotWhileBusy(t *testing.T) {
	path := mkMaildir(t, map[string]string{
		propsFile:             "uidnext: 2\nuid-validity: 7\nversion: 3.15\n",
		"cur/1.M1P1.h,u=1:2,": "x\n",
	})
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	f.Close()
	if _, err := os.Stat(filepath.Join(path, indexFile)); !os.IsNotExist(err) {
		t.Fatalf("index written for a busy maildir: %v", err)
	}
}

// TestIndexStaleStillTeaches checks that a scan after a change learns the
// files it does not know yet from the stale index rather than from the
// files (which maildir never rewrites under one name).
func TestIndexStaleStillTeaches(t *testing.T) {
	path := indexedMaildir(t)
	name := filepath.Join(path, "cur", "1.M1P1.host,a=FO,u=1:2,S")
	before, _ := coldScan(t, path)
	m1, _ := message(before, 1)
	writeFile(t, name, strings.Repeat("longer ", 100), time.Unix(1700000000, 0))
	writeFile(t, filepath.Join(path, "new", "5.M1P1.mx"), "x\n", zeroTime)
	s, fromIndex := coldScan(t, path)
	if fromIndex || len(s.Messages) != 5 {
		t.Fatalf("from the index %v, UIDs %v", fromIndex, uidsOf(s))
	}
	if m, _ := message(s, 1); m.Size != m1.Size {
		t.Fatalf("message 1 was read again: size %d, index said %d", m.Size, m1.Size)
	}
}

func TestIndexRemovedWithMailbox(t *testing.T) {
	path := indexedMaildir(t)
	writeFile(t, filepath.Join(path, indexFile+".tmp123"), "half", zeroTime)
	for _, name := range []string{propsFile, keywordsFile} {
		os.Remove(filepath.Join(path, name))
	}
	if err := testDriver().Delete(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		names, _ := readNames(path)
		t.Fatalf("left behind: %q", names)
	}
}

// TestScanUnchangedCopies checks that the snapshots Scan returns without
// reading the directories, from memory or from the index, are the
// caller's own: the storage core changes them.
func TestScanUnchangedCopies(t *testing.T) {
	path := indexedMaildir(t)
	f := mustOpen(t, testDriver(), path)
	for i := range 3 {
		s := mustScan(t, f)
		if !f.fromIndex && i == 0 || !slices.Equal(uidsOf(s), []uint32{1, 2, 3, 4}) {
			t.Fatalf("scan %d: from the index %v, UIDs %v", i, f.fromIndex, uidsOf(s))
		}
		s.Messages[0].UID = 99
		s.Messages[1].Flags = nil
	}
	if m, _ := message(mustScan(t, f), 2); len(m.Flags) != 2 {
		t.Fatalf("message 2 = %+v", m)
	}
}

// TestIndexNamesDamaged: SELECT is answered from the index's records
// without its names; when the names turn out damaged once an operation
// needs them, the files are found in the directories instead, the index
// is removed, and the next scan reads the directories.
func TestIndexNamesDamaged(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"byte changed", func(b []byte) []byte { b[len(b)-indexTrailerSize-3] ^= 0x20; return b }},
		{"slash", func(b []byte) []byte { b[len(b)-indexTrailerSize-3] = '/'; return b }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := indexedMaildir(t)
			p := filepath.Join(path, indexFile)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, tt.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			f := mustOpen(t, testDriver(), path)
			s := mustScan(t, f)
			if !f.fromIndex {
				t.Fatal("not answered from the index's records")
			}
			for _, m := range s.Messages {
				rc, err := f.Open(m.UID)
				if err != nil {
					t.Fatalf("UID %d: %v", m.UID, err)
				}
				b, _ := io.ReadAll(rc)
				rc.Close()
				if !strings.HasPrefix(string(b), "Subject: ") {
					t.Fatalf("UID %d: %q", m.UID, b)
				}
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Fatalf("damaged index left in place: %v", err)
			}
			if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			again := mustScanDated(t, f)
			if f.fromIndex {
				t.Fatal("answered from the index again")
			}
			if m, _ := message(again, 1); !slices.Equal(m.Flags, []string{storage.FlagFlagged}) {
				t.Fatalf("message 1 = %+v", m)
			}
			if truth := truthScan(t, path); !sameSnapshot(again, truth) {
				t.Fatalf("scan %+v\nwithout index %+v", again, truth)
			}
		})
	}
}

// TestSizesSurviveABusyScan: the first scan of a maildir that changed
// just now (copied in, delivered to) cannot record a state that later
// scans could trust, yet what it learnt of each file (for names without
// W=, by reading it whole) is kept for the next process, which then reads
// none of the files again.
func TestSizesSurviveABusyScan(t *testing.T) {
	files := map[string]string{propsFile: fmt.Sprintf("uidnext: %d\nuid-validity: 1795730010\nversion: 3.15\n", metaIndexMin+1)}
	for i := 1; i <= metaIndexMin; i++ {
		files[fmt.Sprintf("cur/%d.M1P1.host,a=FO,u=%d:2,S", i, i)] = fmt.Sprintf("Subject: %d\n\nbody\n", i)
	}
	path := mkMaildir(t, files)
	first, fromIndex := coldScan(t, path)
	if fromIndex {
		t.Fatal("answered from an index")
	}
	// A file's content never changes under its name: shrink them all
	// (times kept) to see whether the next scan reads them.
	for i := 1; i <= metaIndexMin; i++ {
		p := filepath.Join(path, "cur", fmt.Sprintf("%d.M1P1.host,a=FO,u=%d:2,S", i, i))
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, "x", fi.ModTime())
	}
	second, fromIndex := coldScan(t, path)
	if fromIndex {
		t.Fatal("a scan was answered from an index of an untrusted state")
	}
	if !sameSnapshot(first, second) {
		t.Fatalf("second scan read the files again:\n%+v\n%+v", first.Messages[:2], second.Messages[:2])
	}
}

// TestSummarizeRecordsDamaged checks that a Folder that answered SELECT
// from the index file's head, and finds the records damaged when a
// command needs the messages, reads them from the files instead, and
// that the damaged index is not used again.
func TestSummarizeRecordsDamaged(t *testing.T) {
	path := mkMaildir(t, map[string]string{
		propsFile:                           "uidnext: 4\nuid-validity: 1795730010\nversion: 3.15\n",
		"cur/1.M1P1.host,a=FO,u=1:2,S":      "Subject: 1\n\none\n",
		"cur/2.M1P1.host,S=15,W=17,u=2:2,S": "Subject: 2\n\ntwo\n",
		"cur/3.M1P1.host,u=3:2,":            "Subject: 3\n\nthree\n",
	})
	ageDirs(t, path, time.Hour)
	f := mustOpen(t, testDriver(), path)
	truth := mustScan(t, f)
	f.Close()

	f = mustOpen(t, testDriver(), path)
	defer f.Close()
	sum, ok := f.Summarize()
	if !ok {
		t.Fatal("not summarized")
	}
	if !slices.Equal(sum.UIDs, storage.Ranges{{1, 3}}) || sum.FirstUnseen != 3 || !slices.Equal(sum.Flags, []string{storage.FlagSeen}) {
		t.Fatalf("summary %+v", sum)
	}
	p := filepath.Join(path, indexFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	data[x.headLen+5] ^= 1 // a record's mtime
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if msgs, exact := sum.Messages(); !slices.EqualFunc(msgs, truth.Messages, sameMessage) || exact {
		t.Fatalf("messages %+v (exact %v), want %+v, not exact: read from the directories", msgs, exact, truth.Messages)
	}
	if _, fromIndex := coldScan(t, path); fromIndex {
		t.Fatal("the damaged index was used")
	}
}

// TestIndexHeadPastFirstRead: the index of a maildir whose UIDs are many
// runs has a head longer than the first read of the file takes
// (indexStartSize), which is then read again whole. A cold scan answers
// from it, and a damaged byte of the head beyond that first read is
// caught by the head's checksum.
func TestIndexHeadPastFirstRead(t *testing.T) {
	tests := []struct {
		name     string
		damage   bool
		useIndex bool
	}{
		{"sound", false, true},
		{"byte changed past the first read", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 200
			files := map[string]string{propsFile: fmt.Sprintf("uidnext: %d\nuid-validity: 1795730010\n", 2*n+1)}
			for i := range n {
				uid := 2*i + 1 // every other UID: a run each
				files[fmt.Sprintf("cur/%d.M1P1.host,u=%d:2,S", uid, uid)] = fmt.Sprintf("Subject: %d\n\nbody\n", uid)
			}
			path := mkMaildir(t, files)
			ageDirs(t, path, time.Hour)
			want := truthScan(t, path) // and writes the index
			data, err := os.ReadFile(filepath.Join(path, indexFile))
			if err != nil {
				t.Fatal(err)
			}
			if h, _ := decodeIndexHeader(data); h.runs != n || indexHeaderSize+indexRunSize*n <= indexStartSize {
				t.Fatalf("%d runs, want %d: the head would fit the first read", h.runs, n)
			}
			if tt.damage {
				editIndex(t, path, false, func(b []byte) []byte { b[indexStartSize+8]++; return b })
			}
			got, fromIndex := coldScan(t, path)
			if fromIndex != tt.useIndex {
				t.Fatalf("answered from the index: %v, want %v", fromIndex, tt.useIndex)
			}
			if !sameSnapshot(got, want) {
				t.Fatalf("scan %+v\nwithout index %+v", got, want)
			}
		})
	}
}
