package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir/maildirtest"
)

// writeQuietMaildir writes alice's INBOX below root, a maildir of n
// messages whose folder can vouch for its files from the first read on
// (maildirtest.WriteQuiet).
func writeQuietMaildir(t *testing.T, root string, n int) string {
	t.Helper()
	dir := filepath.Join(root, "alice", "INBOX")
	maildirtest.WriteQuiet(t, dir, n, func(int) string { return "Subject: m\n\nbody\n" })
	return dir
}

// selectSettled selects INBOX and waits until it has settled (the
// answer to SELECT sent, and the moment after it passed).
func selectSettled(t *testing.T, a *storage.Account) *storage.View {
	t.Helper()
	return selectSettledName(t, a, "INBOX")
}

// selectSettledName is selectSettled for the mailbox name.
func selectSettledName(t *testing.T, a *storage.Account, name string) *storage.View {
	t.Helper()
	v, err := a.Select(name, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	v.Settle()
	for deadline := time.Now().Add(5 * time.Second); !storage.Settled(v); {
		if time.Now().After(deadline) {
			t.Fatal("the mailbox did not settle")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return v
}

// pollOnce polls v once and returns what it was told.
func pollOnce(v *storage.View) string {
	var r recorder
	v.Poll(true, &r)
	return strings.Join(r.events, ";")
}

// TestUnwatchedCommandBoundary: a settled mailbox whose folder vouches
// for its files is not watched; another program's delivery and flag
// change reach the view at its next Poll (the session's next command),
// at once, and the mailbox is watched from then on.
func TestUnwatchedCommandBoundary(t *testing.T) {
	s, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	if storage.Watched(v) {
		t.Fatalf("a settled, quiet mailbox is watched (%s)", s.Stats())
	}
	if got := pollOnce(v); got != "" {
		t.Fatalf("a Poll with nothing changed told %q", got)
	}
	if storage.Watched(v) {
		t.Fatal("a Poll with nothing changed watched the mailbox")
	}
	deliver(t, dir, "1700000001.x.host")
	files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M2P1.host*"))
	if len(files) != 1 {
		t.Fatalf("message 2's file: %q", files)
	}
	if err := os.Rename(files[0], files[0]+"S"); err != nil {
		t.Fatal(err)
	}
	got := pollOnce(v)
	if !strings.Contains(got, "EXISTS 4") || !strings.Contains(got, "FLAGS 2 \\Seen") {
		t.Fatalf("the next Poll after another program's changes told %q", got)
	}
	if !storage.Watched(v) {
		t.Error("a mailbox another program changed is not watched afterwards")
	}
	deliver(t, dir, "1700000002.x.host")
	waitEvents(t, v, []string{"EXISTS 5"}, nil)
}

// TestUnwatchedWaitWatches: a view whose session waits for news
// (SetNotify, as IDLE and NOTIFY do) has its mailbox watched at once: a
// delivery by another program wakes it without a Poll, one made before
// the wait began too. (Another Store in this process would not stand for
// another process: the maildir driver's record of its own changes is
// per process. cmd/mailgate's TestLMTPLiveUpdate delivers through a
// second process.)
func TestUnwatchedWaitWatches(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	if storage.Watched(v) {
		t.Fatal("a settled, quiet mailbox is watched")
	}
	woken := make(chan struct{}, 1)
	notify := func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}
	wait := func(what string) {
		t.Helper()
		select {
		case <-woken:
		case <-time.After(2 * time.Second):
			t.Fatalf("%s did not wake the waiting view", what)
		}
	}
	deliver(t, dir, "1700000001.x.host") // before the wait: Watch finds it
	v.SetNotify(notify)
	defer v.SetNotify(nil)
	if !storage.Watched(v) {
		t.Fatal("a view that waits for news does not have its mailbox watched")
	}
	wait("a delivery made before the wait")
	if got := pollOnce(v); got != "EXISTS 4" {
		t.Fatalf("told %q, want EXISTS 4", got)
	}
	deliver(t, dir, "1700000002.x.host")
	wait("a file dropped into new/")
	if got := pollOnce(v); got != "EXISTS 5" {
		t.Fatalf("told %q, want EXISTS 5", got)
	}
}

// TestUnwatchedLingeringReopened: a mailbox left lingering without a
// watch is checked when it is opened again, by STATUS or SELECT, and
// shows what another program changed meanwhile.
func TestUnwatchedLingeringReopened(t *testing.T) {
	for _, how := range []string{"STATUS", "SELECT"} {
		t.Run(how, func(t *testing.T) {
			s, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, 3)
			v := selectSettled(t, a)
			v.Close()
			if got := s.Stats(); got != "1 open mailboxes, 0 watched paths" {
				t.Fatalf("after the view closed: %s, want the mailbox lingering unwatched", got)
			}
			deliver(t, dir, "1700000001.x.host")
			var n uint32
			if how == "STATUS" {
				st, err := a.Status("INBOX")
				if err != nil {
					t.Fatal(err)
				}
				n = st.Messages
			} else {
				v, err := a.Select("INBOX", true)
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				n = v.Count()
			}
			if n != 4 {
				t.Fatalf("%s of the lingering mailbox: %d messages, want 4", how, n)
			}
		})
	}
}

// TestUnwatchedOwnChanges: the process's own changes to a mailbox that
// is not watched (a STORE of one message, and one large enough to be a
// quiet batch) have it watched afterwards and checked once, so that
// what another program did before or during the change reaches the
// views, and what it does later as it happens.
func TestUnwatchedOwnChanges(t *testing.T) {
	const n = 600
	for _, tt := range []struct {
		name  string
		store int // messages the STORE changes
	}{
		{name: "one message", store: 1},
		{name: "quiet batch", store: n - 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, a, root := newAccount(t)
			dir := writeQuietMaildir(t, root, n)
			v := selectSettled(t, a)
			other, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if storage.Watched(v) {
				t.Fatal("a settled, quiet mailbox is watched")
			}
			// Another program delivers just before the STORE, and
			// during a quiet one.
			deliver(t, dir, "1700000001.x.host")
			lifted := false
			defer storage.SetQuietHook(func() {
				lifted = true
				deliver(t, dir, "1700000002.x.host")
			})()
			changed, err := v.Store(v.UIDs()[:tt.store], storage.AddFlags, []string{storage.FlagFlagged})
			if err != nil || len(changed) != tt.store {
				t.Fatalf("STORE: %d changed, %v", len(changed), err)
			}
			want := []string{fmt.Sprintf("EXISTS %d", n+1)}
			if lifted {
				want = []string{fmt.Sprintf("EXISTS %d", n+2)}
			} else if tt.store > 1 {
				t.Fatal("a STORE of 599 of 600 messages was not a quiet batch")
			}
			keep := func(ev string) bool { return strings.HasPrefix(ev, "EXISTS") }
			waitEvents(t, v, want, keep)
			waitEvents(t, other, want, keep)
			if !storage.Watched(v) {
				t.Fatal("the mailbox is not watched after its own change")
			}
			deliver(t, dir, "1700000003.x.host")
			waitEvents(t, other, []string{fmt.Sprintf("EXISTS %d", n+2+btoi(lifted))}, keep)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
