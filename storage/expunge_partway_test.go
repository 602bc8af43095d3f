package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestExpungePartwayTellsViews: an EXPUNGE of three \Deleted messages
// fails at the second, whose file another program replaced with a
// directory that cannot be removed. The first file is gone by then: the
// EXPUNGE must fail, and every view must still hear that message 1 is
// gone (and message 2, which has no file left), not keep a message whose
// file is gone until some later re-read; message 3 stays.
func TestExpungePartwayTellsViews(t *testing.T) {
	dir, v, other := deletedInbox(t, 3)
	uids := v.UIDs()
	f := findFile(t, dir, 2)
	failExpungeAt(t, f, nil)
	if err := v.Expunge(nil, false); err == nil {
		t.Fatal("EXPUNGE succeeded with a directory in the way")
	}
	if _, err := os.Stat(findFile(t, dir, 3)); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M1P1*")); len(files) != 0 {
		t.Fatalf("message 1's file is still there: %q", files)
	}
	for name, view := range map[string]*storage.View{"the expunging view": v, "another view": other} {
		got := pollOnce(view)
		if strings.Count(got, "EXPUNGE 1") != 2 {
			t.Errorf("%s was told %q, want EXPUNGE 1 twice (messages 1 and 2)", name, got)
		}
		if left := view.UIDs(); !slices.Equal(left, uids[2:]) {
			t.Errorf("%s has UIDs %v, want %v", name, left, uids[2:])
		}
		if _, _, err := view.Open(uids[2]); err != nil {
			t.Errorf("%s: message 3: %v", name, err)
		}
		if _, _, err := view.Open(uids[0]); !errors.Is(err, storage.ErrNoMessage) {
			t.Errorf("%s: message 1: %v, want ErrNoMessage", name, err)
		}
	}
}

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
	dir, v, other := deletedInbox(t, 4)
	uids := v.UIDs()
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

// TestExpungePartwayRefreshFails: the EXPUNGE fails part way, and
// so does the re-read after it (another program replaced new/ with a
// file). Once new/ is back, the re-read retried in the background must
// tell the views that message 1 is gone, without another command.
func TestExpungePartwayRefreshFails(t *testing.T) {
	dir, v, _ := deletedInbox(t, 3)
	f2 := findFile(t, dir, 2)
	failExpungeAt(t, f2, replaceNew(dir))
	newDir := filepath.Join(dir, "new")
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

// deletedInbox makes alice's INBOX a quiet maildir of n messages,
// selects it in two settled views, flags every message \Deleted and has
// both views hear of it; it returns the maildir's path and the views.
func deletedInbox(t *testing.T, n int) (dir string, v, other *storage.View) {
	t.Helper()
	_, a, root := newAccount(t)
	dir = writeQuietMaildir(t, root, n)
	v = selectSettled(t, a)
	other = selectSettled(t, a)
	if _, err := v.Store(v.UIDs(), storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	pollOnce(v)
	pollOnce(other)
	return dir, v, other
}

// writeMH makes an MH folder at dir as another program would: an empty
// .mh_sequences and the given files, name -> content.
func writeMH(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".mh_sequences"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// failExpungeAt makes the next expunge of any mailbox fail at file: just
// before the folder removes its messages, another program puts a
// non-empty directory in the file's place, which cannot be removed, and
// then runs also (when not nil). Later expunges are left alone.
func failExpungeAt(t *testing.T, file string, also func()) {
	t.Helper()
	var once sync.Once
	t.Cleanup(storage.SetExpungeHook(func() {
		once.Do(func() {
			os.Remove(file)
			if err := os.MkdirAll(filepath.Join(file, "x"), 0o700); err != nil {
				t.Error(err)
			}
			if also != nil {
				also()
			}
		})
	}))
}
