package storage_test

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// TestSettleBuildRacesChanges: the messages of a mailbox opened from its
// summary are built by a goroutine after Settle, while a second view
// stores flags and expunges, and the mailbox is then deleted: run with
// -race, nothing races, and the build leaves a deleted mailbox alone.
func TestSettleBuildRacesChanges(t *testing.T) {
	home := t.TempDir()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "maildir"}}}}
	u := storage.User{Name: "c", Home: home}
	newStore := func() *storage.Store {
		return storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	s := newStore()
	a := s.Account(u, layout)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if _, _, err := a.Append("box", strings.NewReader("Subject: m\r\n\r\nbody\r\n"), []string{storage.FlagSeen}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	for round := range 5 {
		s := newStore()
		a := s.Account(u, layout)
		v, err := a.Select("box", false)
		if err != nil {
			t.Fatal(err)
		}
		w, err := a.Select("box", false)
		if err != nil {
			t.Fatal(err)
		}
		v.Settle()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			uids := w.UIDs()
			if len(uids) < 2 {
				return
			}
			if _, err := w.Store(uids[:len(uids)/2], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Errorf("round %d: STORE: %v", round, err)
			}
			if _, err := w.Store(uids[:1], storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
				t.Errorf("round %d: STORE \\Deleted: %v", round, err)
			}
			if err := w.Expunge(uids[:1], false); err != nil {
				t.Errorf("round %d: EXPUNGE: %v", round, err)
			}
		}()
		wg.Wait()
		if round == 4 {
			v.Close()
			w.Close()
			v, err = a.Select("box", false)
			if err != nil {
				t.Fatal(err)
			}
			v.Settle()
			if err := a.Delete("box"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond) // give the build its chance
			v.Close()
			s.Close()
			break
		}
		v.Close()
		w.Close()
		s.Close()
	}
}
