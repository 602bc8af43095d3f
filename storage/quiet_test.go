package storage_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestLargeStoreSeesOthersChanges: a STORE on most of a large maildir
// runs with the watch on new/ and cur/ lifted (storage/quiet.go). What
// other programs do meanwhile (mutt flags a message, a delivery arrives)
// still reaches every view, and the watch is back afterwards.
func TestLargeStoreSeesOthersChanges(t *testing.T) {
	const n = 600
	_, a, root := newAccount(t)
	dir := filepath.Join(root, "alice", "INBOX")
	writeMaildir(t, dir, n)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	other, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Count() != n {
		t.Fatalf("%d messages, want %d", other.Count(), n)
	}
	last := fmt.Sprintf("1700000000.M%dP1.host", n)
	lifted := false
	defer storage.SetQuietHook(func() {
		lifted = true
		// mutt marks the last message seen, and a message is delivered.
		files, _ := filepath.Glob(filepath.Join(dir, "cur", last+"*"))
		if len(files) != 1 {
			t.Errorf("the last message's file: %q", files)
			return
		}
		if err := os.Rename(files[0], files[0]+"S"); err != nil {
			t.Error(err)
		}
		deliver(t, dir, "1700000001.x.host")
	})()
	uids := v.UIDs()[:n-1]
	changed, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged})
	if err != nil || len(changed) != n-1 {
		t.Fatalf("STORE: %d changed, %v", len(changed), err)
	}
	if !lifted {
		t.Fatal("the watch was not lifted for a STORE on 599 of 600 messages")
	}
	want := []string{"EXISTS 601", "FLAGS 600 \\Seen"}
	waitEvents(t, other, want, func(ev string) bool { return !strings.HasSuffix(ev, " \\Flagged") })
	// Watched again: a later delivery is noticed as it happens.
	deliver(t, dir, "1700000002.x.host")
	waitEvents(t, other, []string{"EXISTS 602"}, nil)
	var r recorder
	v.Poll(true, &r)
	if got := strings.Join(r.events, ";"); !strings.Contains(got, "EXISTS 602") || !strings.Contains(got, "FLAGS 600 \\Seen") {
		t.Errorf("the view that stored was told %q", got)
	}
}

