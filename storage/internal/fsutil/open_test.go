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

// openFixtures makes a directory holding a message file (1, returned
// as msg), a symbolic link to a file outside it (2), a FIFO (3) and a
// directory (4).
func openFixtures(t *testing.T) (dir, msg string) {
	t.Helper()
	dir = t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	msg = filepath.Join(dir, "1")
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
	return dir, msg
}

func TestOpenRegular(t *testing.T) {
	dir, msg := openFixtures(t)
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

func TestOpenShort(t *testing.T) {
	dir, msg := openFixtures(t)
	f, err := OpenShort(msg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "Subject: hi\n\nbody\n" {
		t.Errorf("read %q, %v", b, err)
	}
	if err := f.Close(); err != nil {
		t.Error(err)
	}
	if err := f.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	// A FIFO without a writer would block a plain open forever.
	for _, name := range []string{"2", "3", "4"} {
		if f, err := OpenShort(filepath.Join(dir, name)); !errors.Is(err, ErrNotRegular) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v; want ErrNotRegular", name, err)
		}
	}
	if _, err := OpenShort(filepath.Join(dir, "5")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// ReadSmall reads what os.ReadFile reads, a symbolic link included, and
// refuses what would make a read block or mean nothing.
func TestReadSmall(t *testing.T) {
	dir, msg := openFixtures(t)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	big := filepath.Join(dir, "big")
	bigData := make([]byte, 70_000)
	for i := range bigData {
		bigData[i] = byte('a' + i%26)
	}
	os.WriteFile(big, bigData, 0o600)
	for _, tc := range []struct {
		name string
		want string
		err  error
	}{
		{msg, "Subject: hi\n\nbody\n", nil},
		{empty, "", nil},
		{big, string(bigData), nil},
		{filepath.Join(dir, "2"), "secret", nil}, // followed, as os.ReadFile does
		{filepath.Join(dir, "3"), "", ErrNotRegular},
		{filepath.Join(dir, "4"), "", ErrNotRegular},
		{filepath.Join(dir, "missing"), "", fs.ErrNotExist},
	} {
		got, err := ReadSmall(tc.name)
		switch {
		case tc.err != nil && !errors.Is(err, tc.err):
			t.Errorf("%s: %v; want %v", filepath.Base(tc.name), err, tc.err)
		case tc.err == nil && (err != nil || string(got) != tc.want):
			t.Errorf("%s: %d bytes, %v; want %d bytes", filepath.Base(tc.name), len(got), err, len(tc.want))
		}
	}
}

// OpenLocked opens or makes a regular file and locks it; what another
// user could plant under a state file's name (a symbolic link, a FIFO,
// a directory) is refused at once, never opened, followed or waited on.
func TestOpenLocked(t *testing.T) {
	dir, msg := openFixtures(t)
	for _, name := range []string{msg, filepath.Join(dir, "new")} {
		f, err := OpenLocked(name, 0o640)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The lock is exclusive: another open file description cannot
		// take it while f is open.
		g, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(g.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Errorf("%s: a second lock: %v, want EWOULDBLOCK", name, err)
		}
		g.Close()
		if _, err := f.WriteAt([]byte("x"), 0); err != nil {
			t.Errorf("%s: write: %v", name, err)
		}
		f.Close()
	}
	if fi, err := os.Stat(filepath.Join(dir, "new")); err != nil || fi.Mode().Perm() != 0o640&^fs.FileMode(umask()) {
		t.Errorf("made file: %v, %v", fi, err)
	}
	for _, name := range []string{"2", "3", "4"} {
		if f, err := OpenLocked(filepath.Join(dir, name), 0o600); !errors.Is(err, ErrNotRegular) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v; want ErrNotRegular", name, err)
		}
	}
}

// umask returns the process's file mode creation mask.
func umask() int {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m
}
