//go:build unix

package mh

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenQuick: OpenQuick opens message uid's file without the Status:
// fields that GNU imap4d keeps flags in, as Open does, and says it cannot
// (for Open to say why) when the file is gone, was replaced by a symbolic
// link or a FIFO (never followed, never waited on), or the folder is
// closed.
func TestOpenQuick(t *testing.T) {
	const want = "Subject: mine\n\nbody\n"
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "Subject: secret\n\n", testNow())
	tests := []struct {
		name   string
		change func(t *testing.T, f *Folder, file string)
		ok     bool
	}{
		{name: "untouched", ok: true},
		{name: "removed", change: func(t *testing.T, f *Folder, file string) {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "symbolic link", change: func(t *testing.T, f *Folder, file string) {
			os.Remove(file)
			if err := os.Symlink(secret, file); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "FIFO", change: func(t *testing.T, f *Folder, file string) {
			os.Remove(file)
			if err := syscall.Mkfifo(file, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "closed", change: func(t *testing.T, f *Folder, file string) { f.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": "Subject: mine\nStatus: RO\n\nbody\n"})
			f := mustOpen(t, testDriver(), path)
			mustScan(t, f)
			if tt.change != nil {
				tt.change(t, f, filepath.Join(path, "1"))
			}
			done := make(chan struct{})
			var rc io.ReadCloser
			var ok bool
			go func() {
				defer close(done)
				rc, ok = f.OpenQuick(1)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("OpenQuick blocked")
			}
			if ok != tt.ok {
				t.Fatalf("OpenQuick ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(b) != want {
				t.Fatalf("OpenQuick read %q, %v; want %q", b, err, want)
			}
			if got := readAll(t, f, 1); got != want {
				t.Fatalf("Open read %q, want %q", got, want)
			}
		})
	}
}