// deliver puts a message into dir's new/ as a delivery agent does.
func deliver(t *testing.T, dir, name string) {
	t.Helper()
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, []byte("Subject: new\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// waitEvents polls v until it has reported every event of want, among
// those keep accepts (all when nil), or fails after 5 s.
func waitEvents(t *testing.T, v *storage.View, want []string, keep func(string) bool) {
	t.Helper()
	var got []string
	deadline := time.After(5 * time.Second)
	for {
		var r recorder
		v.Poll(true, &r)
		for _, ev := range r.events {
			if keep == nil || keep(ev) {
				got = append(got, ev)
			}
		}
		missing := false
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			missing = missing || !found
		}
		if !missing {
			return
		}
		select {
		case <-v.Wake():
		case <-deadline:
			t.Fatalf("after 5 s the other view was told %q; want %q among it", got, want)
		}
	}
}

// TestWatcherMadeOnFirstWatch: a Store makes its file watcher (an
// inotify instance and a thread reading it) only when a mailbox is first
// watched, after the SELECT that opened it was answered, and what
// another program delivers is noticed from then on.
func TestWatcherMadeOnFirstWatch(t *testing.T) {
	s, a, root := newAccount(t)
	dir := filepath.Join(root, "alice", "INBOX")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	deliver(t, dir, "1700000000.x.host")
	if storage.HasWatcher(s) {
		t.Fatal("a watcher before any mailbox was opened")
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	deadline := time.Now().Add(10 * time.Second)
	for !storage.HasWatcher(s) {
		if time.Now().After(deadline) {
			t.Fatal("no watcher after the SELECT settled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	deliver(t, dir, "1700000001.x.host")
	waitEvents(t, v, []string{"EXISTS 2"}, nil)
}

// TestQuietCheckHoldsNoLock: the check that follows a large STORE reads
// the directories without the mailbox's lock, so another session's
// command goes on meanwhile; a change of the folder's own during the
// check makes it try again rather than miss or re-read, and what another
// program changed while the watch was lifted is still found.
func TestQuietCheckHoldsNoLock(t *testing.T) {
	const n = 600
	v, other, dir := quietSetup(t, n)
	last := fmt.Sprintf("1700000000.M%dP1.host", n)
	defer storage.SetQuietHook(func() {
		// mutt marks the last message seen while the watch is lifted.
		files, _ := filepath.Glob(filepath.Join(dir, "cur", last+"*"))
		if len(files) != 1 {
			t.Errorf("the last message's file: %q", files)
			return
		}
		if err := os.Rename(files[0], files[0]+"S"); err != nil {
			t.Error(err)
		}
	})()
	checks := make(chan struct{}, 10)
	first := true
	defer storage.SetQuietCheckHook(func() {
		checks <- struct{}{}
		if !first {
			return
		}
		first = false
		// Another session stores a flag on the first message, a change
		// of the folder's own, while the check is under way.
		done := make(chan error, 1)
		go func() {
			_, err := other.Store(other.UIDs()[:1], storage.AddFlags, []string{storage.FlagAnswered})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(5 * time.Second):
			t.Error("a STORE waited 5 s for the check after a large STORE")
		}
	})()
	uids := v.UIDs()[:n-1]
	if changed, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil || len(changed) != n-1 {
		t.Fatalf("STORE: %d changed, %v", len(changed), err)
	}
	waitEvents(t, other, []string{"FLAGS 600 \\Seen"}, func(ev string) bool { return strings.HasPrefix(ev, "FLAGS 600") })
	if len(checks) < 1 {
		t.Error("no check ran after the large STORE")
	}
}

// quietSetup makes a maildir INBOX of n messages (and one delivered),
// opens two views on it and waits until it is watched and the re-read
// that settling started is over.
func quietSetup(t *testing.T, n int) (v, other *storage.View, dir string) {
	t.Helper()
	s, a, root := newAccount(t)
	dir = filepath.Join(root, "alice", "INBOX")
	writeMaildir(t, dir, n)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	other, err = a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	v.Settle()
	deadline := time.Now().Add(10 * time.Second)
	for !storage.HasWatcher(s) {
		if time.Now().After(deadline) {
			t.Fatal("no watcher")
		}
		time.Sleep(5 * time.Millisecond)
	}
	deliver(t, dir, "1700000001.x.host")
	waitEvents(t, other, []string{fmt.Sprintf("EXISTS %d", n+1)}, nil)
	return v, other, dir
}

// TestQuietGone: a message that another program removes while a large
// STORE has the watch lifted, and that the STORE includes, is expunged
// in every view (the Folder forgot it; the check must not vouch for it).
func TestQuietGone(t *testing.T) {
	const n = 600
	v, other, dir := quietSetup(t, n)
	last := fmt.Sprintf("1700000000.M%dP1.host", n)
	defer storage.SetQuietHook(func() {
		files, _ := filepath.Glob(filepath.Join(dir, "cur", last+"*"))
		if len(files) != 1 {
			t.Errorf("files %q", files)
			return
		}
		os.Remove(files[0]) // mutt expunges the last message
	})()
	uids := v.UIDs()[:n]
	if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	waitEvents(t, other, []string{"EXPUNGE 600"}, func(ev string) bool { return strings.HasPrefix(ev, "EXPUNGE") })
}

// TestQuietOthersMovedDuringStaleCheck: a file that another program
// renamed during a large STORE, found by a FETCH while an earlier STORE's
// check runs, is still reported when that check's answer is dropped for
// the later STORE's check.
func TestQuietOthersMovedDuringStaleCheck(t *testing.T) {
	const n = 600
	v, other, dir := quietSetup(t, n)
	last := fmt.Sprintf("1700000000.M%dP1.host", n)
	lastUID := other.UIDs()[n-1]
	batches := 0
	defer storage.SetQuietHook(func() {
		batches++
		if batches != 2 {
			return
		}
		// mutt marks the last message seen while batch 2 has the watch lifted.
		files, _ := filepath.Glob(filepath.Join(dir, "cur", last+"*"))
		if len(files) != 1 {
			t.Errorf("files %q", files)
			return
		}
		if err := os.Rename(files[0], files[0]+"S"); err != nil {
			t.Error(err)
		}
	})()
	checks := 0
	defer storage.SetQuietCheckHook(func() {
		checks++
		if checks != 1 {
			return
		}
		// During check 1: batch 2 (bumps quietSeq), then a FETCH of the
		// last message relocates its file (othersMoved).
		if _, err := v.Store(v.UIDs()[:n-1], storage.AddFlags, []string{storage.FlagAnswered}); err != nil {
			t.Error(err)
		}
		r, _, err := other.Open(lastUID)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, r)
		r.Close()
	})()
	if _, err := v.Store(v.UIDs()[:n-1], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	waitEvents(t, other, []string{"FLAGS 600 \\Seen"}, func(ev string) bool { return strings.HasPrefix(ev, "FLAGS 600") })
}
