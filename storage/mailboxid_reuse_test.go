package storage

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestMailboxIDCacheInodeReuse: idFiles must not take a replaced
// identifier file for the one it read. Every writer replaces the file
// (writeFileAtomic), and ext4 hands the freed inode number to the next
// file created: after replacements of equal size ("foo" renamed to "bar",
// then to "baz") the file can have the inode it was read under, and with
// a coarse clock (ext4 before Linux 6.13, NFS; simulated here by Chtimes
// for the modification time) the same times. The change time, which no
// program can set, tells them apart here; on a coarse clock, where it
// could not, a file is kept only once its times are idFileSettle old.
// Found by a review (a stale map answered "foo" with baz's identifier).
func TestMailboxIDCacheInodeReuse(t *testing.T) {
	p := filepath.Join(t.TempDir(), mailboxIDName)
	write := func(name string) {
		t.Helper()
		ids := map[string]mailboxID{name: {value: "M1", uidValidity: 7}}
		if err := writeFileAtomic(p, formatMailboxIDs(ids), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("foo")
	var c idFiles
	if ids, ok := c.read(p); !ok || ids["foo"].value != "M1" {
		t.Fatalf("first read: %v %v", ids, ok)
	}
	a, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	// Renames back and forth, of equal size, until the inode comes back.
	reused := false
	for i := 0; i < 50 && !reused; i++ {
		write("bar")
		write("baz")
		b, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		reused = a.Sys().(*syscall.Stat_t).Ino == b.Sys().(*syscall.Stat_t).Ino
	}
	if !reused {
		t.Skip("the file system did not reuse the inode")
	}
	// Both replacements within one tick of a coarse clock.
	if err := os.Chtimes(p, a.ModTime(), a.ModTime()); err != nil {
		t.Fatal(err)
	}
	ids, _ := c.read(p)
	if _, ok := ids["foo"]; ok || ids["baz"].value != "M1" {
		t.Errorf("the cache answers %v for a file that holds only baz", ids)
	}
}
