package storage_test

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// modseqCeiling returns the ceiling in the header of the modseq file at
// path (see modseqfile.go's layout), 0 when it has no header.
func modseqCeiling(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 40 {
		return 0
	}
	return binary.BigEndian.Uint64(data[16:24])
}

// The first SELECT of a maildir without a modseq file reserves the first
// block before it scans: the file the scan runs beside already holds a
// ceiling above the HIGHESTMODSEQ the answer gives. A process that died
// during the scan (the file as it was then) or whose later writes were
// lost leaves a file from which the next process numbers above every
// modseq answered; an empty mailbox keeps its HIGHESTMODSEQ of 1.
func TestModSeqFirstSelectReservesBeforeScan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		messages int
	}{
		{"messages", 5},
		{"empty", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			inbox := filepath.Join(home, "INBOX")
			writeSelectMaildir(t, inbox, tc.messages)
			layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
			u := storage.User{Name: "e", Home: home}
			open := func() (*storage.Store, *storage.View) {
				s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
				v, err := s.Account(u, layout).Select("INBOX", false)
				if err != nil {
					t.Fatal(err)
				}
				return s, v
			}
			path := filepath.Join(inbox, ".mailgate-modseq")
			var duringScan []byte
			var ceilingDuringScan uint64
			restore := storage.SetEarlyModSeqHook(func(p string) {
				if p != path {
					t.Errorf("reserved in %s, want %s", p, path)
				}
				duringScan, _ = os.ReadFile(p)
				ceilingDuringScan = modseqCeiling(t, p)
			})
			defer restore()
			before := uint64(time.Now().UnixMicro())
			s, v := open()
			highest, ok := v.HighestModSeq()
			v.Close()
			s.Close()
			restore()
			if !ok {
				t.Fatal("NOMODSEQ")
			}
			if duringScan == nil {
				t.Fatal("nothing reserved before the scan")
			}
			if ceiling := modseqCeiling(t, path); ceiling < highest {
				t.Errorf("file's ceiling %d below HIGHESTMODSEQ %d", ceiling, highest)
			}
			if tc.messages == 0 {
				if highest != 1 {
					t.Errorf("empty mailbox: HIGHESTMODSEQ %d, want 1", highest)
				}
				return
			}
			if highest <= before || ceilingDuringScan < highest {
				t.Errorf("HIGHESTMODSEQ %d: want above the clock %d and at most the ceiling %d reserved before the scan", highest, before, ceilingDuringScan)
			}

			// The file as the scan left it, as if what came after was
			// lost: every message gets a modseq above the answered one.
			if err := os.WriteFile(path, duringScan, 0o600); err != nil {
				t.Fatal(err)
			}
			s, v = open()
			defer s.Close()
			defer v.Close()
			for uid, m := range modseqs(v) {
				if m <= highest {
					t.Errorf("UID %d: modseq %d after the lost write, not above %d", uid, m, highest)
				}
			}
			if h, _ := v.HighestModSeq(); h <= highest {
				t.Errorf("HIGHESTMODSEQ %d after the lost write, not above %d", h, highest)
			}
		})
	}
}

// heldSync holds the sync of the first block of the modseq file at path
// (SetEarlyModSeqSyncHook) until the test lets it go, with the error it
// is to report.
type heldSync struct {
	result chan error  // what the held sync reports
	done   atomic.Bool // the hook has returned
}

func holdEarlySync(t *testing.T, path string) *heldSync {
	h := &heldSync{result: make(chan error, 1)}
	restore := storage.SetEarlyModSeqSyncHook(func(p string, err error) error {
		if p != path {
			return err
		}
		if err == nil {
			err = <-h.result
		}
		h.done.Store(true)
		return err
	})
	t.Cleanup(func() {
		select {
		case h.result <- nil: // never let go: the store's Close waited for it
		default:
		}
		restore()
	})
	return h
}

// firstSelectHeld selects a maildir INBOX of n messages that has no
// modseq file, with its first block's sync held: it fails the test unless
// the SELECT answers while the sync is held. It returns the store, the
// view, the HIGHESTMODSEQ answered and the ceiling reserved.
func firstSelectHeld(t *testing.T, home string, h *heldSync, logger *slog.Logger) (*storage.Store, *storage.View, uint64, uint64) {
	t.Helper()
	inbox := filepath.Join(home, "INBOX")
	writeSelectMaildir(t, inbox, 5)
	path := filepath.Join(inbox, ".mailgate-modseq")
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()}, Logger: logger, Linger: -1})
	t.Cleanup(func() { s.Close() })
	type answer struct {
		v   *storage.View
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		v, err := s.Account(storage.User{Name: "e", Home: home}, firstSelectLayout).Select("INBOX", false)
		answered <- answer{v, err}
	}()
	var a answer
	select {
	case a = <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first SELECT waited for its modseq file's sync")
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	t.Cleanup(func() { a.v.Close() })
	if h.done.Load() {
		t.Fatal("the sync was let go before the SELECT answered")
	}
	highest, ok := a.v.HighestModSeq()
	if !ok {
		t.Fatal("NOMODSEQ")
	}
	ceiling := modseqCeiling(t, path)
	if highest >= ceiling {
		t.Fatalf("HIGHESTMODSEQ %d not under the reserved ceiling %d", highest, ceiling)
	}
	return s, a.v, highest, ceiling
}

