package auth

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
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
		user    string
		delay   time.Duration // for "fail"
		blocked bool          // for "fail" and "check"
	}
	opts := ThrottleOptions{Delay: time.Second, MaxDelay: 3 * time.Second, Limit: 4, AddressLimit: 8, Window: time.Minute, BlockFor: 5 * time.Minute, Logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"delays grow to the cap, then block", []op{
			{0, "check", a, "u", 0, false},
			{0, "fail", a, "u", 0, false},
			{1 * time.Second, "fail", a, "u", time.Second, false},
			{2 * time.Second, "fail", a, "u", 2 * time.Second, false},
			{3 * time.Second, "check", a, "u", 0, false},
			{3 * time.Second, "fail", a, "u", 3 * time.Second, true},
			{4 * time.Second, "check", a, "u", 0, true},
			{4 * time.Second, "check", b, "u", 0, false},
			{4 * time.Second, "fail", a, "u", 3 * time.Second, true},
			{3*time.Second + 5*time.Minute - 1, "check", a, "u", 0, true},
			{3*time.Second + 5*time.Minute, "check", a, "u", 0, false},
			{3*time.Second + 5*time.Minute, "fail", a, "u", 0, false},
		}},
		{"window expires", []op{
			{0, "fail", a, "u", 0, false},
			{10 * time.Second, "fail", a, "u", time.Second, false},
			{time.Minute, "fail", a, "u", 0, false},
			{time.Minute + time.Second, "fail", a, "u", time.Second, false},
		}},
		{"success resets the user's count, not the address's", []op{
			{0, "fail", a, "u", 0, false},
			{1 * time.Second, "fail", a, "u", time.Second, false},
			{1 * time.Second, "fail", a, "u", 2 * time.Second, false},
			{2 * time.Second, "ok", a, "u", 0, false},
			{3 * time.Second, "fail", a, "u", 3 * time.Second, false},
			{3 * time.Second, "fail", a, "u", 3 * time.Second, false},
			{3 * time.Second, "fail", a, "u", 3 * time.Second, false},
			{3 * time.Second, "check", a, "u", 0, false},
			{3 * time.Second, "fail", a, "u", 3 * time.Second, true},
		}},
		{"a user blocked from one address is not blocked from another", []op{
			{0, "fail", a, "u", 0, false},
			{0, "fail", a, "u", time.Second, false},
			{0, "fail", a, "u", 2 * time.Second, false},
			{0, "fail", a, "u", 3 * time.Second, true},
			{0, "check", a, "u", 0, true},
			{0, "check", b, "u", 0, false},
			{0, "check", a, "v", 0, false},
		}},
		{"many users from one address block the address", []op{
			{0, "fail", a, "u1", 0, false}, {0, "fail", a, "u2", time.Second, false},
			{0, "fail", a, "u3", 2 * time.Second, false}, {0, "fail", a, "u4", 3 * time.Second, false},
			{0, "fail", a, "u5", 3 * time.Second, false}, {0, "fail", a, "u6", 3 * time.Second, false},
			{0, "fail", a, "u7", 3 * time.Second, false},
			{0, "check", a, "v", 0, false},
			{0, "fail", a, "u8", 3 * time.Second, true},
			{0, "check", a, "v", 0, true},
			{0, "ok", a, "v", 0, false},
			{0, "check", a, "v", 0, true},
			{0, "check", b, "v", 0, false},
		}},
		{"addresses are separate", []op{
			{0, "fail", a, "u", 0, false},
			{0, "fail", b, "u", 0, false},
			{0, "fail", a, "u", time.Second, false},
			{0, "fail", b, "u", time.Second, false},
		}},
		{"ipv4-mapped counts as ipv4", []op{
			{0, "fail", a, "u", 0, false},
			{0, "fail", netip.MustParseAddr("::ffff:192.0.2.1"), "u", time.Second, false},
		}},
		{"ipv6 counts per /64", []op{
			{0, "fail", netip.MustParseAddr("2001:db8::1"), "u", 0, false},
			{0, "fail", netip.MustParseAddr("2001:db8::ffff:2"), "u", time.Second, false},
			{0, "fail", netip.MustParseAddr("fe80::1%eth0"), "u", 0, false},
			{0, "fail", netip.MustParseAddr("2001:db8:0:1::1"), "u", 0, false},
		}},
		{"invalid address is one key", []op{
			{0, "fail", netip.Addr{}, "u", 0, false},
			{0, "fail", netip.Addr{}, "u", time.Second, false},
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
					d, bl := th.Failure(op.addr, op.user)
					if d != op.delay || bl != op.blocked {
						t.Errorf("op %d: Failure(%v, %s) = %v, %v; want %v, %v", i, op.addr, op.user, d, bl, op.delay, op.blocked)
					}
				case "ok":
					th.Success(op.addr, op.user)
				case "check":
					bl, retry := th.Blocked(op.addr, op.user)
					if bl != op.blocked || (bl && retry <= 0) || (!bl && retry != 0) {
						t.Errorf("op %d: Blocked(%v, %s) = %v, %v; want %v", i, op.addr, op.user, bl, retry, op.blocked)
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
	if _, bl := th.Failure(a, "u"); !bl {
		t.Fatal("not blocked after Limit failures")
	}
	now = now.Add(20 * time.Second)
	if bl, retry := th.Blocked(a, "u"); !bl || retry != 40*time.Second {
		t.Errorf("Blocked = %v, %v; want true, 40s", bl, retry)
	}
}

func TestThrottleBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := NewThrottle(&ThrottleOptions{MaxEntries: 6, Window: time.Minute, Limit: 2, BlockFor: time.Hour, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }})
	addr := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", i)) }
	for i := range 10 {
		th.Failure(addr(i), "u")
		if th.Len() > 6 {
			t.Fatalf("Len = %d after %d addresses, want at most 6", th.Len(), i+1)
		}
	}
	// The most recent three are kept.
	th.Failure(addr(9), "u")
	if bl, _ := th.Blocked(addr(9), "u"); !bl {
		t.Error("the most recent address was forgotten")
	}
	// Stale entries go once their window has passed; blocked ones stay
	// until their block ends.
	now = now.Add(2 * time.Minute)
	th.Failure(addr(100), "u")
	if th.Len() != 3 {
		// The new address and pair, and the blocked pair (the blocked
		// pair's address entry is stale).
		t.Errorf("Len = %d, want 3", th.Len())
	}
	now = now.Add(2 * time.Hour)
	th.Failure(addr(101), "u")
	if th.Len() != 2 {
		t.Errorf("Len = %d, want 2", th.Len())
	}
}

