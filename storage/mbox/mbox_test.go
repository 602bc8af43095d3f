package mbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

func TestIs(t *testing.T) {
	dir := t.TempDir()
	d := testDriver(t, Options{})
	files := map[string]string{
		"empty":        "",
		"mbox":         "From a@b Mon Nov  6 10:00:00 2023\n\n",
		"text":         "Subject: x\n",
		"short":        "From",
		"INBOX.lock":   "",
		".INBOX.mgidx": "",
	}
	want := map[string]bool{"empty": true, "mbox": true}
	for name, content := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	for name := range files {
		if got := d.Is(filepath.Join(dir, name)); got != want[name] {
			t.Errorf("Is(%s) = %v", name, got)
		}
	}
	if d.Is(filepath.Join(dir, "sub")) || d.Is(filepath.Join(dir, "missing")) {
		t.Error("a directory or a missing file is an mbox")
	}
	if d.Internal("cur") || d.Name() != "mbox" {
		t.Error("Internal or Name")
	}
}

func TestCreateDelete(t *testing.T) {
	d := testDriver(t, Options{})
	path := filepath.Join(t.TempDir(), "a", "b", "box")
	if err := d.Create(path, 0o660); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o660 || fi.Size() != 0 {
		t.Fatalf("created %v, %v", fi.Mode(), err)
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm()&^0o770 != 0 || fi.Mode().Perm()&0o700 != 0o700 {
		t.Errorf("parent mode %v", fi.Mode())
	}
	if err := d.Create(path, 0o600); !errors.Is(err, storage.ErrExists) {
		t.Errorf("second Create: %v", err)
	}
	f := mustOpen(t, d, path)
	if _, err := f.Append(strings.NewReader("Subject: x\n\nbody\n"), nil, testDate); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := os.Stat(indexPath(path)); err != nil {
		t.Fatalf("no index: %v", err)
	}
	if err := d.Delete(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, indexPath(path), path + ".lock"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there", p)
		}
	}
	if err := d.Delete(path); !errors.Is(err, storage.ErrNoMailbox) {
		t.Errorf("second Delete: %v", err)
	}
	if _, err := d.Open(path, 0o600); !errors.Is(err, storage.ErrNoMailbox) {
		t.Errorf("Open of a missing mailbox: %v", err)
	}
}

// TestMailboxGone: a mailbox deleted under an open Folder gives errors,
// not panics.
func TestMailboxGone(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	os.Remove(path)
	if _, err := f.Scan(); !errors.Is(err, storage.ErrNoMailbox) {
		t.Errorf("Scan: %v", err)
	}
	if _, err := f.Open(1); err == nil {
		t.Error("Open worked")
	}
	if err := f.Expunge([]uint32{1}); err == nil {
		t.Error("Expunge worked")
	}
	f.Close()
	if _, err := f.Scan(); !errors.Is(err, errClosed) {
		t.Errorf("Scan after Close: %v", err)
	}
}
