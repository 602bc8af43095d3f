package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
)

// Resync drops the caches and indexes of a mailbox and reads it again,
// keeping UIDVALIDITY, UIDs and modification sequences, which are not
// caches: in every format the figures before and after agree, and the
// cached values are gone.
func TestResyncKeepsTheTruth(t *testing.T) {
	for _, format := range []string{"maildir", "mbox"} {
		t.Run(format, func(t *testing.T) {
			home := t.TempDir()
			s := storage.New(storage.Options{
				Drivers: []storage.Driver{maildir.New(), mbox.New(mbox.Options{})},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			t.Cleanup(func() { s.Close() })
			a := s.Account(storage.User{Name: "alice", Home: home},
				&storage.Layout{Inbox: format + ":$home/INBOX", DefaultType: format})
			for _, subject := range []string{"one", "two", "three"} {
				if _, _, err := a.Append("INBOX", msg(subject), nil, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			uids := v.UIDs()
			if _, err := v.Store(uids[:1], storage.AddFlags, []string{storage.FlagSeen}); err != nil {
				t.Fatal(err)
			}
			v.SetCached(uids[1], "imap.envelope", []byte("(envelope)"))
			v.Close() // the cache file is written

			before, err := a.Report("INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if before.Format != format || before.Messages != 3 || before.Unseen != 2 || before.HighestModSeq == 0 {
				t.Fatalf("report before: %+v", before)
			}
			after, err := a.Resync("INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("resync changed the figures:\nbefore %+v\nafter  %+v", before, after)
			}
			cache := filepath.Join(before.Path, ".mailgate-cache")
			if format == "mbox" {
				cache = filepath.Join(filepath.Dir(before.Path), ".INBOX.mgcache")
			}
			if _, err := os.Stat(cache); err == nil {
				t.Errorf("the cache file %s is still there", cache)
			}
			v, err = a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if _, ok := v.Cached(uids[1], "imap.envelope"); ok {
				t.Error("the cached value survived the resync")
			}
			if got := v.UIDs(); len(got) != 3 || got[0] != uids[0] || got[2] != uids[2] {
				t.Errorf("UIDs after resync: %v, want %v", got, uids)
			}
			if _, err := a.Resync("NoSuchMailbox"); err == nil {
				t.Error("resync of a mailbox that does not exist succeeded")
			}
		})
	}
}
