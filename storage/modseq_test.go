package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// accountAt opens alice's account on the files below root with a store of
// its own, as a new process would; typ is the default mailbox format.
func accountAt(t *testing.T, root, typ string) (*storage.Store, *storage.Account) {
	t.Helper()
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{maildir.New(), mh.New(), mbox.New(mbox.Options{})},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	home := filepath.Join(root, "alice")
	os.MkdirAll(home, 0o700)
	layout := &storage.Layout{
		Inbox:       typ + ":$home/INBOX",
		DefaultType: typ,
		Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home/mail"}}},
	}
	return s, s.Account(storage.User{Name: "alice", Home: home}, layout)
}

// modseqs returns the UIDs and modseqs of the selected view's messages.
func modseqs(v *storage.View) map[uint32]uint64 {
	msgs := make([]storage.Message, len(v.UIDs()))
	v.Lookup(v.UIDs(), msgs)
	out := map[uint32]uint64{}
	for _, m := range msgs {
		out[m.UID] = m.ModSeq
	}
	return out
}

// appendSelect appends one message for each subject to a's INBOX and
// selects it.
func appendSelect(t *testing.T, a *storage.Account, subjects ...string) *storage.View {
	t.Helper()
	for _, subject := range subjects {
		if _, _, err := a.Append("INBOX", msg(subject), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A modseq goes up with every change, survives a restart, and the next
// process's changes get higher ones (RFC 7162 section 3.1).
func TestModSeqPersistsAndGrows(t *testing.T) {
	for _, typ := range []string{"maildir", "mbox", "mh"} {
		t.Run(typ, func(t *testing.T) {
			root := t.TempDir()
			s, a := accountAt(t, root, typ)
			v := appendSelect(t, a, "a", "b", "c")
			before, ok := v.HighestModSeq()
			if !ok || before == 0 {
				t.Fatalf("HIGHESTMODSEQ %d %v", before, ok)
			}
			uids := v.UIDs()
			if _, err := v.Store(uids[1:2], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			ms := modseqs(v)
			if ms[uids[1]] <= before || ms[uids[0]] > before {
				t.Fatalf("after STORE: %v, highest before %d", ms, before)
			}
			afterStore, _ := v.HighestModSeq()
			if afterStore != ms[uids[1]] {
				t.Fatalf("HIGHESTMODSEQ %d, flagged message's %d", afterStore, ms[uids[1]])
			}
			// UNCHANGEDSINCE: the flagged message changed after before.
			changed, modified, err := v.StoreUnchangedSince(uids, storage.AddFlags, []string{storage.FlagSeen}, before)
			if err != nil || len(changed) != 2 || len(modified) != 1 || modified[0] != uids[1] {
				t.Fatalf("UNCHANGEDSINCE: changed %v modified %v %v", changed, modified, err)
			}
			v.Store(uids[0:1], storage.AddFlags, []string{storage.FlagDeleted})
			if err := v.Expunge(nil, false); err != nil {
				t.Fatal(err)
			}
			v.Poll(true, &recorder{})
			last, _ := v.HighestModSeq()
			runs, complete := v.VanishedSince(afterStore)
			if !complete || len(runs) != 1 || runs[0].First != uids[0] || runs[0].Last != uids[0] || runs[0].ModSeq != last {
				t.Fatalf("vanished since %d: %v %v", afterStore, runs, complete)
			}
			want := modseqs(v)
			v.Close()
			s.Close()

			s2, a2 := accountAt(t, root, typ)
			defer s2.Close()
			v2, err := a2.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v2.Close()
			if h, _ := v2.HighestModSeq(); h != last {
				t.Errorf("HIGHESTMODSEQ after restart %d, was %d", h, last)
			}
			got := modseqs(v2)
			for uid, m := range want {
				if got[uid] != m {
					t.Errorf("UID %d: modseq %d after restart, was %d", uid, got[uid], m)
				}
			}
			if runs, complete := v2.VanishedSince(afterStore); !complete || len(runs) != 1 {
				t.Errorf("vanished after restart: %v %v", runs, complete)
			}
			v2.Store(uids[2:3], storage.RemoveFlags, []string{storage.FlagSeen})
			if m := modseqs(v2)[uids[2]]; m <= last {
				t.Errorf("new process's change got modseq %d, not above %d", m, last)
			}
			if st, err := a2.Status("INBOX"); err != nil || st.HighestModSeq <= last {
				t.Errorf("STATUS HIGHESTMODSEQ %d %v", st.HighestModSeq, err)
			}
		})
	}
}

// Changes that another program makes while no mailgate process runs get
// new modseqs at the next open; expunges are remembered as vanished.
func TestModSeqSeesChangesMadeWhileAway(t *testing.T) {
	root := t.TempDir()
	s, a := accountAt(t, root, "maildir")
	for _, subj := range []string{"a", "b", "c"} {
		a.Append("INBOX", msg(subj), nil, time.Time{})
	}
	v, _ := a.Select("INBOX", false)
	old, _ := v.HighestModSeq()
	uids := v.UIDs()
	v.Close()
	s.Close()

	dir := filepath.Join(root, "alice", "INBOX")
	files, _ := filepath.Glob(filepath.Join(dir, "cur", "*"))
	if len(files) != 3 {
		t.Fatalf("files: %q", files)
	}
	// mutt marks the first one seen and deletes the last for good. The
	// files are found by the UID in their names: the names' order is not
	// the UIDs' (the microseconds in them are not zero-padded).
	byUID := func(uid uint32) string {
		for _, f := range files {
			if strings.Contains(filepath.Base(f), fmt.Sprintf(",u=%d:", uid)) {
				return f
			}
		}
		t.Fatalf("no file for UID %d: %q", uid, files)
		return ""
	}
	if err := os.Rename(byUID(uids[0]), byUID(uids[0])+"S"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(byUID(uids[2])); err != nil {
		t.Fatal(err)
	}

	s2, a2 := accountAt(t, root, "maildir")
	defer s2.Close()
	v2, _ := a2.Select("INBOX", false)
	defer v2.Close()
	ms := modseqs(v2)
	h, _ := v2.HighestModSeq()
	if h <= old || len(ms) != 2 {
		t.Fatalf("HIGHESTMODSEQ %d (was %d), messages %v", h, old, ms)
	}
	changedOne := 0
	for _, m := range ms {
		if m > old {
			changedOne++
		}
	}
	if changedOne != 1 {
		t.Errorf("%d messages changed since %d, want 1: %v", changedOne, old, ms)
	}
	runs, complete := v2.VanishedSince(old)
	if !complete || len(runs) != 1 || runs[0].First != uids[2] {
		t.Errorf("vanished: %v %v", runs, complete)
	}
}

// A damaged or cut modseq file loses at most the table: every message then
// gets a modseq above every one handed out before, never a lower one.
func TestModSeqDamagedFileNeverGoesBack(t *testing.T) {
	for name, damage := range map[string]func(p string){
		"cut snapshot": func(p string) { os.Truncate(p, 50) },
		"bad header":   func(p string) { f, _ := os.OpenFile(p, os.O_WRONLY, 0); f.WriteAt([]byte("garbage!"), 0); f.Close() },
		"removed":      func(p string) { os.Remove(p) },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			s, a := accountAt(t, root, "maildir")
			a.Append("INBOX", msg("a"), nil, time.Time{})
			a.Append("INBOX", msg("b"), nil, time.Time{})
			v, _ := a.Select("INBOX", false)
			v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagSeen})
			old, _ := v.HighestModSeq()
			v.Close()
			s.Close()
			damage(filepath.Join(root, "alice", "INBOX", ".mailgate-modseq"))

			s2, a2 := accountAt(t, root, "maildir")
			defer s2.Close()
			v2, _ := a2.Select("INBOX", false)
			defer v2.Close()
			for uid, m := range modseqs(v2) {
				if m <= old {
					t.Errorf("UID %d: modseq %d, not above %d", uid, m, old)
				}
			}
			if h, _ := v2.HighestModSeq(); h == 0 {
				t.Errorf("HIGHESTMODSEQ 0")
			}
		})
	}
}

// Two processes sharing a mailbox take modseqs from one counter: the
// second one's changes rank above the first one's.
func TestModSeqSharedBetweenProcesses(t *testing.T) {
	root := t.TempDir()
	s1, a1 := accountAt(t, root, "maildir")
	defer s1.Close()
	s2, a2 := accountAt(t, root, "maildir")
	defer s2.Close()
	a1.Append("INBOX", msg("a"), nil, time.Time{})
	v1, _ := a1.Select("INBOX", false)
	defer v1.Close()
	v1.Store(v1.UIDs(), storage.AddFlags, []string{storage.FlagSeen})
	h1, _ := v1.HighestModSeq()
	a2.Append("INBOX", msg("b"), nil, time.Time{})
	v2, _ := a2.Select("INBOX", false)
	defer v2.Close()
	if h2, _ := v2.HighestModSeq(); h2 <= h1 {
		t.Errorf("second process's HIGHESTMODSEQ %d, first's %d", h2, h1)
	}
}

// A flag change that another program makes while the mailbox is open is
// seen by the watcher and gets a new modseq.
func TestModSeqForWatchedChange(t *testing.T) {
	root := t.TempDir()
	s, a := accountAt(t, root, "maildir")
	defer s.Close()
	a.Append("INBOX", msg("a"), nil, time.Time{})
	v, _ := a.Select("INBOX", false)
	defer v.Close()
	old, _ := v.HighestModSeq()
	files, _ := filepath.Glob(filepath.Join(root, "alice", "INBOX", "cur", "*"))
	if len(files) != 1 {
		t.Fatalf("files: %q", files)
	}
	os.Rename(files[0], files[0]+"F")
	select {
	case <-v.Wake():
	case <-time.After(2 * time.Second):
		t.Fatal("no wake-up within 2 s of a flag change")
	}
	var r recorder
	v.Poll(true, &r)
	if m := modseqs(v)[v.UIDs()[0]]; m <= old {
		t.Errorf("modseq %d after another program's change, not above %d (%q)", m, old, r.events)
	}
}

// Beyond the log's compaction threshold, changes still read back the
// same after a restart (the snapshot is rewritten in place).
func TestModSeqCompaction(t *testing.T) {
	root := t.TempDir()
	s, a := accountAt(t, root, "maildir")
	a.Append("INBOX", msg("a"), nil, time.Time{})
	a.Append("INBOX", msg("b"), nil, time.Time{})
	v, _ := a.Select("INBOX", false)
	for i := 0; i < 1500; i++ {
		op := storage.AddFlags
		if i%2 == 1 {
			op = storage.RemoveFlags
		}
		v.Store(v.UIDs()[i%2:i%2+1], op, []string{storage.FlagFlagged})
	}
	want := modseqs(v)
	h, _ := v.HighestModSeq()
	v.Close()
	s.Close()
	if fi, err := os.Stat(filepath.Join(root, "alice", "INBOX", ".mailgate-modseq")); err != nil {
		t.Error(err)
	} else if fi.Size() > 40+2*24+1100*24 {
		t.Errorf("modseq file not compacted: %d bytes", fi.Size())
	}
	s2, a2 := accountAt(t, root, "maildir")
	defer s2.Close()
	v2, _ := a2.Select("INBOX", false)
	defer v2.Close()
	got := modseqs(v2)
	for uid, m := range want {
		if got[uid] != m {
			t.Errorf("UID %d: %d after restart, was %d", uid, got[uid], m)
		}
	}
	if h2, _ := v2.HighestModSeq(); h2 != h {
		t.Errorf("HIGHESTMODSEQ %d after restart, was %d", h2, h)
	}
}
