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
	"github.com/mailgate/mailgate/storage/maildir"
)

// TestColdOpenKeepsModSeqs opens a maildir again and again in new
// Stores, as new processes do: what nobody changed keeps its modseq and
// reports no expunge; a message removed or re-flagged by another program
// meanwhile is noticed.
func TestColdOpenKeepsModSeqs(t *testing.T) {
	home := t.TempDir()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	type state struct {
		highest  uint64
		uids     []uint32
		modseqs  map[uint32]uint64
		vanished []storage.VanishedRun
	}
	open := func() state {
		t.Helper()
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		defer s.Close()
		v, err := s.Account(u, layout).Select("INBOX", false)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		st := state{uids: slices.Clone(v.UIDs()), modseqs: map[uint32]uint64{}}
		st.highest, _ = v.HighestModSeq()
		msgs := make([]storage.Message, len(st.uids))
		v.Lookup(st.uids, msgs)
		for _, m := range msgs {
			st.modseqs[m.UID] = m.ModSeq
		}
		st.vanished, _ = v.VanishedSince(0)
		return st
	}
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	a := s.Account(u, layout)
	for i := 0; i < 20; i++ {
		if _, _, err := a.Append("INBOX", strings.NewReader("Subject: m\r\n\r\nbody\r\n"), []string{storage.FlagSeen}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	first := open()
	for i := 0; i < 3; i++ {
		again := open()
		if again.highest != first.highest || len(again.vanished) != 0 || !slices.Equal(again.uids, first.uids) {
			t.Fatalf("open %d: HIGHESTMODSEQ %d (was %d), vanished %v, UIDs %v", i+2, again.highest, first.highest, again.vanished, again.uids)
		}
		for uid, m := range first.modseqs {
			if again.modseqs[uid] != m {
				t.Fatalf("open %d: UID %d modseq %d, was %d", i+2, uid, again.modseqs[uid], m)
			}
		}
	}
	// Another program removes UID 5 and flags UID 7.
	cur := filepath.Join(home, "INBOX", "cur")
	for _, pat := range []string{"*,u=5:2,*", "*,u=7:2,*"} {
		files, _ := filepath.Glob(filepath.Join(cur, pat))
		if len(files) != 1 {
			t.Fatalf("%s: %v", pat, files)
		}
		if strings.Contains(pat, "u=5") {
			os.Remove(files[0])
		} else {
			os.Rename(files[0], files[0]+"F")
		}
	}
	after := open()
	if after.highest <= first.highest || len(after.vanished) != 1 || after.vanished[0].First != 5 || after.vanished[0].Last != 5 {
		t.Fatalf("after the changes: HIGHESTMODSEQ %d (was %d), vanished %v", after.highest, first.highest, after.vanished)
	}
	if after.modseqs[7] != after.highest || after.modseqs[8] != first.modseqs[8] {
		t.Fatalf("modseqs of 7 and 8: %d %d", after.modseqs[7], after.modseqs[8])
	}
	if again := open(); again.highest != after.highest || len(again.vanished) != 1 {
		t.Fatalf("open after that: HIGHESTMODSEQ %d (was %d), vanished %v", again.highest, after.highest, again.vanished)
	}
}

// TestColdOpenFromSummary opens a quiet maildir whose index is up to date
// in new Stores, as new processes do: SELECT is answered from the
// folder's summary, without the messages, and says what a full read
// says; the messages are built when a command needs them, and a change
// made by another program meanwhile is noticed.
func TestColdOpenFromSummary(t *testing.T) {
	home := t.TempDir()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	newStore := func() *storage.Store {
		return storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	quiet := func() {
		old := time.Now().Add(-time.Hour)
		for _, sub := range []string{"cur", "new"} {
			if err := os.Chtimes(filepath.Join(home, "INBOX", sub), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := newStore()
	a := s.Account(u, layout)
	flags := [][]string{{storage.FlagSeen}, {storage.FlagSeen, "$Work"}, nil, {storage.FlagSeen, storage.FlagDeleted}, {storage.FlagFlagged}}
	for i := 0; i < 30; i++ {
		if _, _, err := a.Append("INBOX", strings.NewReader("Subject: m\r\n\r\nbody\r\n"), flags[i%len(flags)], time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// A first SELECT takes the messages out of new/.
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	s.Close()

	type state struct {
		sel         storage.Selected
		count       uint32
		recent      uint32
		firstUnseen uint32
		highest     uint64
		msgs        []storage.Message
		seqs        []uint32 // SeqOf of UIDs 1, 2, 17, 30 and 31
		summarized  bool
	}
	open := func(change func(v *storage.View)) state {
		t.Helper()
		s := newStore()
		defer s.Close()
		v, err := s.Account(u, layout).Select("INBOX", false)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		st := state{summarized: storage.Summarized(v)}
		st.sel = v.Info()
		st.count, st.recent, st.firstUnseen = v.Count(), v.RecentCount(), v.FirstUnseen()
		st.highest, _ = v.HighestModSeq()
		for _, uid := range []uint32{1, 2, 17, 30, 31} {
			st.seqs = append(st.seqs, v.SeqOf(uid))
		}
		if st.summarized && !storage.Summarized(v) {
			t.Fatal("SELECT's questions built the messages")
		}
		st.msgs = make([]storage.Message, len(v.UIDs()))
		v.Lookup(v.UIDs(), st.msgs)
		if storage.Summarized(v) {
			t.Fatal("Lookup did not build the messages")
		}
		if change != nil {
			change(v)
		}
		return st
	}
	quiet()
	full := open(nil) // reads the directories, writes the index
	if full.summarized {
		t.Fatal("the first open of a changed maildir answered from a summary")
	}
	for i := 0; i < 2; i++ {
		got := open(nil)
		if !got.summarized {
			t.Fatalf("open %d: not answered from the summary", i+2)
		}
		if !slices.Equal(got.sel.Flags, full.sel.Flags) || got.sel.UIDNext != full.sel.UIDNext || got.sel.UIDValidity != full.sel.UIDValidity ||
			got.count != full.count || got.recent != 0 || got.firstUnseen != full.firstUnseen || got.highest < full.highest ||
			!slices.Equal(got.seqs, full.seqs) {
			t.Fatalf("open %d: %+v, a full read says %+v", i+2, got, full)
		}
		for k := range got.msgs {
			g, w := got.msgs[k], full.msgs[k]
			if g.UID != w.UID || !slices.Equal(g.Flags, w.Flags) || g.Size != w.Size || !g.InternalDate.Equal(w.InternalDate) || g.ModSeq != w.ModSeq {
				t.Fatalf("open %d: message %d %+v, a full read says %+v", i+2, k+1, g, w)
			}
		}
	}

	// A STORE on a summarized mailbox, then another program's change
	// while the next process has SELECTed from the summary.
	var stored uint64
	open(func(v *storage.View) {
		uid := v.UIDs()[2]
		if _, err := v.Store([]uint32{uid}, storage.AddFlags, []string{storage.FlagSeen}); err != nil {
			t.Fatal(err)
		}
		stored, _ = v.HighestModSeq()
	})
	if stored <= full.highest {
		t.Fatalf("HIGHESTMODSEQ after STORE %d, before %d", stored, full.highest)
	}
	quiet()
	if open(nil).summarized {
		t.Fatal("the first open after a STORE answered from a summary")
	}
	s = newStore()
	defer s.Close()
	v, err = s.Account(u, layout).Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if !storage.Summarized(v) {
		t.Fatal("not answered from the summary after the index was written again")
	}
	if h, _ := v.HighestModSeq(); h < stored {
		t.Fatalf("HIGHESTMODSEQ %d went back from %d", h, stored)
	}
	files, _ := filepath.Glob(filepath.Join(home, "INBOX", "cur", "*,u=1:2,*"))
	if len(files) != 1 {
		t.Fatal(files)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	v.Settle()
	deadline := time.Now().Add(20 * time.Second)
	var r recorder
	for v.Count() == 30 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		v.Poll(true, &r)
	}
	if v.Count() != 29 || !slices.Contains(r.events, "EXPUNGE 1") {
		t.Fatalf("after another program removed UID 1: %d messages, events %v", v.Count(), r.events)
	}
}
