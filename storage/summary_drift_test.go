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
	"github.com/mailgate/mailgate/storage/maildir/maildirtest"
)

// TestSummaryIndexLostTellsViews: a SELECT answered from the maildir's
// index (a summary) lists messages 1-4. Before the messages are built,
// another program removes message 2 or flags it, and the index goes
// (another process replaced it) or is damaged: the messages are then
// built from the directories, which show the change already. The view,
// which was given the summary, must still be told EXPUNGE or FETCH FLAGS,
// each change must get a modseq above the HIGHESTMODSEQ it was given,
// and a new SELECT must agree. With nothing changed, nothing is told.
// "modseq-lost": the modseq file's table goes too, so that no expunge is
// recorded at the file's reading, and every message gets a new modseq
// (and is told, which is why "none" is not run then).
func TestSummaryIndexLostTellsViews(t *testing.T) {
	for _, index := range []string{"removed", "damaged", "modseq-lost"} {
		for _, change := range []string{"none", "remove", "flag"} {
			if index == "modseq-lost" && change == "none" {
				continue
			}
			t.Run(index+"/"+change, func(t *testing.T) { summaryIndexLost(t, index, change) })
		}
	}
}

func summaryIndexLost(t *testing.T, index, change string) {
	home := t.TempDir()
	dir := filepath.Join(home, "INBOX")
	maildirtest.WriteQuiet(t, dir, 4, func(int) string { return "Subject: m\n\nbody\n" })
	a, v := selectSummarized(t, home)
	uids := slices.Clone(v.UIDs())
	given, ok := v.HighestModSeq()
	if !ok {
		t.Fatal("NOMODSEQ")
	}
	idx := filepath.Join(dir, ".mailgate-index")
	if index == "modseq-lost" {
		// The header alone: its counter stays, the table is lost.
		if err := os.Truncate(filepath.Join(dir, ".mailgate-modseq"), 40); err != nil {
			t.Fatal(err)
		}
	}
	if index != "damaged" {
		os.Remove(idx)
	} else if fi, err := os.Stat(idx); err != nil {
		t.Fatal(err)
	} else if err := os.Truncate(idx, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	f := findFile(t, dir, 2)
	switch change {
	case "remove":
		os.Remove(f)
	case "flag":
		os.Rename(f, f+"F")
	}
	v.Settle()
	storage.Quiesce(t, v)

	want, wantUIDs := "", uids
	switch change {
	case "remove":
		want, wantUIDs = "EXPUNGE 2", []uint32{uids[0], uids[2], uids[3]}
	case "flag":
		want = "FLAGS 2 " + storage.FlagFlagged
	}
	heard := pollOnce(v)
	for deadline := time.Now().Add(3 * time.Second); want != "" && !strings.Contains(heard, want) && time.Now().Before(deadline); {
		select {
		case <-v.Wake():
		case <-time.After(100 * time.Millisecond):
		}
		heard += pollOnce(v)
	}
	if want == "" && heard != "" || !strings.Contains(heard, want) || !slices.Equal(v.UIDs(), wantUIDs) {
		t.Errorf("the view was told %q, want %q; its UIDs %v, want %v", heard, want, v.UIDs(), wantUIDs)
	}

	highest, _ := v.HighestModSeq()
	switch {
	case change == "none" && highest != given:
		t.Errorf("HIGHESTMODSEQ %d, was %d with nothing changed", highest, given)
	case change != "none" && highest <= given:
		t.Errorf("HIGHESTMODSEQ %d after a change, was %d", highest, given)
	}
	if runs, _ := v.VanishedSince(given); (change == "remove") != (len(runs) == 1 && runs[0].First == uids[1] && runs[0].Last == uids[1]) {
		t.Errorf("expunged since %d: %+v", given, runs)
	}
	if change == "flag" {
		m := make([]storage.Message, 1)
		v.Lookup(uids[1:2], m)
		if m[0].ModSeq <= given {
			t.Errorf("message 2's modseq %d after its flags changed, not above %d", m[0].ModSeq, given)
		}
	}

	w, err := a.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !slices.Equal(w.UIDs(), wantUIDs) {
		t.Errorf("a new SELECT lists %v, want %v", w.UIDs(), wantUIDs)
	}
	if inUse := w.Info().Flags; (change == "flag") != slices.Contains(inUse, storage.FlagFlagged) {
		t.Errorf("a new SELECT's flags in use %q", inUse)
	}
}

// selectSummarized selects the INBOX maildir below home twice, each time
// in a new Store: the first one's scan writes the index, from which the
// second SELECT is answered (a summary). It returns the second Store's
// account and view, or skips the test when no summary was used.
func selectSummarized(t *testing.T, home string) (*storage.Account, *storage.View) {
	t.Helper()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "alice", Home: home}
	newStore := func() *storage.Store {
		return storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	s := newStore()
	v, err := s.Account(u, layout).Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Settle()
	storage.Quiesce(t, v)
	v.Close()
	s.Close()
	s = newStore()
	t.Cleanup(func() { s.Close() })
	a := s.Account(u, layout)
	if v, err = a.Select("INBOX", false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if !storage.Summarized(v) {
		t.Skip("the SELECT was not answered from the index")
	}
	return a, v
}

// TestSummaryIndexLostGhostUnknown: as TestSummaryIndexLostTellsViews,
// message 2 (\Seen) removed, but the view looks it up before it is told
// EXPUNGE (a FETCH 1:* FLAGS right after SELECT builds the messages).
// What the message was like is not known any more: Lookup must give UID
// 0, as for any unknown message, not a ghost with no flags, size 0.
func TestSummaryIndexLostGhostUnknown(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "INBOX")
	maildirtest.WriteQuiet(t, dir, 4, func(int) string { return "Subject: m\n\nbody\n" })
	f := findFile(t, dir, 2)
	if err := os.Rename(f, f+"S"); err != nil {
		t.Fatal(err)
	}
	// A directory changed within its time granularity is not trusted
	// by the index.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "cur"), old, old); err != nil {
		t.Fatal(err)
	}
	_, v := selectSummarized(t, home)
	uids := slices.Clone(v.UIDs())
	os.Remove(filepath.Join(dir, ".mailgate-index"))
	os.Remove(f + "S")

	m := make([]storage.Message, 1)
	v.Lookup(uids[1:2], m) // builds the messages
	if m[0].UID != 0 {
		t.Errorf("Lookup of removed UID %d before EXPUNGE answers UID %d, flags %q, size %d; want UID 0",
			uids[1], m[0].UID, m[0].Flags, m[0].Size)
	}
	if heard := pollOnce(v); !strings.Contains(heard, "EXPUNGE 2") {
		t.Errorf("the view was told %q, want EXPUNGE 2", heard)
	}
}
