package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestUnwatchedDeliveryBeforeStoreInItsAnswer: another program delivers
// to an unwatched mailbox; the session's next command is a STORE. The
// folder is checked before the STORE's own change, after which it could
// not vouch for its files until the watch's check a moment later: the
// STORE's answer, or at the latest the NOOP's right after, tells of the
// delivery.
func TestUnwatchedDeliveryBeforeStoreInItsAnswer(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	deliver(t, dir, "1700000001.x.host")
	time.Sleep(100 * time.Millisecond) // long before the STORE
	if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	got := pollOnce(v)           // the STORE's answer
	time.Sleep(time.Millisecond) // the background watch is set
	got += ";" + pollOnce(v)     // the NOOP that follows
	if !strings.Contains(got, "EXISTS 4") {
		t.Fatalf("STORE and NOOP after a delivery told %q, want EXISTS 4", got)
	}
}

// TestUnwatchedStoreKeepsOthersFlags: another program (mutt) marks
// message 2 \Seen while the session sits between two commands; the
// session's next command is STORE 2 +FLAGS (\Flagged). The STORE must
// look at the unwatched mailbox before it computes the new flags:
// from the old ones it renamed the file, found again by relocate, to
// ":2,F", and the other program's \Seen was lost for good.
func TestUnwatchedStoreKeepsOthersFlags(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	storage.Quiesce(t, v) // past watchLater's second run (watchDelay)
	f := findFile(t, dir, 2)
	if err := os.Rename(f, f+"S"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the client thinks a while
	if _, err := v.Store(v.UIDs()[1:2], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	name := findFile(t, dir, 2)
	if !strings.HasSuffix(name, ":2,FS") {
		t.Fatalf("after STORE +FLAGS (\\Flagged) the file is %s: another program's \\Seen was dropped", filepath.Base(name))
	}
}

// TestUnwatchedExpungeSparesUndeleted: message 3 is \Deleted; another
// program (mutt, another mailgate) undeletes it between two commands;
// the session then sends EXPUNGE. The EXPUNGE must look at the unwatched
// mailbox first: from the old flags it removed the message (relocate
// found the renamed file).
func TestUnwatchedExpungeSparesUndeleted(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	f := findFile(t, dir, 3)
	if err := os.Rename(f, f+"T"); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "cur"), old, old); err != nil {
		t.Fatal(err)
	}
	v := selectSettled(t, a)
	storage.Quiesce(t, v)                       // past watchLater's second run (watchDelay)
	if err := os.Rename(f+"T", f); err != nil { // undeleted by another program
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := v.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); err != nil {
		t.Fatalf("EXPUNGE removed a message another program had undeleted 200 ms before: %v", err)
	}
}

// TestUnwatchedMHStoreKeepsOthersSequences: as
// TestUnwatchedStoreKeepsOthersFlags for an MH folder, whose flags live
// in .mh_sequences: another program (nmh's mark) takes message 2 out of
// the unseen sequence between two commands; a STORE +FLAGS (\Flagged) on
// it must not write the old unseen sequence back.
func TestUnwatchedMHStoreKeepsOthersSequences(t *testing.T) {
	home := t.TempDir()
	box := filepath.Join(home, "Box")
	if err := os.MkdirAll(box, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"1", "2", "3"} {
		if err := os.WriteFile(filepath.Join(box, n), []byte("Subject: "+n+"\n\nbody\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	seqs := filepath.Join(box, ".mh_sequences")
	if err := os.WriteFile(seqs, []byte("unseen: 1-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "mh"}
	account := func() *storage.Account {
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New(), mh.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		t.Cleanup(func() { s.Close() })
		return s.Account(storage.User{Name: "alice", Home: home}, layout)
	}
	// A first read writes .mu-prop; once it is dated back the folder can
	// vouch for its files from the next read on.
	v, err := account().Select("Box", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{box, seqs, filepath.Join(box, ".mu-prop")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	v = selectSettledName(t, account(), "Box")
	storage.Quiesce(t, v) // past watchLater's second run (watchDelay)
	if storage.Watched(v) {
		t.Fatal("a settled, quiet MH folder is watched")
	}
	if err := os.WriteFile(seqs, []byte("unseen: 1 3\n"), 0o600); err != nil { // mark -sequence unseen -delete 2
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	uid := v.UIDs()[1]
	if _, err := v.Store([]uint32{uid}, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	fresh, err := account().Select("Box", true)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	m := make([]storage.Message, 1)
	fresh.Lookup([]uint32{uid}, m)
	if got := strings.Join(m[0].Flags, " "); !strings.Contains(got, storage.FlagSeen) || !strings.Contains(got, storage.FlagFlagged) {
		t.Fatalf("after STORE +FLAGS (\\Flagged) message 2 has %q on disk, want \\Flagged and \\Seen", got)
	}
}
