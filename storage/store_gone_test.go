package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestStorePassesOverMessagesExpungedElsewhere: another process expunges
// a message that a STORE then names. The STORE changes the others and
// succeeds; the view learns of the expunge. Before, it stopped at the gone
// message with ErrNoMessage (NO [EXPUNGEISSUED], which imaptest's stress
// run against session processes counted as failures) and left the
// messages after it unchanged.
func TestStorePassesOverMessagesExpungedElsewhere(t *testing.T) {
	d := newMemDriver("mem", false) // no FlagBatcher: one change at a time
	root := t.TempDir()
	layout := &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem"}
	user := storage.User{Name: "alice", Home: root}
	process := func() *storage.Account {
		s := storage.New(storage.Options{Drivers: []storage.Driver{d}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		t.Cleanup(func() { s.Close() })
		return s.Account(user, layout)
	}
	a, b := process(), process()
	for _, subject := range []string{"one", "two", "three"} {
		if _, _, err := a.Append("INBOX", msg(subject), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	va, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer va.Close()
	vb, err := b.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vb.Store([]uint32{2}, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := vb.Expunge([]uint32{2}, false); err != nil {
		t.Fatal(err)
	}
	vb.Close()

	changed, err := va.Store([]uint32{1, 2, 3}, storage.AddFlags, []string{storage.FlagFlagged})
	if err != nil || !slices.Equal(changed, []uint32{1, 3}) {
		t.Fatalf("STORE 1:3 after another process expunged 2: changed %v, %v; want [1 3], no error", changed, err)
	}
	var r recorder
	va.Poll(true, &r)
	if !slices.Contains(r.events, "EXPUNGE 2") || va.Count() != 2 {
		t.Errorf("after the STORE: %d messages, events %q; want 2 and EXPUNGE 2", va.Count(), r.events)
	}
	changed, err = va.Store([]uint32{2}, storage.AddFlags, []string{storage.FlagSeen})
	if err != nil || len(changed) != 0 {
		t.Errorf("STORE of the expunged UID alone: %v, %v", changed, err)
	}
}

// TestStoreOneMessageRemovedByAnotherProgram: the same on a maildir, where
// the one message a STORE names was removed by another program (mutt, or
// a session process's EXPUNGE): OK, nothing changed, the expunge told.
func TestStoreOneMessageRemovedByAnotherProgram(t *testing.T) {
	_, a, root := newAccount(t)
	home := filepath.Join(root, "alice")
	for _, subject := range []string{"one", "two"} {
		if _, _, err := a.Append("INBOX", msg(subject), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	cur := filepath.Join(home, "INBOX", "cur")
	names, _ := os.ReadDir(cur)
	removed := false
	for _, n := range names {
		data, _ := os.ReadFile(filepath.Join(cur, n.Name()))
		if strings.Contains(string(data), "Subject: two") {
			removed = os.Remove(filepath.Join(cur, n.Name())) == nil
		}
	}
	if !removed {
		t.Fatal("message two not found in cur/")
	}
	changed, err := v.Store([]uint32{2}, storage.AddFlags, []string{storage.FlagDeleted})
	if err != nil || len(changed) != 0 {
		t.Errorf("STORE of a message another program removed: changed %v, %v; want nothing, no error", changed, err)
	}
	var r recorder
	v.Poll(true, &r)
	if !slices.Contains(r.events, "EXPUNGE 2") {
		t.Errorf("events %q, want EXPUNGE 2", r.events)
	}
}
