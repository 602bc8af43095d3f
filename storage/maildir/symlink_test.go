//go:build unix

package maildir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSymlinkedMessage: a symbolic link or a FIFO named like a message
// file is never read as a message (issue 8, item 11): a scan does not list
// it (nor hang on the FIFO), and Open refuses a message file that was
// replaced by one after the scan.
func TestSymlinkedMessage(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "Subject: secret\n\nroot's mail\n", zeroTime)
	odd := []struct {
		name string
		make func(path string) error
	}{
		{"cur/1700000000.M1P1.host,S=20,W=21,u=1:2,S", func(p string) error { return os.Symlink(secret, p) }},
		{"cur/1700000001.M1P1.host:2,S", func(p string) error { return os.Symlink(secret, p) }},
		{"new/1700000002.M1P1.host", func(p string) error { return os.Symlink(secret, p) }},
		{"cur/1700000003.M1P1.host,W=5,u=3:2,", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"new/1700000004.M1P1.host", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
	}
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	if _, err := f.Append(strings.NewReader("Subject: mine\r\n\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range odd {
		if err := o.make(filepath.Join(path, o.name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []*Folder{f, mustOpen(t, testDriver(), path)} {
		s := mustScan(t, g)
		if len(s.Messages) != 1 {
			t.Fatalf("scan lists %+v; want only the appended message", s.Messages)
		}
		if got := readAll(t, g, s.Messages[0].UID); got != "Subject: mine\n\n" {
			t.Errorf("message is %q", got)
		}
	}

	// The file of a listed message becomes a symlink, then a FIFO.
	uid := mustScan(t, f).Messages[0].UID
	file := filepath.Join(path, dirNew, f.find(uid).name)
	for _, replace := range []func() error{
		func() error { return os.Symlink(secret, file) },
		func() error { return syscall.Mkfifo(file, 0o600) },
	} {
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := replace(); err != nil {
			t.Fatal(err)
		}
		r, err := f.Open(uid)
		if err == nil {
			r.Close()
			t.Fatal("Open served a file that is not a regular file")
		}
		if !errors.Is(err, storage.ErrNoMessage) {
			t.Errorf("Open = %v; want ErrNoMessage", err)
		}
	}
}

// TestSymlinkedMetadata: dovecot-keywords and the index file are not
// followed when they are symbolic links, nor waited on when FIFOs.
func TestSymlinkedMetadata(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "0 secret\n", zeroTime)
	path := mkMaildir(t, map[string]string{"cur/1700000000.M1P1.host:2,a": "Subject: a\n\n"})
	if err := os.Symlink(secret, filepath.Join(path, keywordsFile)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{indexFile, uidListFile} {
		if err := syscall.Mkfifo(filepath.Join(path, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := mustScan(t, mustOpen(t, testDriver(), path))
	if len(s.Messages) != 1 || len(s.Messages[0].Flags) != 0 {
		t.Errorf("scan = %+v; want one message without the symlinked keyword", s.Messages)
	}
}
