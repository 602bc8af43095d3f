package maildir

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestIndexLazyOpen: a Folder whose last Scan (or Summarize) was answered
// from the index file opens messages as the index records them, without
// building its entries (openLazy): the first open reads its name alone,
// the next read all the names once. Whatever happens to the files or to
// the index meanwhile, every open gives the right message: a damaged or
// hostile index is detected (and removed), never trusted, and a file
// that another program renamed is found.
func TestIndexLazyOpen(t *testing.T) {
	want := map[uint32]string{
		1: "Subject: 1\n\none\n",
		2: "Subject: 2\n\ntwo\n",
		3: "Subject: 3\n\nthree\n",
		4: "Subject: 4\n\nfour\n",
	}
	index := func(path string) string { return filepath.Join(path, indexFile) }
	// plant writes a file at name in cur/, where no message is, and the
	// index file again for the maildir with it.
	plant := func(t *testing.T, path, name string) {
		t.Helper()
		writeFile(t, filepath.Join(path, dirCur, name), "hostile", zeroTime)
		ageDirs(t, path, time.Hour)
		os.Remove(index(path))
		f := mustOpen(t, testDriver(), path)
		mustScan(t, f)
		f.Close()
		if _, err := os.Stat(index(path)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		summarize bool                            // open from Summarize rather than Scan
		setup     func(t *testing.T, path string) // before the Folder is opened
		before    func(t *testing.T, path string) // before the first open
		between   func(t *testing.T, path string) // after the first open
		lazy      bool                            // no entries built after every open
		removed   bool                            // the index file was found damaged
	}{
		{name: "untouched", lazy: true},
		{name: "summarized", summarize: true, lazy: true},
		{name: "file renamed by another program", before: func(t *testing.T, path string) {
			cur := filepath.Join(path, dirCur)
			if err := os.Rename(filepath.Join(cur, "3.M1P1.host,u=3:2,"), filepath.Join(cur, "3.M1P1.host,u=3:2,S")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "another name damaged", removed: true, before: func(t *testing.T, path string) {
			editIndex(t, path, false, func(data []byte) []byte { data[indexNameAt(t, data, '2')+2] ^= 0x20; return data })
		}},
		// Files where the hostile names lead, which must not be read.
		{name: "hostile name sealed", removed: true, setup: func(t *testing.T, path string) {
			if err := os.Mkdir(filepath.Join(path, dirCur, "1"), 0o700); err != nil {
				t.Fatal(err)
			}
			plant(t, path, filepath.Join("1", "M1P1.host,a=FO,u=1:2,S"))
			editIndex(t, path, true, func(data []byte) []byte { data[indexNameAt(t, data, '1')+1] = '/'; return data })
		}},
		{name: "hidden name sealed", removed: true, setup: func(t *testing.T, path string) {
			plant(t, path, "..M1P1.host,a=FO,u=1:2,S")
			editIndex(t, path, true, func(data []byte) []byte { data[indexNameAt(t, data, '1')] = '.'; return data })
		}},
		{name: "a later name hostile, sealed", removed: true, setup: func(t *testing.T, path string) {
			editIndex(t, path, true, func(data []byte) []byte { data[indexNameAt(t, data, '3')+1] = '/'; return data })
		}},
		{name: "damaged after the first open", removed: true, between: func(t *testing.T, path string) {
			editIndex(t, path, false, func(data []byte) []byte { data[indexNameAt(t, data, '3')+2] ^= 0x20; return data })
		}},
		{name: "replaced after the first open", between: func(t *testing.T, path string) {
			editIndex(t, path, false, func(data []byte) []byte { return data[:len(data)-1] })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := indexedFolder(t, tt.setup)
			if tt.summarize {
				// A maildir with a message in new/ is not summarized.
				if err := os.Rename(filepath.Join(path, dirNew, "4.M1P1.host,u=4"), filepath.Join(path, dirCur, "4.M1P1.host,u=4:2,")); err != nil {
					t.Fatal(err)
				}
				ageDirs(t, path, time.Hour)
				os.Remove(index(path))
				g := mustOpen(t, testDriver(), path)
				mustScan(t, g) // writes the index again
				g.Close()
				sum, ok := f.Summarize()
				if !ok {
					t.Fatal("not summarized")
				}
				if msgs, exact := sum.Messages(); len(msgs) != 4 || !exact {
					t.Fatalf("%d messages (exact %v)", len(msgs), exact)
				}
				// Built as the records were read, which are not kept.
				if f.lazy == nil || f.lazy.recs != nil || len(f.lazy.nameLens) != 4 {
					t.Fatalf("after the messages: index %+v", f.lazy)
				}
			} else if mustScan(t, f); !f.fromIndex {
				t.Fatal("not answered from the index")
			}
			if tt.before != nil {
				tt.before(t, path)
			}
			for uid := uint32(1); uid <= 4; uid++ {
				if got := readAll(t, f, uid); got != want[uid] {
					t.Fatalf("message %d: %q, want %q", uid, got, want[uid])
				}
				if uid == 1 && tt.between != nil {
					tt.between(t, path)
				}
			}
			if _, err := f.Open(5); !errors.Is(err, storage.ErrNoMessage) {
				t.Fatalf("Open(5): %v, want ErrNoMessage", err)
			}
			if lazy := f.lazy != nil && f.entries == nil; lazy != tt.lazy {
				t.Errorf("entries not built: %v, want %v", lazy, tt.lazy)
			}
			if tt.summarize && tt.lazy && f.lazy.recs != nil {
				t.Error("the records were read again to open the files")
			}
			if _, err := os.Stat(index(path)); os.IsNotExist(err) != tt.removed {
				t.Errorf("index file removed: %v, want %v", os.IsNotExist(err), tt.removed)
			}
			// What follows sees the same messages, whichever way the
			// opens went.
			if err := f.SetFlags(2, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			rc, err := f.OpenShort(2)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != want[2] {
				t.Fatalf("message 2 after a flag change: %q", b)
			}
		})
	}
}

// TestReadName: the name of one message, read alone from the index file
// (Folder.readName), is given only when every name passes the checksum
// and it is a plain file name.
func TestReadName(t *testing.T) {
	tests := []struct {
		name   string
		before func(t *testing.T, path string) // before the Folder reads the index
		after  func(t *testing.T, path string) // after it read the head and records
		want   string
		err    error
	}{
		{name: "intact", want: "3.M1P1.host,u=3:2,"},
		{name: "another name damaged", err: errBadIndex, after: func(t *testing.T, path string) {
			editIndex(t, path, false, func(b []byte) []byte { b[indexNameAt(t, b, '2')+3] ^= 1; return b })
		}},
		{name: "its name damaged", err: errBadIndex, after: func(t *testing.T, path string) {
			editIndex(t, path, false, func(b []byte) []byte { b[indexNameAt(t, b, '3')+3] ^= 1; return b })
		}},
		{name: "its name with a slash, sealed", err: errBadIndex, before: func(t *testing.T, path string) {
			editIndex(t, path, true, func(b []byte) []byte { b[indexNameAt(t, b, '3')+1] = '/'; return b })
		}},
		{name: "its name hidden, sealed", err: errBadIndex, before: func(t *testing.T, path string) {
			editIndex(t, path, true, func(b []byte) []byte { b[indexNameAt(t, b, '3')] = '.'; return b })
		}},
		{name: "its name with NUL, sealed", err: errBadIndex, before: func(t *testing.T, path string) {
			editIndex(t, path, true, func(b []byte) []byte { b[indexNameAt(t, b, '3')+4] = 0; return b })
		}},
		{name: "shrunk", err: errIndexReplaced, after: func(t *testing.T, path string) {
			editIndex(t, path, false, func(b []byte) []byte { return b[:len(b)-1] })
		}},
		{name: "replaced", err: errIndexReplaced, after: func(t *testing.T, path string) {
			editIndex(t, path, true, func(b []byte) []byte { return b })
			editIndex(t, path, false, func(b []byte) []byte { b[len(b)-5]++; return b }) // the trailer
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := indexedFolder(t, tt.before)
			if mustScan(t, f); !f.fromIndex {
				t.Fatal("not answered from the index")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			x := f.lazy
			if err := f.loadRecords(x); err != nil {
				t.Fatal(err)
			}
			if tt.after != nil {
				tt.after(t, path)
			}
			i, ok := x.position(3)
			if !ok {
				t.Fatal("no message 3 in the index")
			}
			name, err := f.readName(x, i)
			if name != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("readName: %q, %v; want %q, %v", name, err, tt.want, tt.err)
			}
			if x.names != "" {
				t.Fatal("every name kept")
			}
		})
	}
}

// editIndex rewrites the index file of the maildir at path with edit, and
// seals it again (the checksums made to fit) when reseal is set.
func editIndex(t *testing.T, path string, reseal bool, edit func(data []byte) []byte) {
	t.Helper()
	p := filepath.Join(path, indexFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data = edit(data)
	if reseal {
		data = sealIndex(data[:len(data)-indexTrailerSize])
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// indexNameAt returns where in an index file the name of the file of
// message uid (of indexedMaildir) starts.
func indexNameAt(t *testing.T, data []byte, uid byte) int {
	t.Helper()
	i := bytes.Index(data, []byte{uid, '.', 'M', '1', 'P', '1'})
	if i < 0 {
		t.Fatalf("no name of message %c in the index", uid)
	}
	return i
}

// indexedFolder opens, with a new Driver, a maildir that indexedMaildir
// made, after setup (when not nil) did what it will to it; the Folder is
// closed when the test ends.
func indexedFolder(t *testing.T, setup func(t *testing.T, path string)) (*Folder, string) {
	t.Helper()
	path := indexedMaildir(t)
	if setup != nil {
		setup(t, path)
	}
	f := mustOpen(t, testDriver(), path)
	t.Cleanup(func() { f.Close() })
	return f, path
}
