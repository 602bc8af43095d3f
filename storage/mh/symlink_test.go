//go:build unix

package mh

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestSymlinkedMessage: a symbolic link or a FIFO with a message number
// for a name is never read as a message (issue 8, item 11): a scan does
// not list it (nor hang on the FIFO), and Open refuses a message file
// that was replaced by one after the scan.
func TestSymlinkedMessage(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "Subject: secret\n\nroot's mail\n", testNow())
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	appendMsg(t, f, "Subject: mine\r\n\r\n")
	if err := os.Symlink(secret, filepath.Join(path, "2")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(path, "3"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Folder{f, mustOpen(t, testDriver(), path)} {
		s := mustScan(t, g)
		if len(s.Messages) != 1 || s.Messages[0].UID != 1 {
			t.Fatalf("scan lists %+v; want only the appended message", s.Messages)
		}
		if got := readAll(t, g, 1); got != "Subject: mine\n\n" {
			t.Errorf("message is %q", got)
		}
	}
	for _, replace := range []func(string) error{
		func(p string) error { return os.Symlink(secret, p) },
		func(p string) error { return syscall.Mkfifo(p, 0o600) },
	} {
		file := filepath.Join(path, "1")
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := replace(file); err != nil {
			t.Fatal(err)
		}
		r, err := f.Open(1)
		if err == nil {
			r.Close()
			t.Fatal("Open served a file that is not a regular file")
		}
		if !errors.Is(err, storage.ErrNoMessage) {
			t.Errorf("Open = %v; want ErrNoMessage", err)
		}
	}
}

// TestSymlinkedSequences: .mh_sequences is not read through a symbolic
// link, nor waited on when it is a FIFO.
func TestSymlinkedSequences(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "Junk: 1\n", testNow())
	for _, make := range []func(string) error{
		func(p string) error { return os.Symlink(secret, p) },
		func(p string) error { return syscall.Mkfifo(p, 0o600) },
	} {
		path := mkFolder(t, map[string]string{"1": "Subject: a\n\n"})
		if err := make(filepath.Join(path, seqFile)); err != nil {
			t.Fatal(err)
		}
		if s, err := mustOpen(t, testDriver(), path).Scan(); err == nil {
			t.Errorf("scan = %+v; want an error", s)
		}
	}
}
