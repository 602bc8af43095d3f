//go:build unix

package fsutil

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg := filepath.Join(dir, "1")
	if err := os.WriteFile(msg, []byte("Subject: hi\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "2")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "3"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "4"), 0o700); err != nil {
		t.Fatal(err)
	}
	f, fi, err := OpenRegular(msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "Subject: hi\n\nbody\n" || fi.Size() != int64(len(b)) {
		t.Errorf("read %q, size %d", b, fi.Size())
	}
	// A FIFO without a writer would block a plain open forever.
	for _, name := range []string{"2", "3", "4"} {
		if f, _, err := OpenRegular(filepath.Join(dir, name)); !errors.Is(err, ErrNotRegular) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v; want ErrNotRegular", name, err)
		}
	}
	if _, _, err := OpenRegular(filepath.Join(dir, "5")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
