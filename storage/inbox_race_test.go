package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestFirstLookAtInboxInParallel has several processes (a Store each)
// look at a new user's INBOX at the same moment, as a client that opens
// several connections to a new account does: every one finds it. Before,
// the one whose mkdir lost the race was told NO [NONEXISTENT] while the
// winner was still making cur/ and new/ (imaptest's stress run showed it).
func TestFirstLookAtInboxInParallel(t *testing.T) {
	const processes, rounds = 6, 25
	for _, format := range []string{"maildir", "mh", "mbox"} {
		t.Run(format, func(t *testing.T) {
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			layout := &storage.Layout{
				Inbox:       format + ":$home/INBOX",
				DefaultType: format,
				Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: format}}},
			}
			for round := range rounds {
				home := filepath.Join(t.TempDir(), "home")
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
				accounts := make([]*storage.Account, processes)
				for i := range accounts {
					s := storage.New(storage.Options{
						Drivers:  []storage.Driver{maildir.New(), mh.New(), mbox.New(mbox.Options{FlushDelay: -1})},
						Logger:   log,
						SpoolDir: t.TempDir(),
					})
					defer s.Close()
					accounts[i] = s.Account(storage.User{Name: "alice", Home: home}, layout)
				}
				var start, done sync.WaitGroup
				start.Add(1)
				errs := make([]error, processes)
				validity := make([]uint32, processes)
				for i, a := range accounts {
					done.Go(func() {
						start.Wait()
						if i%2 == 0 {
							st, err := a.Status("INBOX")
							errs[i], validity[i] = err, st.UIDValidity
							return
						}
						v, err := a.Select("INBOX", false)
						if err == nil {
							validity[i] = v.Info().UIDValidity
							v.Close()
						}
						errs[i] = err
					})
				}
				start.Done()
				done.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d, process %d: %v", round, i, err)
					}
					if validity[i] != validity[0] {
						t.Fatalf("round %d: UIDVALIDITY %d in process %d, %d in process 0", round, validity[i], i, validity[0])
					}
				}
			}
		})
	}
}