func TestThrottleZeroValue(t *testing.T) {
	var th Throttle
	a := netip.MustParseAddr("192.0.2.9")
	if bl, _ := th.Blocked(a, "u"); bl {
		t.Error("blocked before any failure")
	}
	th.Success(a, "u")
	var last time.Duration
	for i := range 9 {
		d, bl := th.Failure(a, "u")
		if bl || d < last || d > 4*time.Second {
			t.Fatalf("failure %d: %v, %v", i+1, d, bl)
		}
		last = d
	}
	if _, bl := th.Failure(a, "u"); !bl {
		t.Error("not blocked after 10 failures with the defaults")
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(&ThrottleOptions{MaxEntries: 50, Logger: slog.New(slog.DiscardHandler)})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a := netip.AddrFrom4([4]byte{10, 0, byte(g), byte(i)})
				th.Failure(a, "u")
				th.Blocked(a, "u")
				if i%3 == 0 {
					th.Success(a, "u")
				}
			}
		}()
	}
	wg.Wait()
	if th.Len() > 50 {
		t.Errorf("Len = %d, want at most 50", th.Len())
	}
}

// TestThrottleLogAndUnblock: a block is logged with the address, the user
// and its end; a refusal during it is logged; Blocks lists it; Unblock
// lifts it, so that the right password works again at once.
func TestThrottleLogAndUnblock(t *testing.T) {
	var logs bytes.Buffer
	now := time.Unix(1_700_000_000, 0)
	th := NewThrottle(&ThrottleOptions{Limit: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }})
	a := netip.MustParseAddr("127.0.0.1")
	th.Failure(a, "alice")
	if _, bl := th.Failure(a, "alice"); !bl {
		t.Fatal("not blocked after Limit failures")
	}
	if bl, _ := th.Blocked(a, "alice"); !bl {
		t.Fatal("Blocked says no")
	}
	out := logs.String()
	for _, want := range []string{"blocking logins of a user", "address=127.0.0.1", "user=alice", "until=", "login refused during a block"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	blocks := th.Blocks()
	if len(blocks) != 1 || blocks[0].User != "alice" || blocks[0].Addr != a || !blocks[0].Until.Equal(now.Add(15*time.Minute)) {
		t.Errorf("Blocks = %+v", blocks)
	}
	if n := th.Unblock(netip.MustParseAddr("192.0.2.1"), ""); n != 0 {
		t.Errorf("Unblock of another address lifted %d", n)
	}
	if n := th.Unblock(a, ""); n != 1 {
		t.Errorf("Unblock lifted %d blocks, want 1", n)
	}
	if bl, _ := th.Blocked(a, "alice"); bl {
		t.Error("still blocked after Unblock")
	}
	if !strings.Contains(logs.String(), "block lifted") {
		t.Error("lifting the block was not logged")
	}
	th.Failure(a, "bob")
	th.Failure(a, "bob")
	if n := th.Unblock(netip.Addr{}, ""); n != 1 || len(th.Blocks()) != 0 {
		t.Errorf("Unblock of everything lifted %d, left %v", n, th.Blocks())
	}
}

