package gateway

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mailgate/mailgate/config"
)

type countCloser struct{ n atomic.Int32 }

func (c *countCloser) Close() error { c.n.Add(1); return nil }

// TestRetirement: what a reload replaced is closed once after its wait,
// or by closeAll if that comes first, never twice; with no wait it stays
// until closeAll. The timers run on the bubble's clock: each check comes
// after the timer's time has passed and its function has returned.
func TestRetirement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r retirement
		soon, later, never := &countCloser{}, &countCloser{}, &countCloser{}
		r.add(soon, 10*time.Millisecond)
		r.add(later, time.Hour)
		r.add(never, 0)
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if soon.n.Load() != 1 || later.n.Load() != 0 || never.n.Load() != 0 {
			t.Fatalf("after the first wait: closed %d, %d, %d times; want 1, 0, 0", soon.n.Load(), later.n.Load(), never.n.Load())
		}
		r.closeAll()
		if soon.n.Load() != 1 || later.n.Load() != 1 || never.n.Load() != 1 {
			t.Errorf("after closeAll: closed %d, %d, %d times; want 1 each", soon.n.Load(), later.n.Load(), never.n.Load())
		}
		late := &countCloser{}
		r.add(late, time.Millisecond)
		r.closeAll()
		time.Sleep(time.Hour) // every timer has fired
		synctest.Wait()
		if late.n.Load() != 1 || later.n.Load() != 1 {
			t.Errorf("chains closed by closeAll before their timers: closed %d and %d times; want 1 each", late.n.Load(), later.n.Load())
		}
	})
}

// TestRetireAfter: the longest login-timeout of the old and the new
// configuration, plus the margin; none when a listener has no
// login-timeout (then sessions may wait for ever before LOGIN).
func TestRetireAfter(t *testing.T) {
	cfg := func(timeouts ...time.Duration) *config.Config {
		c := &config.Config{}
		for _, d := range timeouts {
			c.Servers = append(c.Servers, config.Server{LoginTimeout: d})
		}
		return c
	}
	for _, tc := range []struct {
		name     string
		old, new *config.Config
		want     time.Duration
	}{
		{"same", cfg(time.Minute), cfg(time.Minute), time.Minute + retireMargin},
		{"longest of both", cfg(time.Minute, 3*time.Minute), cfg(2 * time.Minute), 3*time.Minute + retireMargin},
		{"lowered by the reload", cfg(10 * time.Minute), cfg(time.Second), 10*time.Minute + retireMargin},
		{"no login-timeout", cfg(time.Minute, 0), cfg(time.Minute), 0},
	} {
		if got := retireAfter(tc.old, tc.new); got != tc.want {
			t.Errorf("%s: retireAfter = %v, want %v", tc.name, got, tc.want)
		}
	}
}
