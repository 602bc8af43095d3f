package storage_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestMovePartwayNeverLosesMoved: a MOVE between two maildirs renames the
// files into the destination, then expunges the sources; here that
// expunge fails (a directory where message 2's file was). Whether the
// re-read after it fails too (another program replaced new/ with a file,
// so the source still lists every message) or succeeds (new/ left alone:
// the re-read decides), the moved files are no longer in the source:
// taking back the destination's copies of messages "still in the source"
// would remove the only copy of each. Every message must be left in the
// destination.
func TestMovePartwayNeverLosesMoved(t *testing.T) {
	for _, tc := range []struct {
		name        string
		breakReread bool
	}{
		{"re-read fails", true},
		{"re-read lists moved", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			if err := a.Create("Dest"); err != nil {
				t.Fatal(err)
			}
			v := selectSettled(t, a)
			uids := v.UIDs()
			var also func()
			if tc.breakReread {
				also = replaceNew(dir)
			}
			failExpungeAt(t, findFile(t, dir, 2), also)
			_, src, dst, err := a.Move(v, uids, "Dest")
			t.Logf("Move: src %v dst %v: %v; src lists %v", src, dst, err, v.UIDs())
			w, err := a.Select("Dest", true)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if n := len(w.UIDs()); n != len(uids) {
				files, _ := filepath.Glob(filepath.Join(root, "alice", "Dest", "*", "*"))
				t.Fatalf("the destination holds %d messages, want all %d (files %q)", n, len(uids), files)
			}
		})
	}
}

// TestMovePartwayCOPYUID: a MOVE from a maildir into an MH folder
// copies the messages (no rename across formats), then expunges them
// from the source; that expunge fails at the second message (another
// program put a directory in place of its file). Move reports src and
// dst with its error, and the IMAP frontend sends them as "* OK
// [COPYUID ...] Moved before the failure": every message it names as
// moved must be gone from the source, or the client, which trusts
// COPYUID, drops its copy of a message that is still there while the
// destination holds another copy of it.
func TestMovePartwayCOPYUID(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	mhBox := filepath.Join(root, "alice", "MHBox")
	if err := os.MkdirAll(mhBox, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mhBox, ".mh_sequences"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	v := selectSettled(t, a)
	uids := v.UIDs()
	f2 := findFile(t, dir, 2)
	failExpungeAt(t, f2, nil) // the source's; the next takes copies back
	_, src, dst, err := a.Move(v, uids, "MHBox")
	if err == nil {
		t.Fatal("MOVE succeeded with a directory in the way")
	}
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	pollOnce(v)
	left := v.UIDs()
	for _, uid := range src {
		if slices.Contains(left, uid) {
			t.Errorf("message %d is reported moved (COPYUID) but is still in the source, and copied into the destination", uid)
		}
	}
	// The messages left in the source have no copy in the destination.
	w, err := a.Select("MHBox", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := w.UIDs(); !slices.Equal(got, dst) {
		t.Errorf("the destination holds %v, want the moved %v alone", got, dst)
	}
	if len(left)+len(src) != len(uids) {
		t.Errorf("%d left in the source and %d moved, of %d", len(left), len(src), len(uids))
	}
}

// replaceNew returns another program's change that replaces the new/ of
// the maildir at dir with a file, so that no re-read of it succeeds
// until new/ is a directory again.
func replaceNew(dir string) func() {
	newDir := filepath.Join(dir, "new")
	return func() {
		os.RemoveAll(newDir)
		os.WriteFile(newDir, []byte("not a directory"), 0o600)
	}
}
