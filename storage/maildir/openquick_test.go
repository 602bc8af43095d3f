package maildir

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenQuick: OpenQuick opens a message's file where the folder last
// saw it, whether its entries were built by a scan or are still read
// from the index file, and says it cannot (for Open to look further)
// whenever the file is not there as a regular file: renamed or removed
// by another program, replaced by a symbolic link or a FIFO (never
// followed, never waited on), the message unknown, the folder closed.
// Open then finds the renamed file, and refuses the others as before.
func TestOpenQuick(t *testing.T) {
	const uid = 3
	const name = "3.M1P1.host,u=3:2,"
	const want = "Subject: 3\n\nthree\n"
	tests := []struct {
		name    string
		built   bool // entries built by a scan of the directories, not from the index
		change  func(t *testing.T, f *Folder, cur string)
		quickOK bool
		openOK  bool // Open still gives the message
	}{
		{name: "from the index", quickOK: true, openOK: true},
		{name: "scanned", built: true, quickOK: true, openOK: true},
		{name: "renamed by another program", change: func(t *testing.T, f *Folder, cur string) {
			rename(t, filepath.Join(cur, name), filepath.Join(cur, name+"S"))
		}, openOK: true},
		{name: "renamed by another program, scanned", built: true, change: func(t *testing.T, f *Folder, cur string) {
			rename(t, filepath.Join(cur, name), filepath.Join(cur, name+"S"))
		}, openOK: true},
		{name: "removed", change: func(t *testing.T, f *Folder, cur string) {
			if err := os.Remove(filepath.Join(cur, name)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "symbolic link", built: true, change: func(t *testing.T, f *Folder, cur string) {
			secret := filepath.Join(t.TempDir(), "secret")
			writeFile(t, secret, "Subject: secret\n\n", zeroTime)
			if err := os.Remove(filepath.Join(cur, name)); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(secret, filepath.Join(cur, name)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "FIFO", built: true, change: func(t *testing.T, f *Folder, cur string) {
			if err := os.Remove(filepath.Join(cur, name)); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(cur, name), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "closed", change: func(t *testing.T, f *Folder, cur string) {
			f.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, path := indexedFolder(t, nil)
			if tt.built {
				os.Remove(filepath.Join(path, indexFile))
				ageDirs(t, path, time.Hour)
			}
			if mustScan(t, f); f.fromIndex == tt.built {
				t.Fatalf("answered from the index: %v", f.fromIndex)
			}
			if tt.change != nil {
				tt.change(t, f, filepath.Join(path, dirCur))
			}
			done := make(chan struct{})
			var rc io.ReadCloser
			var ok bool
			go func() {
				defer close(done)
				rc, ok = f.OpenQuick(uid)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("OpenQuick blocked")
			}
			if ok != tt.quickOK {
				t.Fatalf("OpenQuick ok = %v, want %v", ok, tt.quickOK)
			}
			if ok {
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || string(b) != want {
					t.Fatalf("OpenQuick read %q, %v; want %q", b, err, want)
				}
			}
			if _, ok := f.OpenQuick(99); ok {
				t.Fatal("OpenQuick opened an unknown message")
			}
			r, err := f.Open(uid)
			if err == nil {
				b, _ := io.ReadAll(r)
				r.Close()
				if string(b) != want {
					t.Fatalf("Open read %q, want %q", b, want)
				}
			}
			if (err == nil) != tt.openOK {
				t.Fatalf("Open: %v, want it to succeed: %v", err, tt.openOK)
			}
		})
	}
}
