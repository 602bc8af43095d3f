package storage_test

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

func BenchmarkColdFetchEnvelope10k(b *testing.B)  { benchmarkColdFetchEnvelope(b, 10_000) }
func BenchmarkColdFetchEnvelope100k(b *testing.B) { benchmarkColdFetchEnvelope(b, 100_000) }

// benchmarkColdFetchEnvelope measures what FETCH 1:* ENVELOPE asks of
// the storage core in a process that has never opened the mailbox (a new
// Store each time) when the mailbox's cache file holds every message's
// values: each message's envelope, one CachedBytes call per message as
// imap's fetcher makes them. The cache file has the keys and sizes the IMAP
// frontend keeps: an envelope of 300-600 bytes, a body structure of
// 200-2000, search fields of about 350, and sort keys for a fifth of the
// messages. The SELECT (a Scan of the in-memory folder) is not timed.
func benchmarkColdFetchEnvelope(b *testing.B, n int) {
	d := newMemDriver("mem", false)
	d.cacheFiles = true
	home := b.TempDir()
	newStore := func() *storage.Store {
		return storage.New(storage.Options{Drivers: []storage.Driver{d},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	layout := &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem"}
	u := storage.User{Name: "c", Home: home}
	fillCachedMemBox(b, d, filepath.Join(home, "INBOX"), n)
	s := newStore()
	v, err := s.Account(u, layout).Select("INBOX", false)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	val := func(lo, hi int) []byte { return bytes.Repeat([]byte{'v'}, lo+rng.IntN(hi-lo+1)) }
	for _, uid := range v.UIDs() {
		v.SetCached(uid, "imap.envelope", val(300, 600))
		v.SetCached(uid, "imap.bodystructure/2", val(200, 2000))
		v.SetCached(uid, "imap.searchfields", val(300, 400))
		if uid%5 == 0 {
			v.SetCached(uid, "imap.sortkeys", val(100, 160))
		}
	}
	v.Close()
	s.Close()
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := newStore()
		v, err := s.Account(u, layout).Select("INBOX", true)
		if err != nil {
			b.Fatal(err)
		}
		uids := v.UIDs()
		b.StartTimer()
		start := cpuNow()
		size := 0
		for _, uid := range uids {
			e, ok := v.CachedBytes(uid, "imap.envelope")
			if !ok {
				b.Fatalf("UID %d: no envelope in the cache", uid)
			}
			size += len(e)
		}
		cpu += cpuNow() - start
		b.StopTimer()
		if size < 300*n {
			b.Fatalf("%d bytes of envelopes", size)
		}
		v.Close()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// fillCachedMemBox makes the mailbox at path of d with n small messages.
func fillCachedMemBox(b *testing.B, d *memDriver, path string, n int) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		b.Fatal(err)
	}
	if err := d.Create(path, 0o600); err != nil {
		b.Fatal(err)
	}
	f, err := d.Open(path, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		if _, err := f.Append(bytes.NewReader([]byte("Subject: x\n\nx\n")), nil, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
