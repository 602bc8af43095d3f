package storage_test

import (
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
