package fts

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestFlushAfterFileReplaced: what one process added and not written
// yet still reaches the file when another process replaced the file
// meanwhile (it merged the log into a new segment, or found the file
// damaged or missing and started it again) or cut it back: nobody adds
// those messages again, so a Flush that dropped them would leave the
// index short of them until the mailbox changes.
func TestFlushAfterFileReplaced(t *testing.T) {
	for _, tc := range []struct {
		name   string
		other  func(t *testing.T, path string) // what another process does
		others []uint32                        // the messages it leaves in the file
	}{
		{"merged by another", func(t *testing.T, path string) {
			y, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer y.Close()
			y.Add(10, &Doc{Text: []byte("from the other process")})
			if err := y.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := y.Merge(); err != nil {
				t.Fatal(err)
			}
		}, []uint32{1, 10}},
		{"removed, then created again by another", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			y, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			y.Close()
		}, nil},
		{"started again by another", func(t *testing.T, path string) {
			y, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer y.Close()
			if err := y.Reset(4); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"cut back by another", func(t *testing.T, path string) {
			if err := os.Truncate(path, int64(headerSize)); err != nil {
				t.Fatal(err)
			}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, path := openTemp(t, 4)
			x.Add(1, &Doc{Text: []byte("written before")})
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
			x.Add(2, &Doc{Text: []byte("pending xyzzy")})
			x.Add(3, &Doc{TooLarge: true})
			tc.other(t, path)
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
			want := append([]uint32{2, 3}, tc.others...)
			z, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer z.Close()
			for _, uid := range want {
				if !z.Known(uid) {
					t.Errorf("the file lacks message %d: it knows %v, want %v", uid, z.UIDs(), want)
				}
				if !x.Known(uid) {
					t.Errorf("the writer forgot message %d: it knows %v", uid, x.UIDs())
				}
			}
			for _, y := range []*Index{x, z} {
				if f := y.Filter("xyzzy", Text); f.Count() != 2 || !f.May(2) || !f.May(3) {
					t.Errorf("xyzzy: %d messages may hold it, want 2 and 3", f.Count())
				}
			}
			// Written once: another Flush has nothing to add.
			size := fileSize(t, path)
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := fileSize(t, path); got != size {
				t.Errorf("a second Flush wrote %d bytes more", got-size)
			}
		})
	}
}

// TestOpenNeverShowsEmptyFile: a new index file appears at its name
// complete with its header, never empty: another process that opened
// it in between would find no header, take the file for damaged, and
// start it again under the creator.
func TestOpenNeverShowsEmptyFile(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		path := filepath.Join(dir, "INBOX.fts")
		os.Remove(path)
		var wg sync.WaitGroup
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			x, err := Open(path, 1)
			if err != nil {
				t.Error(err)
			} else {
				x.Close()
			}
			close(done)
		}()
		var short int64 = -1
	watch:
		for {
			select {
			case <-done:
				break watch
			default:
			}
			if st, err := os.Stat(path); err == nil && st.Size() < int64(headerSize) {
				short = st.Size()
				break
			}
		}
		wg.Wait()
		if short >= 0 {
			t.Fatalf("round %d: the index file was seen with %d bytes, no header", i, short)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
