package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// processStores opens n stores (n processes) on one home and spool, with a
// shared, increasing UIDVALIDITY allocator (as the gateway's data-dir
// file), mailboxes of typ and INBOX an mbox in the spool directory.
func processStores(t *testing.T, typ string, n int) (accts []*storage.Account, home, spool string) {
	t.Helper()
	root := t.TempDir()
	home, spool = filepath.Join(root, "home"), filepath.Join(root, "var-mail")
	os.MkdirAll(home, 0o700)
	os.MkdirAll(spool, 0o1777)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var uv atomic.Uint32
	uv.Store(1000)
	next := func() uint32 { return uv.Add(1) }
	for i := 0; i < n; i++ {
		mo := mbox.Options{RetryCount: -1, RetrySleep: time.Millisecond, FlushDelay: -1, Logger: log, UIDValidity: next}
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New(), mh.New(), mbox.New(mo)}, Logger: log})
		t.Cleanup(func() { s.Close() })
		layout := &storage.Layout{
			Inbox:       "mbox:" + spool + "/$user",
			DefaultType: typ,
			Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: typ}}},
		}
		accts = append(accts, s.Account(storage.User{Name: "alice", Home: home}, layout))
	}
	return accts, home, spool
}

// deliverToSpool appends a message to the mbox at path as Postfix local or
// procmail do (no X-IMAPbase, no X-UID), creating the file if needed.
func deliverToSpool(t *testing.T, path, subject string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("From bob@example.org Mon Dec  7 12:00:00 2026\nSubject: " + subject + "\n\nbody\n\n")
	f.Close()
}

// TestSpoolUIDsAcrossProcesses: process A shows INBOX UIDs
// 1..3 under V; movemail takes the messages and removes the spool file;
// process B (an inetd session, or A's own INBOX reopened once it was
// closed) opens INBOX; Postfix delivers a message, making the file
// again. A client that knew UIDs 1..3 under V must never be shown
// another message under V with one of those UIDs.
func TestSpoolUIDsAcrossProcesses(t *testing.T) {
	accts, _, spool := processStores(t, "mbox", 2)
	a, b := accts[0], accts[1]
	va := appendSelect(t, a, "one", "two", "three")
	defer va.Close()
	oldUIDs, validity := va.UIDs(), va.Info().UIDValidity
	p := filepath.Join(spool, "alice")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	var r recorder
	for deadline := time.Now().Add(3 * time.Second); len(va.UIDs()) > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		va.Check()
		va.Poll(true, &r)
	}
	// B starts now (the file is gone) and a delivery makes it again.
	vb, err := b.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer vb.Close()
	deliverToSpool(t, p, "new")
	for deadline := time.Now().Add(3 * time.Second); len(vb.UIDs()) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		vb.Check()
		vb.Poll(true, &r)
	}
	if len(vb.UIDs()) != 1 {
		t.Fatalf("B: UIDs %v", vb.UIDs())
	}
	bv, buid := vb.Info().UIDValidity, vb.UIDs()[0]
	if bv == validity && buid <= oldUIDs[len(oldUIDs)-1] {
		t.Errorf("B shows the new message as UID %d under UIDVALIDITY %d, which A showed for another message (A's UIDs %v)", buid, bv, oldUIDs)
	}
	// A, told of the delivery, and B must agree (or one must reset).
	for deadline := time.Now().Add(3 * time.Second); len(va.UIDs()) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		va.Check()
		va.Poll(true, &r)
	}
	t.Logf("A: validity %d UIDs %v gone %v; B: validity %d UIDs %v", va.Info().UIDValidity, va.UIDs(), va.GoneWhy(), bv, vb.UIDs())
}

// spoolAccount is alice's account with an mbox INBOX in a spool
// directory and mbox flag changes kept (journal) for flush; it returns
// the spool file's path.
func spoolAccount(t *testing.T, flush time.Duration) (*storage.Account, string) {
	t.Helper()
	a, _, spool := byeAccountWith(t, "mbox", mbox.Options{RetryCount: -1, RetrySleep: time.Millisecond, FlushDelay: flush}, storage.Options{})
	return a, filepath.Join(spool, "alice")
}

