//go:build unix

package storage_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

// BenchmarkColdMHSelectEnvelope10k measures what a process that has
// never opened an MH folder of 10,000 messages (a new Store each time,
// as inetd starts one a session) pays for a SELECT ("select-ns/op": the
// scan reads every file, and the numbers file that tells whether the
// cache file's values still hold) and then for the first FETCH 1:*
// ENVELOPE from the cache file ("fetch-ns/op", one CachedBytes a
// message), and the process's CPU time for both ("cpu-ns/op"), which a
// busy machine inflates less than the wall time. Every value must come
// from the cache file.
func BenchmarkColdMHSelectEnvelope10k(b *testing.B) {
	const n = 10_000
	home := b.TempDir()
	box := filepath.Join(home, "MHBox")
	if err := os.MkdirAll(box, 0o700); err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("From: s%d@example.org\nSubject: benchmark %d\n\nHello.\n", i, i)
		if err := os.WriteFile(filepath.Join(box, strconv.Itoa(i)), []byte(msg), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(box, ".mh_sequences"), []byte(fmt.Sprintf("unseen: %d-%d\n", n/2, n)), 0o600)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "c", Home: home}
	newStore := func() *storage.Store {
		return storage.New(storage.Options{Drivers: []storage.Driver{maildir.New(), mh.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	s := newStore()
	v, err := s.Account(u, layout).Select("MHBox", false)
	if err != nil {
		b.Fatal(err)
	}
	for _, uid := range v.UIDs() {
		v.SetCached(uid, "imap.envelope", bytes.Repeat([]byte{'v'}, 300+int(uid)%300))
	}
	v.Close()
	s.Close()
	var sel, fetch, cpu time.Duration
	for b.Loop() {
		s := newStore()
		start, cpuStart := time.Now(), cpuNow()
		v, err := s.Account(u, layout).Select("MHBox", true)
		if err != nil {
			b.Fatal(err)
		}
		if v.Count() != n {
			b.Fatalf("%d messages", v.Count())
		}
		mid := time.Now()
		for _, uid := range v.UIDs() {
			if _, ok := v.CachedBytes(uid, "imap.envelope"); !ok {
				b.Fatalf("UID %d: no envelope in the cache", uid)
			}
		}
		end := time.Now()
		cpu += cpuNow() - cpuStart
		sel += mid.Sub(start)
		fetch += end.Sub(mid)
		v.Close()
		s.Close()
	}
	b.ReportMetric(float64(sel.Nanoseconds())/float64(b.N), "select-ns/op")
	b.ReportMetric(float64(fetch.Nanoseconds())/float64(b.N), "fetch-ns/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