var firstSelectLayout = &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The first SELECT answers while the sync of its modseq file's first
// block is still under way; a STORE right after it, and another process
// opening the mailbox, wait for that sync before they take a modseq, and
// the STORE's is above the HIGHESTMODSEQ answered.
func TestModSeqFirstSelectAnswersBeforeSync(t *testing.T) {
	home := t.TempDir()
	h := holdEarlySync(t, filepath.Join(home, "INBOX", ".mailgate-modseq"))
	before := uint64(time.Now().UnixMicro())
	_, v, highest, _ := firstSelectHeld(t, home, h, discardLogger())
	if highest <= before {
		t.Fatalf("HIGHESTMODSEQ %d not above the clock %d", highest, before)
	}

	uids := v.UIDs()
	stored := make(chan error, 1)
	var syncedFirst bool
	go func() {
		_, err := v.Store(uids[:1], storage.AddFlags, []string{storage.FlagFlagged})
		syncedFirst = h.done.Load()
		stored <- err
	}()
	other := make(chan uint64, 1)
	go func() { // another process's first SELECT: the file's lock
		s2 := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()}, Logger: discardLogger(), Linger: -1})
		defer s2.Close()
		v2, err := s2.Account(storage.User{Name: "e", Home: home}, firstSelectLayout).Select("INBOX", false)
		if err != nil {
			t.Error(err)
			other <- 0
			return
		}
		defer v2.Close()
		if !h.done.Load() {
			t.Error("another process read the modseq file before its sync returned")
		}
		m, _ := v2.HighestModSeq()
		other <- m
	}()
	select {
	case err := <-stored:
		t.Fatalf("the STORE did not wait for the sync (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	h.result <- nil
	if err := <-stored; err != nil {
		t.Fatal(err)
	}
	if !syncedFirst {
		t.Error("the STORE took its modseq before the sync returned")
	}
	if m := modseqs(v)[uids[0]]; m <= highest {
		t.Errorf("STORE's modseq %d, not above the HIGHESTMODSEQ answered %d", m, highest)
	}
	if m := <-other; m < highest {
		t.Errorf("the other process's HIGHESTMODSEQ %d, below %d", m, highest)
	}
}

// When the sync of the first block fails after the SELECT answered, no
// modseq is taken from that block: the client keeps the modseqs it was
// told, and the next change gets one above the block's ceiling, from a
// block of its own, never NOMODSEQ.
func TestModSeqFirstSelectSyncFailsAfterAnswer(t *testing.T) {
	home := t.TempDir()
	h := holdEarlySync(t, filepath.Join(home, "INBOX", ".mailgate-modseq"))
	log := &logBuffer{}
	_, v, highest, ceiling := firstSelectHeld(t, home, h, slog.New(slog.NewTextHandler(log, nil)))
	h.result <- errors.New("injected EIO")
	uids := v.UIDs()
	if _, err := v.Store(uids[1:2], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	ms := modseqs(v)
	if ms[uids[1]] <= ceiling {
		t.Errorf("STORE's modseq %d taken under the unsynced block's ceiling %d", ms[uids[1]], ceiling)
	}
	if ms[uids[0]] != highest {
		t.Errorf("an unchanged message's modseq %d, was told %d", ms[uids[0]], highest)
	}
	if h2, ok := v.HighestModSeq(); !ok || h2 != ms[uids[1]] {
		t.Errorf("HIGHESTMODSEQ %d %v after the STORE of modseq %d", h2, ok, ms[uids[1]])
	}
	path := filepath.Join(home, "INBOX", ".mailgate-modseq")
	if c := modseqCeiling(t, path); c < ms[uids[1]] {
		t.Errorf("file's ceiling %d below the STORE's modseq %d", c, ms[uids[1]])
	}
	if !strings.Contains(log.String(), "injected EIO") {
		t.Errorf("the failed sync was not logged:\n%s", log)
	}
}

// A failed sync of the first block is logged even when no change ever
// asks for its result: the mailbox is closed before any, so only the
// sync itself can tell the administrator.
func TestModSeqFirstSelectSyncFailureLoggedWithoutChange(t *testing.T) {
	home := t.TempDir()
	h := holdEarlySync(t, filepath.Join(home, "INBOX", ".mailgate-modseq"))
	log := &logBuffer{}
	s, v, _, _ := firstSelectHeld(t, home, h, slog.New(slog.NewTextHandler(log, nil)))
	v.Close()
	h.result <- errors.New("injected EIO")
	s.Close() // waits for the store's background work, the sync included
	if !strings.Contains(log.String(), "injected EIO") {
		t.Errorf("the failed sync was not logged:\n%s", log)
	}
}
