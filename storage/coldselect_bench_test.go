package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

func BenchmarkColdSelect10k(b *testing.B)  { benchmarkColdSelect(b, 10_000) }
func BenchmarkColdSelect100k(b *testing.B) { benchmarkColdSelect(b, 100_000) }

// benchmarkColdSelect measures what a SELECT costs a process that has
// never opened the mailbox (a new Store each time): a maildir INBOX of n
// messages, quiet for an hour, whose index and modseq files are up to
// date. It asks what SELECT answers: counts, flags, first unseen.
func benchmarkColdSelect(b *testing.B, n int) {
	home := b.TempDir()
	inbox := filepath.Join(home, "INBOX")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(inbox, sub), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte("From: a@example.org\nSubject: benchmark\n\nHello.\n")
	letters := []string{"S", "RS", "", "FS", "S"}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("1700000000.M%dP1Q%d.host,S=%d,W=%d,u=%d:2,%s", i, i, len(body), len(body)+4, i, letters[i%len(letters)])
		if err := os.WriteFile(filepath.Join(inbox, "cur", name), body, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(inbox, ".mu-prop"), []byte(fmt.Sprintf("uidnext: %d\nuid-validity: 1700000000\n", n+1)), 0o600); err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"cur", "new"} {
		os.Chtimes(filepath.Join(inbox, sub), old, old)
	}
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	open := func() {
		var w io.Writer = io.Discard
		if os.Getenv("COLD_DEBUG") != "" {
			w = os.Stderr
		}
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), Linger: -1})
		c0 := cpuNow()
		t0 := time.Now()
		v, err := s.Account(u, layout).Select("INBOX", false)
		t1 := time.Now()
		c1 := cpuNow()
		if err != nil {
			b.Fatal(err)
		}
		v.Info()
		if v.Count() != uint32(n) || v.FirstUnseen() == 0 {
			b.Fatalf("%d messages", v.Count())
		}
		t2 := time.Now()
		v.Close()
		s.Close()
		if os.Getenv("COLD_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, "select", t1.Sub(t0), "cpu", c1-c0, "info", t2.Sub(t1), "close", time.Since(t2))
		}
	}
	open() // writes the index and the modseq file
	b.ResetTimer()
	for b.Loop() {
		open()
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
