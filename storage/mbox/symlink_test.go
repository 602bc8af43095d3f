//go:build unix

package mbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestSymlinkOrFIFONamedLikeMailbox (issue 8 item 11): a symbolic link
// or a FIFO where the mbox file should be is no mailbox, is never
// followed or waited on, and opening it says what it is; a link or FIFO
// put there while a Folder is open is refused too.
func TestSymlinkOrFIFONamedLikeMailbox(t *testing.T) {
	d := testDriver(t, Options{})
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte(imap4dMbox), 0o600)
	link := filepath.Join(dir, "INBOX")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, fifo} {
		if d.Is(p) {
			t.Errorf("Is(%s) = true", filepath.Base(p))
		}
		_, err := d.Open(p, 0o600)
		if !errors.Is(err, storage.ErrNoMailbox) || !errors.Is(err, errNotRegular) {
			t.Errorf("Open(%s): %v", filepath.Base(p), err)
		}
		if _, err := d.lock(p, true); !errors.Is(err, errNotRegular) {
			t.Errorf("lock(%s): %v", filepath.Base(p), err)
		}
	}
	if _, err := d.Open(link, 0o600); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Open of a link says %v", err)
	}

	// Replaced by a link while open.
	path := filepath.Join(dir, "box")
	os.WriteFile(path, []byte(imap4dMbox), 0o600)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	os.Rename(path, path+".real")
	os.Symlink(secret, path)
	if _, err := f.Scan(); !errors.Is(err, errNotRegular) {
		t.Errorf("Scan of a link: %v", err)
	}
	if _, err := f.Append(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate); !errors.Is(err, errNotRegular) {
		t.Errorf("Append to a link: %v", err)
	}
	if readFile(t, secret) != imap4dMbox {
		t.Error("the link's target changed")
	}
	os.Remove(path)
	syscall.Mkfifo(path, 0o600)
	if _, err := f.Scan(); !errors.Is(err, errNotRegular) {
		t.Errorf("Scan of a FIFO: %v", err)
	}
	if _, err := f.Open(1); err == nil {
		t.Error("Open read a message from a FIFO")
	}
}

// TestSymlinkedSidecars (issue 8 item 11): a link where the sidecar
// index, the lock or an own file should be is never followed: the index
// is not read through it, and the files written beside the mailbox never
// write through it.
func TestSymlinkedSidecars(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	dir := filepath.Dir(path)
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o600)
	// An index from another mailbox, through a link.
	other := writeMbox(t, msgText("other"))
	g := mustOpen(t, d, other)
	mustScan(t, g)
	g.Close()
	os.Symlink(indexPath(other), indexPath(path))
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	if f.parses != 1 || s.UIDValidity != 1795729968 {
		t.Errorf("read through a linked index: %d parses, UIDVALIDITY %d", f.parses, s.UIDValidity)
	}
	// The lock's pid file, and a FIFO as the lock: no hang, no write.
	os.Symlink(victim, path+".lock")
	if _, err := d.lock(path, true); err == nil {
		t.Error("locked through a linked lock file")
	}
	os.Remove(path + ".lock")
	syscall.Mkfifo(path+".lock", 0o600)
	if _, err := d.lock(path, true); err == nil {
		t.Error("locked with a FIFO as the lock file")
	}
	os.Remove(path + ".lock")
	// A rewrite writes its own files, and replaces the linked index.
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(indexPath(path)); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("index after a rewrite: %v, %v", fi.Mode(), err)
	}
	if readFile(t, victim) != "precious" {
		t.Error("written through a link")
	}
}
