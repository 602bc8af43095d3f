package storage

import (
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
