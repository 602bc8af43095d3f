package imap

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReadInParallelCapsReaders: many commands reading in parallel at
// once (sessions' first FETCHes after a restart) run at most
// cap(extraReaders) reader goroutines beside their own, and every call
// of each still reads every index once.
func TestReadInParallelCapsReaders(t *testing.T) {
	const callers = 12
	const n = 4 * minParallelReads
	var running, most atomic.Int64
	var wg sync.WaitGroup
	counts := make([][]atomic.Int32, callers)
	for c := range callers {
		counts[c] = make([]atomic.Int32, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			readInParallel(n, func(i int, buf []byte) []byte {
				now := running.Add(1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				time.Sleep(100 * time.Microsecond) // a read waiting for the disk
				running.Add(-1)
				counts[c][i].Add(1)
				return buf
			})
		}()
	}
	wg.Wait()
	if m, limit := most.Load(), int64(callers+cap(extraReaders)); m > limit {
		t.Errorf("%d reads at once, want at most %d (%d callers and %d extra readers)", m, limit, callers, cap(extraReaders))
	}
	for c := range callers {
		for i := range n {
			if got := counts[c][i].Load(); got != 1 {
				t.Fatalf("caller %d read index %d %d times", c, i, got)
			}
		}
	}
	if len(extraReaders) != 0 {
		t.Errorf("%d reader tokens not given back", len(extraReaders))
	}
}
