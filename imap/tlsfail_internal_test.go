package imap

import (
	"net/netip"
	"testing"
	"time"
)

// The failures of one host are logged once a window, the next line
// saying how many were not; an IPv6 /48 is one host.
func TestHandshakeFailuresNote(t *testing.T) {
	var h handshakeFailures
	t0 := time.Now()
	a := netip.MustParseAddr("192.0.2.1")
	v6a, v6b := netip.MustParseAddr("2001:db8:1:1::1"), netip.MustParseAddr("2001:db8:1:ffff::2")
	steps := []struct {
		addr  netip.Addr
		at    time.Duration
		log   bool
		quiet int
	}{
		{a, 0, true, 0},
		{a, time.Second, false, 0},
		{a, 59 * time.Second, false, 0},
		{a, 61 * time.Second, true, 2},
		{a, 62 * time.Second, false, 0},
		{v6a, 0, true, 0},
		{v6b, time.Second, false, 0}, // another /64 of the same /48
	}
	for i, s := range steps {
		log, quiet, untracked := h.note(s.addr, t0.Add(s.at))
		if log != s.log || quiet != s.quiet || untracked {
			t.Errorf("step %d (%v at %v): log %v, quiet %d, untracked %v; want %v, %d, false",
				i, s.addr, s.at, log, quiet, untracked, s.log, s.quiet)
		}
	}
}

// However many hosts fail within a window, the lines are bounded: one
// for each host remembered, and one for all the others together, which
// says at the next window how many were not logged. The memory is
// bounded, and hosts whose window ended make room.
func TestHandshakeFailuresFlood(t *testing.T) {
	const hosts = 5000
	t0 := time.Now()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	v6 := func(i int) netip.Addr { // distinct /64s of one /48
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, byte(i >> 8), byte(i), 15: 1})
	}
	for _, tc := range []struct {
		name  string
		addr  func(int) netip.Addr
		lines int
	}{
		{"IPv4 hosts", v4, maxHandshakeHosts + 1},
		{"IPv6 /64s of one /48", v6, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h handshakeFailures
			lines := 0
			for i := range hosts {
				if log, _, _ := h.note(tc.addr(i), t0.Add(time.Duration(i)*time.Millisecond)); log {
					lines++
				}
			}
			if lines != tc.lines {
				t.Errorf("%d failures from %d addresses within a window made %d lines; want %d", hosts, hosts, lines, tc.lines)
			}
			if len(h.seen) > maxHandshakeHosts {
				t.Errorf("%d hosts remembered; the bound is %d", len(h.seen), maxHandshakeHosts)
			}
		})
	}

	var h handshakeFailures
	for i := range hosts {
		h.note(v4(i), t0)
	}
	if !h.swept.Equal(t0) {
		t.Errorf("the full table was last swept at %v; want once, at %v", h.swept, t0)
	}
	// The next window: the first untracked host's line counts the
	// failures not logged, and the hosts whose window ended make room.
	next := t0.Add(handshakeLogWindow)
	log, quiet, untracked := h.note(netip.MustParseAddr("192.0.2.9"), next)
	if !log || untracked || quiet != 0 {
		t.Errorf("a new host once every window ended: log %v, quiet %d, untracked %v; want a line of its own", log, quiet, untracked)
	}
	if len(h.seen) != 1 {
		t.Errorf("%d hosts remembered after every window ended; want 1", len(h.seen))
	}
	h = handshakeFailures{}
	for i := range hosts {
		h.note(v4(i), t0)
	}
	for i := range maxHandshakeHosts { // the table fills again in the next window
		h.note(v4(hosts+i), next)
	}
	log, quiet, untracked = h.note(v4(2*hosts), next)
	if want := hosts - maxHandshakeHosts - 1; !log || !untracked || quiet != want {
		t.Errorf("the first untracked failure of the next window: log %v, quiet %d, untracked %v; want a line counting %d", log, quiet, untracked, want)
	}
}