// TestSpoolExpungeAfterRecreate: a session has INBOX
// selected with a message flagged \Deleted (the flag change still
// pending, or written); movemail takes the messages and removes the
// spool; a delivery makes it again with two new messages; the session
// then EXPUNGEs, with or without having heard the removal first. The new
// messages must stay, unflagged.
func TestSpoolExpungeAfterRecreate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flush time.Duration
		poll  bool
	}{
		{"pending,unheard", time.Hour, false},
		{"pending,heard", time.Hour, true},
		{"written,unheard", -1, false},
		{"written,heard", -1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, p := spoolAccount(t, tc.flush)
			v := appendSelect(t, a, "old1", "old2")
			defer v.Close()
			old := v.UIDs()
			if _, err := v.Store(old[:1], storage.AddFlags, []string{`\Deleted`}); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			var r recorder
			if tc.poll {
				for deadline := time.Now().Add(3 * time.Second); len(v.UIDs()) > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
					v.Check()
					v.Poll(true, &r)
				}
			}
			deliverToSpool(t, p, "new1")
			deliverToSpool(t, p, "new2")
			if err := v.Expunge(nil, false); err != nil {
				t.Logf("EXPUNGE: %v", err)
			}
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				v.Check()
				v.Poll(true, &r)
				if n := len(v.UIDs()); n == 2 && v.UIDs()[0] > old[len(old)-1] {
					break
				}
			}
			data, _ := os.ReadFile(p)
			for _, s := range []string{"Subject: new1", "Subject: new2"} {
				if !strings.Contains(string(data), s) {
					t.Errorf("%s lost from the spool file after EXPUNGE (file %q)", s, data)
				}
			}
			uids := v.UIDs()
			out := make([]storage.Message, len(uids))
			v.Lookup(uids, out)
			for _, m := range out {
				if m.UID <= old[len(old)-1] {
					t.Errorf("new message shown under old UID %d (old UIDs %v)", m.UID, old)
				}
				for _, f := range m.Flags {
					if f == `\Deleted` {
						t.Errorf("new message UID %d carries the old message's \\Deleted", m.UID)
					}
				}
			}
			if v.GoneWhy() != storage.NotGone {
				t.Errorf("GoneWhy %v (events %q)", v.GoneWhy(), r.events)
			}
			t.Logf("old %v, now %v, events %q", old, uids, r.events)
		})
	}
}

// TestSpoolAppendWhenRemoved: APPEND to INBOX while its
// spool file is removed makes it again, with a UID above the old ones.
func TestSpoolAppendWhenRemoved(t *testing.T) {
	a, p := spoolAccount(t, -1)
	v := appendSelect(t, a, "old")
	defer v.Close()
	old := v.UIDs()
	os.Remove(p)
	_, uid, err := a.Append("INBOX", msg("new"), nil, time.Time{})
	if err != nil {
		t.Fatalf("APPEND to a removed spool: %v", err)
	}
	if uid <= old[0] {
		t.Errorf("APPEND gave UID %d, not above %d", uid, old[0])
	}
	// At once (no watch event yet), as the client's next command does.
	v.Check()
	if rc, _, err := v.Open(old[0]); err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.Contains(string(b), "new") {
			t.Errorf("FETCH of the old UID %d right after the APPEND gives the new message: %q", old[0], b)
		}
	} else {
		t.Logf("FETCH of the old UID %d right after the APPEND: %v", old[0], err)
	}
	var r recorder
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v.Check()
		v.Poll(true, &r)
	}
	for _, u := range v.UIDs() {
		if u == old[0] {
			body := "(unreadable)"
			if rc, _, err := v.Open(u); err == nil {
				b, _ := io.ReadAll(rc)
				rc.Close()
				body = string(b)
			}
			t.Errorf("UID %d, whose message movemail took, is still shown; FETCH gives %q", u, body)
		}
	}
	if got := v.UIDs(); len(got) != 1 || got[0] != uid || v.GoneWhy() != storage.NotGone {
		t.Errorf("view: UIDs %v gone %v, want [%d] (events %q)", got, v.GoneWhy(), uid, r.events)
	}
}
