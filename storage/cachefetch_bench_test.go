package storage_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func BenchmarkColdFetchEnvelope10k(b *testing.B)  { benchmarkColdFetchEnvelope(b, 10_000) }
func BenchmarkColdFetchEnvelope100k(b *testing.B) { benchmarkColdFetchEnvelope(b, 100_000) }

// benchmarkColdFetchEnvelope measures what FETCH 1:* ENVELOPE asks of
// the storage core in a process that has never opened the mailbox (a new
// Store each time) when the mailbox's cache file holds every message's
// values: each message's envelope, one CachedBytes call per message as
// imap's fetcher makes them. The cache file has the keys and sizes the
// IMAP frontend keeps: an envelope of 300-600 bytes, a body structure of
// 200-2000, search fields of about 350, and sort keys for a fifth of the
// messages. The SELECT (a Scan of the in-memory folder) is not timed.
func benchmarkColdFetchEnvelope(b *testing.B, n int) {
	_, newStore, u, layout := cacheFileSetup(b, n)
	v, _ := selectBox(b, newStore, u, layout)
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
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s := newStore()
		v, err := s.Account(u, layout).Select("box", true)
		if err != nil {
			b.Fatal(err)
		}
		uids := v.UIDs()
		b.StartTimer()
		size := 0
		for _, uid := range uids {
			e, ok := v.CachedBytes(uid, "imap.envelope")
			if !ok {
				b.Fatalf("UID %d: no envelope in the cache", uid)
			}
			size += len(e)
		}
		b.StopTimer()
		if size < 300*n {
			b.Fatalf("%d bytes of envelopes", size)
		}
		v.Close()
		s.Close()
		b.StartTimer()
	}
}
