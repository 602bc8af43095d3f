package mbox

import (
	"testing"
	"time"
)

// TestRetryPause: a waiter for a busy lock never sleeps longer than
// retryCap (whatever RetrySleep says) nor longer than RetrySleep, and
// one that has waited retryLong tries again within retryFirst, so that
// it is not starved by waiters that came later and try more often.
func TestRetryPause(t *testing.T) {
	for _, tc := range []struct {
		name         string
		last, waited time.Duration
		sleep        time.Duration
		lo, hi       time.Duration
	}{
		{"doubles", 5 * time.Millisecond, 5 * time.Millisecond, time.Second, 5 * time.Millisecond, 10 * time.Millisecond},
		{"capped", 80 * time.Millisecond, 300 * time.Millisecond, time.Second, retryCap / 2, retryCap},
		{"short retry-sleep", 80 * time.Millisecond, 300 * time.Millisecond, 20 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond},
		{"waited long", retryCap, retryLong, time.Second, retryFirst / 2, retryFirst},
		{"tiny retry-sleep", time.Microsecond, 0, time.Microsecond, 500 * time.Microsecond, time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 200 {
				got := retryPause(tc.last, tc.waited, tc.sleep)
				if got < tc.lo || got > tc.hi {
					t.Fatalf("retryPause(%v, %v, %v) = %v, want %v..%v", tc.last, tc.waited, tc.sleep, got, tc.lo, tc.hi)
				}
			}
		})
	}
}
