package storage_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// BenchmarkStoredHeader10k reads the header of each message of a 10,000
// message maildir once, as a first FETCH 1:* ENVELOPE does: through
// View.StoredHeader (short), and through OpenStored and a read (open),
// as StoredHeader did before a folder's OpenShort. cpu-ns/op is the
// process's CPU time, less noisy than the wall time on a shared machine.
func BenchmarkStoredHeader10k(b *testing.B) {
	const n = 10_000
	home := b.TempDir()
	writeSelectMaildir(b, filepath.Join(home, "INBOX"), n)
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	defer s.Close()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	v, err := s.Account(storage.User{Name: "c", Home: home}, layout).Select("INBOX", true)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	uids := v.UIDs()
	if len(uids) != n {
		b.Fatalf("%d messages", len(uids))
	}
	read := map[string]func(uid uint32, buf []byte) ([]byte, error){
		"short": v.StoredHeader,
		"open": func(uid uint32, buf []byte) ([]byte, error) {
			rc, err := v.OpenStored(uid)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			n, err := io.ReadFull(rc, buf[:cap(buf)])
			if err == io.ErrUnexpectedEOF {
				err = nil
			}
			return buf[:n], err
		},
	}
	for _, name := range []string{"open", "short"} {
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			var cpu time.Duration
			for b.Loop() {
				start := cpuNow()
				for _, uid := range uids {
					h, err := read[name](uid, buf[:0])
					if err != nil || len(h) == 0 {
						b.Fatal(uid, err)
					}
				}
				cpu += cpuNow() - start
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
