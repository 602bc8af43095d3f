package gateway

import (
	"net/netip"
	"testing"
)

// The session limits keep connections that have not logged in from taking
// every slot (issue 8, item 15), and count each slot once (item 16).
func TestSessionLimits(t *testing.T) {
	a, b, c := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	type step struct {
		op     string // "acquire", "login" (the n-th conn), "release" (the n-th conn)
		addr   netip.Addr
		n      int
		reason string // acquire: "" to succeed, else the refusal's start
	}
	tests := []struct {
		name         string
		max, perAddr int
		steps        []step
	}{
		{"-d1 refuses the second", 1, 0, []step{
			{"acquire", a, 0, ""}, {"acquire", b, 0, "Too many sessions"}}},
		{"half of the per-address limit may wait", 0, 4, []step{
			{"acquire", a, 0, ""}, {"acquire", a, 0, ""},
			{"acquire", a, 0, "Too many connections from your address waiting"},
			{"login", a, 0, ""},
			{"acquire", a, 0, ""},
			{"acquire", a, 0, "Too many connections from your address waiting"},
			{"login", a, 1, ""}, {"login", a, 2, ""},
			{"acquire", a, 0, ""},
			{"acquire", a, 0, "Too many connections from your address"}}},
		{"an odd limit rounds up", 0, 3, []step{
			{"acquire", a, 0, ""}, {"acquire", a, 0, ""},
			{"acquire", a, 0, "Too many connections from your address waiting"}}},
		{"the last quarter is for other addresses", 12, 0, []step{
			// 3/4 of 12 = 9 waiting, from a and b.
			{"acquire", a, 0, ""}, {"acquire", a, 0, ""}, {"acquire", a, 0, ""}, {"acquire", a, 0, ""}, {"acquire", a, 0, ""},
			{"acquire", b, 0, ""}, {"acquire", b, 0, ""}, {"acquire", b, 0, ""}, {"acquire", b, 0, ""},
			{"acquire", a, 0, "Too many connections waiting to log in"},
			{"acquire", b, 0, "Too many connections waiting to log in"},
			{"acquire", c, 0, ""},
			// c now waits too; two logins make room for a again.
			{"acquire", c, 0, "Too many connections waiting to log in"},
			{"login", a, 0, ""}, {"login", a, 1, ""},
			{"acquire", a, 0, ""},
			{"acquire", a, 0, "Too many connections waiting to log in"}}},
		{"a slot is released once", 1, 0, []step{
			{"acquire", a, 0, ""}, {"release", a, 0, ""}, {"release", a, 0, ""},
			{"acquire", a, 0, ""}, {"acquire", b, 0, "Too many sessions"}}},
		{"a released slot does not log in", 2, 0, []step{
			{"acquire", a, 0, ""}, {"release", a, 0, ""}, {"login", a, 0, ""},
			{"acquire", a, 0, ""}, {"acquire", a, 0, ""}, {"acquire", a, 0, "Too many sessions"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newSessionLimits(tt.max, 0)
			var conns []*limitedConn
			for i, s := range tt.steps {
				switch s.op {
				case "acquire":
					ok, reason := l.acquire(s.addr, tt.perAddr)
					if s.reason == "" && !ok || s.reason != "" && (ok || len(reason) < len(s.reason) || reason[:len(s.reason)] != s.reason) {
						t.Fatalf("step %d: acquire(%v) = %v %q, want %q", i, s.addr, ok, reason, s.reason)
					}
					if ok {
						conns = append(conns, &limitedConn{limits: l, addr: s.addr})
					}
				case "login":
					conns[s.n].LoggedIn("user")
				case "release":
					conns[s.n].Release()
				}
			}
			// Releasing everything leaves nothing counted.
			for _, c := range conns {
				c.Release()
			}
			if total, waiting := l.counts(); total != 0 || waiting != 0 || len(l.byAddr) != 0 {
				t.Errorf("after releasing every slot: total %d, waiting %d, %d addresses", total, waiting, len(l.byAddr))
			}
		})
	}
}

// One IPv6 host commonly holds a whole /64, and the login throttle counts
// it so: the per-address limits count it so too. Counted per address
// (/128), one host had as many "addresses" as it liked, so
// max-connections-per-address and its half for connections not logged in
// held nothing, and since past three quarters of max-children only an
// address with no connection waiting may connect, a single host took
// every slot with idle connections, renewed every login-timeout.
func TestConnectionLimitsCountIPv6PerSlash64(t *testing.T) {
	inSlash64 := func(i int) netip.Addr {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)})
	}
	l := newSessionLimits(0, 0)
	const perAddr = 20
	admitted := 0
	for i := 1; i <= 100; i++ {
		if ok, _ := l.acquire(inSlash64(i), perAddr); ok {
			admitted++
		}
	}
	if admitted > perAddr/2 {
		t.Errorf("%d connections from one /64 wait to log in; max-connections-per-address %d allows %d", admitted, perAddr, perAddr/2)
	}
	// Logging in and leaving are counted under the same /64.
	l.loggedIn(inSlash64(1))
	if ok, _ := l.acquire(inSlash64(200), perAddr); !ok {
		t.Error("a connection of the /64 that logged in left no room for another to wait")
	}
	for i := 2; i <= 11; i++ {
		l.release(inSlash64(i), true)
	}
	if total, waiting := l.counts(); total != 1 || waiting != 0 {
		t.Errorf("after the releases: %d connections, %d waiting; want 1, 0", total, waiting)
	}
	if len(l.byAddr) != 1 {
		t.Errorf("the /64 is counted under %d keys", len(l.byAddr))
	}

	// And with max-children: one /64 cannot take every slot.
	l = newSessionLimits(40, 0)
	admitted = 0
	for i := 1; i <= 40; i++ {
		if ok, _ := l.acquire(inSlash64(i), perAddr); ok {
			admitted++
		}
	}
	if ok, reason := l.acquire(netip.MustParseAddr("192.0.2.1"), perAddr); !ok {
		t.Errorf("one IPv6 /64 holds %d of 40 slots, none logged in; another client is refused: %s", admitted, reason)
	}
}
