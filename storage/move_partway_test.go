package storage_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMovePartwayNeverLosesMoved: a MOVE between two maildirs renames the
// files into the destination, then expunges the sources; here that
// expunge fails (a directory where message 2's file was) and so does the
// re-read after it (another program replaced new/ with a file), so the
// source still lists every message. Taking back the destination's copies
// of messages "still in the source" would then remove the only copy of
// each: every message must be left in the destination.
func TestMovePartwayNeverLosesMoved(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	if err := a.Create("Dest"); err != nil {
		t.Fatal(err)
	}
	v := selectSettled(t, a)
	uids := v.UIDs()
	f2 := findFile(t, dir, 2)
	newDir := filepath.Join(dir, "new")
	failExpungeAt(t, f2, func() {
		os.RemoveAll(newDir)
		os.WriteFile(newDir, []byte("not a directory"), 0o600)
	})
	_, src, dst, err := a.Move(v, uids, "Dest")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	w, err := a.Select("Dest", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n := len(w.UIDs()); n != len(uids) {
		files, _ := filepath.Glob(filepath.Join(root, "alice", "Dest", "*", "*"))
		t.Fatalf("the destination holds %d messages, want all %d (files %q)", n, len(uids), files)
	}
}
