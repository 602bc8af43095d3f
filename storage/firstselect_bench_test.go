package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

func BenchmarkFirstSelect10k(b *testing.B) { benchmarkFirstSelect(b, 10_000) }

// benchmarkFirstSelect measures the first SELECT ever of a maildir INBOX
// of n messages written by another program (names with S=, W= and u=,
// and a .mu-prop): before each, mailgate's files in it are removed.
func benchmarkFirstSelect(b *testing.B, n int) {
	home := b.TempDir()
	inbox := filepath.Join(home, "INBOX")
	writeSelectMaildir(b, inbox, n)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		des, _ := os.ReadDir(inbox)
		for _, de := range des {
			if strings.HasPrefix(de.Name(), ".mailgate") {
				os.Remove(filepath.Join(inbox, de.Name()))
			}
		}
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		b.StartTimer()
		start := cpuNow()
		v, err := s.Account(u, layout).Select("INBOX", false)
		if err != nil {
			b.Fatal(err)
		}
		v.Info()
		if v.Count() != uint32(n) || v.FirstUnseen() == 0 {
			b.Fatalf("%d messages", v.Count())
		}
		cpu += cpuNow() - start
		b.StopTimer()
		v.Close()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
