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
