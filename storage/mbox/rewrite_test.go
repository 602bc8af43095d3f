package mbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestCrashBeforeRename: a rewrite that fails between writing the
// temporary file and renaming it leaves the mailbox as it was.
func TestCrashBeforeRename(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	before := mustScan(t, f)
	orig := readFile(t, path)
	var tmpSeen bool
	f.beforeRename = func() error {
		matches, _ := filepath.Glob(tempPrefix(path) + "*")
		tmpSeen = len(matches) == 1
		return errors.New("simulated crash")
	}
	if err := f.Expunge([]uint32{1, 3}); err == nil {
		t.Fatal("Expunge succeeded")
	}
	if !tmpSeen {
		t.Error("no temporary file before the rename")
	}
	if readFile(t, path) != orig {
		t.Fatal("the mailbox changed")
	}
	sameSnapshot(t, mustScan(t, f), before)

	// A temporary file left by a real crash is ignored, then removed.
	leftover := tempPrefix(path) + ".4242"
	if err := os.WriteFile(leftover, []byte("From junk Mon Nov  6 10:00:00 2023\n\npartial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d.Is(leftover) {
		t.Error("a temporary file counts as a mailbox")
	}
	g := mustOpen(t, d, path)
	sameSnapshot(t, mustScan(t, g), before)
	if err := g.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Error("the leftover temporary file is still there")
	}
	if s := mustScan(t, g); !slices.Equal(uidsOf(s), []uint32{1, 4}) {
		t.Errorf("UIDs %v", uidsOf(s))
	}
}

// TestRewriteKeepsMode: the new file has the old one's mode.
func TestRewriteKeepsMode(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	os.Chmod(path, 0o660)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
}

// TestSalvage: a program that opened the mailbox before a rewrite and
// appends to the replaced file after it does not lose its message.
func TestSalvage(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	late, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	if _, err := late.WriteString("\n" + msgText("late")); err != nil {
		t.Fatal(err)
	}
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 4, 5}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	if got := readAll(t, f, 5); got != "Subject: late\n\nbody of late\n" {
		t.Errorf("salvaged message %q", got)
	}
	checkCold(t, d, f)
}
