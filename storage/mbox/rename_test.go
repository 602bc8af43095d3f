package mbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// fixedClock is a Now that never moves: every UIDVALIDITY taken from the
// clock alone would be the same.
func fixedClock() time.Time { return time.Unix(1_700_000_000, 0) }

func appendText(t *testing.T, f storage.Folder, subject string) storage.Message {
	t.Helper()
	m, err := f.Append(strings.NewReader("Subject: "+subject+"\r\n\r\nbody\r\n"), nil, testDate)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// twoMessages creates the mailbox at path and appends two messages.
func twoMessages(t *testing.T, d *Driver, path string) storage.Snapshot {
	t.Helper()
	if err := d.Create(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, d, path)
	appendText(t, f, "one")
	appendText(t, f, "two")
	s := mustScan(t, f)
	f.Close()
	return s
}

// TestUIDValidityNeverRepeats (issue 8 item 4): DELETE and CREATE of the
// same name within one second give another UIDVALIDITY; the driver takes
// it from Options.UIDValidity when set.
func TestUIDValidityNeverRepeats(t *testing.T) {
	for _, name := range []string{"clock", "allocator"} {
		t.Run(name, func(t *testing.T) {
			opts := Options{Now: fixedClock}
			next := uint32(500)
			if name == "allocator" {
				opts.UIDValidity = func() uint32 { next++; return next }
			}
			d := testDriver(t, opts)
			path := filepath.Join(t.TempDir(), "x")
			seen := map[uint32]bool{}
			for range 3 {
				if err := d.Create(path, 0o600); err != nil {
					t.Fatal(err)
				}
				f := mustOpen(t, d, path)
				empty := mustScan(t, f)
				appendText(t, f, "one")
				s := mustScan(t, f)
				if s.UIDValidity != empty.UIDValidity || s.Messages[0].UID != 1 {
					t.Fatalf("empty mailbox: UIDVALIDITY %d; after APPEND %d, UID %d", empty.UIDValidity, s.UIDValidity, s.Messages[0].UID)
				}
				if seen[s.UIDValidity] {
					t.Fatalf("UIDVALIDITY %d given twice", s.UIDValidity)
				}
				if name == "allocator" && s.UIDValidity != next {
					t.Errorf("UIDVALIDITY %d; the allocator gave %d", s.UIDValidity, next)
				}
				seen[s.UIDValidity] = true
				f.Close()
				if err := d.Delete(path); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestRenameCarriesSidecars (issue 8 item 5): CREATE x, two APPENDs,
// RENAME x y, DELETE y, CREATE x: the next APPEND is UID 1 under a new
// UIDVALIDITY. Rename moves the index with the file; Delete leaves
// nothing of mailgate's.
func TestRenameCarriesSidecars(t *testing.T) {
	d := testDriver(t, Options{Now: fixedClock})
	dir := t.TempDir()
	x, y := filepath.Join(dir, "x"), filepath.Join(dir, "y")
	before := twoMessages(t, d, x)
	os.WriteFile(cachePath(x), []byte("cache"), 0o600)
	for _, p := range ftsPaths(x) {
		os.WriteFile(p, []byte("full-text index"), 0o600)
	}
	if err := d.Rename(x, y); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{x, indexPath(x), cachePath(x), ftsPaths(x)[0], ftsPaths(x)[1]} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", p)
		}
	}
	for _, p := range []string{y, indexPath(y), cachePath(y), ftsPaths(y)[0], ftsPaths(y)[1]} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s not moved: %v", p, err)
		}
	}
	g := mustOpen(t, d, y)
	sameSnapshot(t, mustScan(t, g), before)
	g.Close()
	if err := d.Rename(y, y); !errors.Is(err, storage.ErrExists) {
		t.Errorf("Rename onto an existing name: %v", err)
	}
	if err := d.Delete(y); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left after Delete: %v", entries)
	}
	if err := d.Create(x, 0o600); err != nil {
		t.Fatal(err)
	}
	h := mustOpen(t, d, x)
	m := appendText(t, h, "three")
	s := mustScan(t, h)
	if m.UID != 1 || s.UIDValidity == before.UIDValidity {
		t.Errorf("APPENDUID %d %d; the old mailbox had %d", s.UIDValidity, m.UID, before.UIDValidity)
	}
}

// TestStaleSidecarNotTrusted (issue 8 item 5): a sidecar index left by
// another file of the same name (renamed with os.Rename, as the core
// did) is not trusted: an empty new file goes on with its numbering
// (none of its UIDs is shown again, and an empty mbox has nowhere else to
// keep its UIDVALIDITY across a crash: TestEmptyMailboxKeepsValidity); a
// file whose X-IMAPbase has another UIDVALIDITY gets the file's
// UIDs; one with the index's UIDVALIDITY keeps the UIDs the index gave.
func TestStaleSidecarNotTrusted(t *testing.T) {
	d := testDriver(t, Options{Now: fixedClock})
	dir := t.TempDir()
	x := filepath.Join(dir, "x")
	old := twoMessages(t, d, x)
	index, _ := os.ReadFile(indexPath(x))

	t.Run("empty new file", func(t *testing.T) {
		os.Rename(x, filepath.Join(dir, "gone"))
		os.Remove(filepath.Join(dir, "gone"))
		if err := d.Create(x, 0o600); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(indexPath(x), index, 0o600)
		g := mustOpen(t, d, x)
		s := mustScan(t, g)
		m := appendText(t, g, "new")
		if s.UIDValidity != old.UIDValidity || s.UIDNext != old.UIDNext || m.UID != old.UIDNext {
			t.Errorf("new mailbox: UIDVALIDITY %d UIDNEXT %d, APPENDUID %d; the old one had %d",
				s.UIDValidity, s.UIDNext, m.UID, old.UIDValidity)
		}
		g.Close()
	})
	t.Run("another X-IMAPbase", func(t *testing.T) {
		os.WriteFile(x, []byte(imap4dMbox), 0o600)
		os.WriteFile(indexPath(x), index, 0o600)
		g := mustOpen(t, d, x)
		s := mustScan(t, g)
		if s.UIDValidity != 1795729968 || uidsOf(s)[0] != 1 || s.UIDNext != 5 {
			t.Errorf("UIDVALIDITY %d UIDs %v UIDNEXT %d", s.UIDValidity, uidsOf(s), s.UIDNext)
		}
		g.Close()
	})
	t.Run("same X-IMAPbase, UIDs in the index only", func(t *testing.T) {
		// The file as it was, with a delivered message the index
		// numbered, and an X-UID the file lost.
		var b strings.Builder
		d2 := testDriver(t, Options{})
		os.WriteFile(x, []byte(imap4dMbox), 0o600)
		os.Remove(indexPath(x))
		g := mustOpen(t, d2, x)
		mustScan(t, g)
		appendFile(t, x, msgText("delivered"))
		s := mustScan(t, g)
		g.Close()
		index, _ := os.ReadFile(indexPath(x))
		// Another program rewrites the file unchanged: a new inode.
		b.WriteString(readFile(t, x))
		os.Remove(x)
		os.WriteFile(x, []byte(b.String()), 0o600)
		os.WriteFile(indexPath(x), index, 0o600)
		h := mustOpen(t, d2, x)
		sameSnapshot(t, mustScan(t, h), s)
	})
}
