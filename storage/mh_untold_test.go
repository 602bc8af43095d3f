package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/fts"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestMHUntoldResetsIndex: an MH folder whose numbers file is gone (a
// copy, an older mailgate's folder) and whose messages another program
// renumbered: a new process takes each file as its number's message, as
// nothing tells otherwise, and its full-text index, beside the folder
// or in the data directory, no longer answers with the UID of the
// message a word was in before, and every message gets a new modseq
// (a CONDSTORE client's flags of a UID are of another message).
func TestMHUntoldResetsIndex(t *testing.T) {
	for _, beside := range []bool{true, false} {
		name := map[bool]string{true: "beside", false: "data dir"}[beside]
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			home := filepath.Join(root, "alice")
			box := filepath.Join(home, "Mail", "inbox")
			writeMH(t, box, map[string]string{"1": "Subject: a\n\nalpha\n", "2": "Subject: b\n\nbeta\n"})
			conf := &storage.FullText{Beside: beside, Extract: rawDoc}
			if !beside {
				conf.Dir = filepath.Join(root, "fts")
			}
			process := func() *storage.Account {
				s := storage.New(storage.Options{
					Drivers:  []storage.Driver{mh.New()},
					Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
					FullText: conf,
				})
				t.Cleanup(func() { s.Close() })
				return s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "mh:$home/Mail/inbox", DefaultType: "mh"})
			}
			// waitWord waits until the index finds word in one message,
			// and returns the filter.
			waitWord := func(v *storage.View, word string) *fts.Filter {
				t.Helper()
				for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					if f := v.TextFilter(word, fts.Body); f != nil && f.Count() == 1 {
						return f
					}
					if time.Now().After(deadline) {
						t.Fatalf("the index does not find %q", word)
					}
				}
			}
			v, err := process().Select("INBOX", true)
			if err != nil {
				t.Fatal(err)
			}
			if f := waitWord(v, "alpha"); !f.May(1) {
				t.Fatal("alpha is not in UID 1 at first")
			}
			before, _ := v.HighestModSeq()
			v.Close()
			if err := os.Remove(filepath.Join(box, ".mailgate-numbers")); err != nil {
				t.Fatal(err)
			}
			sortmSwap(t, box)
			v, err = process().Select("INBOX", true)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if after, ok := v.HighestModSeq(); !ok || after <= before {
				t.Errorf("HIGHESTMODSEQ %d (%v), was %d: the messages kept their modseqs", after, ok, before)
			}
			if f := waitWord(v, "alpha"); f.May(1) || !f.May(2) {
				t.Errorf("SEARCH BODY alpha answers UID 1 (now beta's file): the index kept the old UIDs")
			}
		})
	}
}
