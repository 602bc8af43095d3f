package storage

import (
	"sync"
	"testing"
	"time"
)

// TestYield checks that background work waits while a command is in
// progress, and not when none is, without timing anything: the stop
// function is asked only while the worker waits.
func TestYield(t *testing.T) {
	tests := []struct {
		name     string
		active   bool // a command in progress
		recent   bool // a command just ended
		stopped  bool // stop reports true at once
		wantWait bool
	}{
		{name: "quiet", wantWait: false},
		{name: "command in progress", active: true, stopped: true, wantWait: true},
		{name: "command just ended", recent: true, stopped: true, wantWait: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			foreground.ended.Store(0)
			if tt.recent {
				Foreground()()
			}
			if tt.active {
				done := Foreground()
				defer done()
			}
			asked := 0
			var y yielder
			y.yield(func() bool { asked++; return tt.stopped })
			if got := asked > 0; got != tt.wantWait {
				t.Errorf("waited = %v, want %v", got, tt.wantWait)
			}
		})
	}
}

// TestYieldBurst checks that a worker whose wait ran out goes on without
// waiting for a while, so that constant load does not starve it.
func TestYieldBurst(t *testing.T) {
	done := Foreground()
	defer done()
	var y yielder
	before := time.Now()
	y.yield(nil) // waits yieldMax, then bursts
	if !y.burstUntil.After(before.Add(yieldMax)) {
		t.Errorf("no burst after a wait that ran out: until %v, wait began %v", y.burstUntil, before)
	}
}

// TestYieldBurstShared checks that two workers kept waiting do not burst
// at once: the second gets its turn yieldMax after the first's burst.
func TestYieldBurstShared(t *testing.T) {
	done := Foreground()
	defer done()
	var a, b yielder
	a.yield(nil)
	b.yield(nil)
	if !b.burstUntil.After(a.burstUntil.Add(yieldMax)) {
		t.Errorf("bursts overlap or follow too closely: %v, then %v", a.burstUntil, b.burstUntil)
	}
}

// BenchmarkYieldShare measures what background work takes from a long
// command: two workers (the full-text build's, one per CPU) that yield
// before each millisecond of work, while one command stays in progress
// for a second per iteration. bg-share is the part of that second the
// workers spent working, summed over both (1 = a whole CPU).
func BenchmarkYieldShare(b *testing.B) {
	var worked time.Duration
	for range b.N {
		done := Foreground()
		stop := time.Now().Add(time.Second)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var y yielder
				for time.Now().Before(stop) {
					y.yield(func() bool { return !time.Now().Before(stop) })
					if !time.Now().Before(stop) {
						return
					}
					t := time.Now()
					for time.Since(t) < time.Millisecond {
					}
					mu.Lock()
					worked += time.Since(t)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		done()
	}
	b.ReportMetric(worked.Seconds()/float64(b.N), "bg-share")
}
