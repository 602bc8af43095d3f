package auth

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {1, 0}, {2, 500 * time.Millisecond}, {3, time.Second}, {4, 2 * time.Second},
		{5, 4 * time.Second}, {6, 4 * time.Second}, {1000, 4 * time.Second},
	} {
		if got := backoff(tc.n, 500*time.Millisecond, 4*time.Second); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestThrottle(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")
	type op struct {
		at      time.Duration // since the start
		kind    string        // "fail", "ok", "check"
		addr    netip.Addr
		delay   time.Duration // for "fail"
		blocked bool          // for "fail" and "check"
	}
	opts := ThrottleOptions{Delay: time.Second, MaxDelay: 3 * time.Second, Limit: 4, Window: time.Minute, BlockFor: 5 * time.Minute}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"delays grow to the cap, then block", []op{
			{0, "check", a, 0, false},
			{0, "fail", a, 0, false},
			{1 * time.Second, "fail", a, time.Second, false},
			{2 * time.Second, "fail", a, 2 * time.Second, false},
			{3 * time.Second, "check", a, 0, false},
			{3 * time.Second, "fail", a, 3 * time.Second, true},
			{4 * time.Second, "check", a, 0, true},
			{4 * time.Second, "check", b, 0, false},
			{4 * time.Second, "fail", a, 3 * time.Second, true},
			{3*time.Second + 5*time.Minute - 1, "check", a, 0, true},
			{3*time.Second + 5*time.Minute, "check", a, 0, false},
			{3*time.Second + 5*time.Minute, "fail", a, 0, false},
		}},
		{"window expires", []op{
			{0, "fail", a, 0, false},
			{10 * time.Second, "fail", a, time.Second, false},
			{time.Minute, "fail", a, 0, false},
			{time.Minute + time.Second, "fail", a, time.Second, false},
		}},
		{"success resets", []op{
			{0, "fail", a, 0, false},
			{1 * time.Second, "fail", a, time.Second, false},
			{2 * time.Second, "ok", a, 0, false},
			{3 * time.Second, "fail", a, 0, false},
		}},
		{"addresses are separate", []op{
			{0, "fail", a, 0, false},
			{0, "fail", b, 0, false},
			{0, "fail", a, time.Second, false},
			{0, "fail", b, time.Second, false},
		}},
		{"ipv4-mapped counts as ipv4", []op{
			{0, "fail", a, 0, false},
			{0, "fail", netip.MustParseAddr("::ffff:192.0.2.1"), time.Second, false},
		}},
		{"ipv6 counts per /64", []op{
			{0, "fail", netip.MustParseAddr("2001:db8::1"), 0, false},
			{0, "fail", netip.MustParseAddr("2001:db8::ffff:2"), time.Second, false},
			{0, "fail", netip.MustParseAddr("fe80::1%eth0"), 0, false},
			{0, "fail", netip.MustParseAddr("2001:db8:0:1::1"), 0, false},
		}},
		{"invalid address is one key", []op{
			{0, "fail", netip.Addr{}, 0, false},
			{0, "fail", netip.Addr{}, time.Second, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Unix(1_700_000_000, 0)
			var now time.Time
			o := opts
			o.Now = func() time.Time { return now }
			th := NewThrottle(&o)
			for i, op := range tc.ops {
				now = start.Add(op.at)
				switch op.kind {
				case "fail":
					d, bl := th.Failure(op.addr)
					if d != op.delay || bl != op.blocked {
						t.Errorf("op %d: Failure(%v) = %v, %v; want %v, %v", i, op.addr, d, bl, op.delay, op.blocked)
					}
				case "ok":
					th.Success(op.addr)
				case "check":
					bl, retry := th.Blocked(op.addr)
					if bl != op.blocked || (bl && retry <= 0) || (!bl && retry != 0) {
						t.Errorf("op %d: Blocked(%v) = %v, %v; want %v", i, op.addr, bl, retry, op.blocked)
					}
				}
			}
		})
	}
}

func TestThrottleRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := NewThrottle(&ThrottleOptions{Limit: 1, BlockFor: time.Minute, Now: func() time.Time { return now }})
	a := netip.MustParseAddr("198.51.100.7")
	if _, bl := th.Failure(a); !bl {
		t.Fatal("not blocked after Limit failures")
	}
	now = now.Add(20 * time.Second)
	if bl, retry := th.Blocked(a); !bl || retry != 40*time.Second {
		t.Errorf("Blocked = %v, %v; want true, 40s", bl, retry)
	}
}

func TestThrottleBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := NewThrottle(&ThrottleOptions{MaxAddrs: 3, Window: time.Minute, Limit: 2, BlockFor: time.Hour, Now: func() time.Time { return now }})
	addr := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", i)) }
	for i := range 10 {
		th.Failure(addr(i))
		if th.Len() > 3 {
			t.Fatalf("Len = %d after %d addresses, want at most 3", th.Len(), i+1)
		}
	}
	// The most recent three are kept.
	th.Failure(addr(9))
	if bl, _ := th.Blocked(addr(9)); !bl {
		t.Error("the most recent address was forgotten")
	}
	// Stale entries go once their window has passed; blocked ones stay
	// until their block ends.
	now = now.Add(2 * time.Minute)
	th.Failure(addr(100))
	if th.Len() != 2 {
		t.Errorf("Len = %d, want 2 (the blocked address and the new one)", th.Len())
	}
	now = now.Add(2 * time.Hour)
	th.Failure(addr(101))
	if th.Len() != 1 {
		t.Errorf("Len = %d, want 1", th.Len())
	}
}

func TestThrottleZeroValue(t *testing.T) {
	var th Throttle
	a := netip.MustParseAddr("192.0.2.9")
	if bl, _ := th.Blocked(a); bl {
		t.Error("blocked before any failure")
	}
	th.Success(a)
	var last time.Duration
	for i := range 9 {
		d, bl := th.Failure(a)
		if bl || d < last || d > 4*time.Second {
			t.Fatalf("failure %d: %v, %v", i+1, d, bl)
		}
		last = d
	}
	if _, bl := th.Failure(a); !bl {
		t.Error("not blocked after 10 failures with the defaults")
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(&ThrottleOptions{MaxAddrs: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a := netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i)})
				th.Failure(a)
				th.Blocked(a)
				if i%3 == 0 {
					th.Success(a)
				}
			}
		}()
	}
	wg.Wait()
	if th.Len() > 50 {
		t.Errorf("Len = %d, want at most 50", th.Len())
	}
}
