//go:build linux

package mh

import (
	"os"
	"slices"
	"testing"
)

// TestStuckReadOnlyNoCollision: a shared folder that a reader may only
// read; its owner runs sortm. The reader's process cannot renumber the
// moved files; the owner's daemon, which had the folder open, then
// delivers a message under the next UID. No UID may name one message in
// the reader's session and another in the next process under one
// UIDVALIDITY: the reader shows the folder under a UIDVALIDITY of its
// own. As root it runs as another user.
func TestStuckReadOnlyNoCollision(t *testing.T) {
	if runAsOtherUser(t) {
		return
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong, "3": msgB})
	owner := mustOpen(t, testDriver(), path) // the daemon
	mustScan(t, owner)
	swap(t, path) // the owner's sortm
	if err := os.Chmod(path, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, 0o755) })
	reader := mustOpen(t, testDriver(), path) // the reader's session
	s := mustScan(t, reader)
	seen := map[uint32]string{}
	for _, m := range s.Messages {
		seen[m.UID] = readAll(t, reader, m.UID)
	}
	// The owner's daemon may write; the reader still may not (the
	// mode stands for the reader's permission only).
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, owner, "Subject: delivered after sortm\n\nnew\n")
	g := mustOpen(t, testDriver(), path) // the next session
	defer g.Close()
	next := mustScan(t, g)
	if next.UIDValidity != s.UIDValidity {
		return // clients start anew: nothing to compare
	}
	for _, m := range next.Messages {
		if was, ok := seen[m.UID]; ok && readAll(t, g, m.UID) != was {
			t.Errorf("UID %d: the reader's session and a new process read other messages under UIDVALIDITY %d", m.UID, s.UIDValidity)
		}
	}
}

// TestStuckStickySameUIDs: in a sticky shared folder, files of the
// owner's that the owner's sortm moved, which this user may neither
// link nor rename, get the same UIDs (under the same UIDVALIDITY) in
// every process, and no process raises .mu-prop for them. It needs
// root, which makes the files and swaps them, and runs as another user.
func TestStuckStickySameUIDs(t *testing.T) {
	path, f, ok := stickySortm(t)
	if !ok {
		return
	}
	first := mustScan(t, f)
	p, err := readProps(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		g := mustOpen(t, testDriver(), path)
		s := mustScan(t, g)
		if !slices.Equal(uidsOf(s), uidsOf(first)) || s.UIDValidity != first.UIDValidity {
			t.Errorf("process %d after the first: UIDs %v under %d, the first's %v under %d",
				i+2, uidsOf(s), s.UIDValidity, uidsOf(first), first.UIDValidity)
		}
		g.Close()
	}
	if now, err := readProps(path); err != nil || now.UIDNext != p.UIDNext {
		t.Errorf(".mu-prop's UIDNEXT %d after 4 sessions, %d after the first (%v)", now.UIDNext, p.UIDNext, err)
	}
}

// TestStuckValidityAscends: RFC 3501 section 2.3.1.1 wants a greater
// UIDVALIDITY when UIDs fail to persist. The reader of a folder its
// owner sortm'ed (files it may not rename) sees it under a derived
// UIDVALIDITY above the folder's; once the owner has renumbered the
// files, the folder's own is back, its UIDs naming the messages they
// named under it before. As root it runs as another user.
func TestStuckValidityAscends(t *testing.T) {
	if runAsOtherUser(t) {
		return
	}
	for i := range 8 { // the hash differs by the files' inodes
		path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong, "3": msgB})
		owner := mustOpen(t, testDriver(), path)
		s0 := mustScan(t, owner)
		v0, before := s0.UIDValidity, map[uint32]string{}
		for _, m := range s0.Messages {
			before[m.UID] = readAll(t, owner, m.UID)
		}
		swap(t, path) // the owner's sortm
		if err := os.Chmod(path, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(path, 0o755) })
		reader := mustOpen(t, testDriver(), path)
		v1 := mustScan(t, reader).UIDValidity
		reader.Close()
		if v1 <= v0 || v1 > v0+viewValidityRange {
			t.Errorf("folder %d: derived UIDVALIDITY %d, the folder's %d", i, v1, v0)
		}
		if err := os.Chmod(path, 0o755); err != nil {
			t.Fatal(err)
		}
		mustScan(t, owner) // the owner renumbers the moved files
		owner.Close()
		if err := os.Chmod(path, 0o555); err != nil {
			t.Fatal(err)
		}
		r2 := mustOpen(t, testDriver(), path)
		s2 := mustScan(t, r2)
		if s2.UIDValidity != v0 {
			t.Errorf("folder %d: UIDVALIDITY %d after the owner renumbered, want the folder's %d", i, s2.UIDValidity, v0)
		}
		for _, m := range s2.Messages {
			if was, ok := before[m.UID]; ok && readAll(t, r2, m.UID) != was {
				t.Errorf("folder %d: UID %d under %d names another message than before the sortm", i, m.UID, v0)
			}
		}
		r2.Close()
	}
}