// Past MaxEntries the throttle forgets the least recent failures, but
// never a block in force: an attacker with many addresses (a few hundred
// IPv4 ones, or one IPv6 /48 with a /64 each) who fills the table with
// fresh failures does not lift the block on the pair or address they were
// guessing from.
func TestThrottleKeepsBlocksUnderPressure(t *testing.T) {
	th := NewThrottle(&ThrottleOptions{Limit: 3, MaxEntries: 100, Logger: slog.New(slog.DiscardHandler)})
	attacker := netip.MustParseAddr("2001:db8:1::1")
	for range 3 {
		th.Failure(attacker, "alice")
	}
	if blocked, _ := th.Blocked(attacker, "alice"); !blocked {
		t.Fatal("not blocked after the limit")
	}
	for i := range 200 {
		a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, byte(i >> 8), byte(i)})
		th.Failure(a, "x")
	}
	if blocked, _ := th.Blocked(attacker, "alice"); !blocked {
		t.Errorf("the block of alice from %s was forgotten after failures from 200 other /64s", attacker)
	}
	if th.Len() > 2*100 {
		t.Errorf("Len = %d, want at most 200", th.Len())
	}
}

// Blocks are kept apart up to MaxEntries of them, so memory stays
// bounded (2*MaxEntries entries) even when an attacker makes blocks from
// ever new addresses: a block past those is kept as an ordinary entry,
// the failures of others may push it out, and that is logged. A kept
// block makes room when it ends.
func TestThrottleBlocksPastTheCap(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var logs bytes.Buffer
	th := NewThrottle(&ThrottleOptions{Limit: 1, AddressLimit: 100, MaxEntries: 3, BlockFor: time.Hour, Window: time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }})
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }
	for i := range 3 {
		th.Failure(addr(i), "u") // a kept block each
	}
	if strings.Contains(logs.String(), "as many blocks") {
		t.Fatalf("logged a full table with room left:\n%s", logs.String())
	}
	th.Failure(addr(3), "u") // a fourth block: no room
	if !strings.Contains(logs.String(), "as many blocks as it can") {
		t.Errorf("a block past the kept ones was not logged:\n%s", logs.String())
	}
	for i := 10; i < 100; i++ {
		th.Failure(addr(i), "")
		if th.Len() > 6 {
			t.Fatalf("Len = %d after %d addresses, want at most 6", th.Len(), i)
		}
	}
	for i := range 3 {
		if bl, _ := th.Blocked(addr(i), "u"); !bl {
			t.Errorf("kept block %d was forgotten", i)
		}
	}
	if bl, _ := th.Blocked(addr(3), "u"); bl {
		t.Errorf("the block past the kept ones outlived %d failures from others", 90)
	}
	now = now.Add(2 * time.Hour)
	th.Failure(addr(200), "u")
	if bl, _ := th.Blocked(addr(200), "u"); !bl || th.Len() != 2 {
		t.Errorf("after the kept blocks ended: blocked %v, Len %d; want a new kept block and 2 entries", bl, th.Len())
	}
}
