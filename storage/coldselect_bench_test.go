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
// date. It asks what SELECT answers: counts, flags, first unseen. The
// watch on the mailbox's directories, set after the answer, is left out.
func benchmarkColdSelect(b *testing.B, n int) {
	benchmarkColdOpen(b, n, func(v *storage.View) {
		if v.Count() != uint32(n) || v.FirstUnseen() == 0 {
			b.Fatalf("%d messages", v.Count())
		}
	})
}

// benchmarkColdOpen runs then measures, in a new Store each time, a
// SELECT of a quiet maildir INBOX of n messages and what work does with
// the view, and reports the process's CPU time beside the wall time
// (which a busy machine inflates more).
func benchmarkColdOpen(b *testing.B, n int, work func(*storage.View)) {
	home := b.TempDir()
	inbox := filepath.Join(home, "INBOX")
	writeSelectMaildir(b, inbox, n)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	var cpu time.Duration
	open := func() {
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		start := cpuNow()
		v, err := s.Account(u, layout).Select("INBOX", false)
		if err != nil {
			b.Fatal(err)
		}
		v.Info()
		work(v)
		cpu += cpuNow() - start
		v.Close()
		s.Close()
	}
	open() // writes the index and the modseq file
	cpu = 0
	for b.Loop() {
		open()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuNow returns the CPU time the process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeSelectMaildir writes a maildir of n messages at inbox the way
// another program (imap4d) names them, with S=, W= and u=, and a
// .mu-prop, and makes it look quiet for an hour.
func writeSelectMaildir(b testing.TB, inbox string, n int) {
	b.Helper()
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
}

func BenchmarkColdFetchFlags10k(b *testing.B)  { benchmarkColdFetchFlags(b, 10_000) }
func BenchmarkColdFetchFlags100k(b *testing.B) { benchmarkColdFetchFlags(b, 100_000) }

// benchmarkColdFetchFlags measures what the storage side of a fresh
// process's SELECT then FETCH 1:* (FLAGS) costs (see
// benchmarkColdSelect): the messages are built from the index file's
// records and the modseqs read, then looked up in batches as the IMAP
// frontend does.
func benchmarkColdFetchFlags(b *testing.B, n int) {
	out := make([]storage.Message, 256)
	benchmarkColdOpen(b, n, func(v *storage.View) {
		uids := v.UIDs()
		for i := 0; i < len(uids); i += len(out) {
			batch := uids[i:min(i+len(out), len(uids))]
			v.Lookup(batch, out[:len(batch)])
			if out[0].UID != batch[0] || out[0].ModSeq == 0 {
				b.Fatalf("message %d: %+v", batch[0], out[0])
			}
		}
	})
}
