package storage_test

// Tests of 997773c (an EXPUNGE that fails part way tells views what it
// removed).

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestExpungePartwayModSeqAndKept: an EXPUNGE of four \Deleted
// messages fails at the second (another program put a non-empty
// directory in place of its file) after another program undeleted the
// fourth (renamed its file without T). The re-read must record exactly
// the two messages gone as VANISHED with one HIGHESTMODSEQ step each at
// most, tell each view of them once (a second poll tells nothing), keep
// message 3 (still \Deleted: the EXPUNGE stopped before it) and message
// 4 (undeleted: DeletedExpunger), and leave the modseq of message 3
// alone.
func TestExpungePartwayModSeqAndKept(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 4)
	v := selectSettled(t, a)
	other := selectSettled(t, a)
	uids := v.UIDs()
	if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	pollOnce(v)
	pollOnce(other)
	h0, ok := v.HighestModSeq()
	if !ok {
		t.Skip("no modseqs")
	}
	f2, f4 := findFile(t, dir, 2), findFile(t, dir, 4)
	// Another program puts a directory where message 2's file was, and
	// undeletes message 4 (its T goes).
	failExpungeAt(t, f2, func() {
		if err := os.Rename(f4, strings.TrimSuffix(f4, "T")); err != nil {
			t.Error(err)
		}
	})
	if err := v.Expunge(nil, false); err == nil {
		t.Fatal("EXPUNGE succeeded with a directory in the way")
	}
	runs, complete := v.VanishedSince(h0)
	var vanished []uint32
	for _, r := range runs {
		for u := r.First; u <= r.Last; u++ {
			vanished = append(vanished, u)
		}
	}
	if !complete || !slices.Equal(vanished, uids[:2]) {
		t.Errorf("VANISHED since %d: %v (complete %v), want %v", h0, vanished, complete, uids[:2])
	}
	for name, view := range map[string]*storage.View{"the expunging view": v, "another view": other} {
		got := pollOnce(view)
		if strings.Count(got, "EXPUNGE") != 2 {
			t.Errorf("%s was told %q, want two EXPUNGEs", name, got)
		}
		if again := pollOnce(view); strings.Contains(again, "EXPUNGE") {
			t.Errorf("%s was told the expunges again: %q", name, again)
		}
		if left := view.UIDs(); !slices.Equal(left, uids[2:]) {
			t.Errorf("%s has UIDs %v, want %v", name, left, uids[2:])
		}
	}
	msgs := make([]storage.Message, 2)
	v.Lookup(uids[2:], msgs)
	if !slices.Contains(msgs[0].Flags, storage.FlagDeleted) {
		t.Errorf("message 3 lost \\Deleted: %v", msgs[0].Flags)
	}
	if slices.Contains(msgs[1].Flags, storage.FlagDeleted) {
		t.Errorf("message 4, undeleted by another program, is still \\Deleted: %v", msgs[1].Flags)
	}
	if msgs[0].ModSeq > h0 {
		t.Errorf("message 3's modseq moved from %d to %d: nothing changed it", h0, msgs[0].ModSeq)
	}
	if h, _ := v.HighestModSeq(); h > h0+3 {
		t.Errorf("HIGHESTMODSEQ went from %d to %d for two expunges and one flag change", h0, h)
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

// TestExpungePartwayRefreshFails: the EXPUNGE fails part way, and
// so does the re-read after it (another program replaced new/ with a
// file). Once new/ is back, the re-read retried in the background must
// tell the views that message 1 is gone, without another command.
func TestExpungePartwayRefreshFails(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	uids := v.UIDs()
	if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	pollOnce(v)
	f2 := findFile(t, dir, 2)
	newDir := filepath.Join(dir, "new")
	failExpungeAt(t, f2, func() {
		os.RemoveAll(newDir)
		os.WriteFile(newDir, []byte("not a directory"), 0o600)
	})
	if err := v.Expunge(nil, false); err == nil {
		t.Fatal("EXPUNGE succeeded with a directory in the way")
	}
	got := pollOnce(v)
	t.Logf("told at once: %q", got)
	os.Remove(newDir)
	os.Mkdir(newDir, 0o700)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(got, "EXPUNGE") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got += pollOnce(v)
	}
	if strings.Count(got, "EXPUNGE") != 2 {
		t.Errorf("told %q, want two EXPUNGEs once new/ is back", got)
	}
}
