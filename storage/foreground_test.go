package storage

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock for yielder that moves only when slept on.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time        { return c.t }
func (c *fakeClock) sleep(d time.Duration) { c.t = c.t.Add(d) }
func (c *fakeClock) yielder(fg *foregroundState) yielder {
	return yielder{fg: fg, now: c.now, sleep: c.sleep}
}

// TestYield checks that background work waits while a command is in
// progress, or ended less than foregroundQuiet ago, and not otherwise,
// on a clock of its own; stop ends a wait.
func TestYield(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name     string
		active   bool          // a command in progress
		endedAgo time.Duration // when the last command ended, before the yield
		stop     bool          // stop reports true at once
		wantWait time.Duration // how long the yield waited
	}{
		{name: "quiet", endedAgo: time.Hour},
		{name: "command ended long enough ago", endedAgo: foregroundQuiet},
		{name: "command just ended", endedAgo: 0, wantWait: foregroundQuiet},
		{name: "command ended a moment ago", endedAgo: foregroundQuiet / 2, wantWait: foregroundQuiet / 2},
		{name: "command in progress: burst", active: true, endedAgo: time.Hour, wantWait: yieldMax},
		{name: "command in progress, stopped", active: true, endedAgo: time.Hour, stop: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fg foregroundState
			fg.ended.Store(start.Add(-tt.endedAgo).UnixNano())
			if tt.active {
				fg.active.Add(1)
			}
			clock := &fakeClock{t: start}
			y := clock.yielder(&fg)
			y.yield(func() bool { return tt.stop })
			if got := clock.t.Sub(start); got != tt.wantWait {
				t.Errorf("waited %v, want %v", got, tt.wantWait)
			}
		})
	}
}

// TestYieldBurst checks that a worker whose wait ran out goes on without
// waiting for yieldBurst, so that constant load does not starve it.
func TestYieldBurst(t *testing.T) {
	var fg foregroundState
	fg.active.Add(1)
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{t: start}
	y := clock.yielder(&fg)
	y.yield(nil) // waits yieldMax, then bursts
	if want := start.Add(yieldMax + yieldBurst); !y.burstUntil.Equal(want) {
		t.Errorf("burst until %v, want %v", y.burstUntil.Sub(start), want.Sub(start))
	}
	clock.sleep(yieldBurst - time.Millisecond)
	y.yield(nil)
	if got := clock.t.Sub(start); got != yieldMax+yieldBurst-time.Millisecond {
		t.Errorf("waited within its burst: the clock is at %v", got)
	}
}

// TestYieldBurstShared checks that two workers kept waiting do not burst
// at once: the second gets its turn yieldMax after the first's burst.
func TestYieldBurstShared(t *testing.T) {
	var fg foregroundState
	fg.active.Add(1)
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{t: start}
	a, b := clock.yielder(&fg), clock.yielder(&fg)
	a.yield(nil)
	b.yield(nil)
	if want := a.burstUntil.Add(yieldMax + yieldBurst); !b.burstUntil.Equal(want) {
		t.Errorf("bursts overlap or follow too closely: %v, then %v", a.burstUntil.Sub(start), b.burstUntil.Sub(start))
	}
}

// TestYieldBusyGrace checks that no burst starts in the first busyGrace
// of a busy period, and that one does after it; that a command that
// begins within foregroundQuiet of the last one's end continues the busy
// period, and one that begins later starts another.
func TestYieldBusyGrace(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &fakeClock{t: start}
	var fg foregroundState
	fg.begin(clock.t)
	y := clock.yielder(&fg)
	y.yield(nil)
	if got, want := y.burstUntil.Sub(start), busyGrace+yieldBurst; got != want {
		t.Errorf("burst until %v after the busy period began, want %v", got, want)
	}

	// The command ends; the next begins within foregroundQuiet: the
	// same busy period, past its grace.
	fg.end(clock.t)
	clock.sleep(foregroundQuiet / 2)
	fg.begin(clock.t)
	if !fg.claimBurst(clock.t.Add(yieldMax + yieldBurst)) {
		t.Errorf("a command that continues a busy period past its grace: no burst")
	}

	// It ends, and the next begins after foregroundQuiet: a new busy
	// period, in its grace.
	fg.end(clock.t)
	clock.sleep(foregroundQuiet)
	fg.begin(clock.t)
	began := clock.t
	z := clock.yielder(&fg)
	z.yield(nil)
	if got := z.burstUntil.Sub(began); got != busyGrace+yieldBurst {
		t.Errorf("a new busy period: burst until %v after it began, want %v", got, busyGrace+yieldBurst)
	}
}

// TestForeground checks that Foreground counts the process's commands,
// which a yielder's zero value waits for.
func TestForeground(t *testing.T) {
	before := foreground.active.Load()
	done := Foreground()
	if got := foreground.active.Load(); got != before+1 {
		t.Errorf("in progress: %d, want %d", got, before+1)
	}
	done()
	if got := foreground.active.Load(); got != before {
		t.Errorf("after: %d, want %d", got, before)
	}
	if time.Since(time.Unix(0, foreground.ended.Load())) > time.Minute {
		t.Errorf("the end of the command was not noted")
	}
}

// BenchmarkYieldShare measures what background work takes from a long
// command: two workers (the full-text build's, one per CPU) that yield
// before each millisecond of work, while one command stays in progress
// for a second (within busyGrace: nothing) or four per iteration.
// bg-share is the part of that time the workers spent working, summed
// over both (1 = a whole CPU).
func BenchmarkYieldShare(b *testing.B) {
	for _, d := range []time.Duration{time.Second, 4 * time.Second} {
		b.Run(d.String(), func(b *testing.B) { benchmarkYieldShare(b, d) })
	}
}

func benchmarkYieldShare(b *testing.B, d time.Duration) {
	var worked time.Duration
	for range b.N {
		// A busy period of its own.
		time.Sleep(2 * foregroundQuiet)
		done := Foreground()
		stop := time.Now().Add(d)
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
	b.ReportMetric(worked.Seconds()/float64(b.N)/d.Seconds(), "bg-share")
}
