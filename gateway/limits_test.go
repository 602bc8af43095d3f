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
