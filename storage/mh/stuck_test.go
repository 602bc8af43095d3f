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
