package imap

import (
	"net/netip"
	"testing"
	"time"
)

// The failures of one host are logged once a window, the next line
// saying how many were not; an IPv6 /64 is one host; the memory is
// bounded.
func TestHandshakeFailuresNote(t *testing.T) {
	var h handshakeFailures
	t0 := time.Now()
	a := netip.MustParseAddr("192.0.2.1")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
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
		{v6b, time.Second, false, 0}, // the same /64
	}
	for i, s := range steps {
		log, quiet := h.note(s.addr, t0.Add(s.at))
		if log != s.log || quiet != s.quiet {
			t.Errorf("step %d (%v at %v): log %v, quiet %d; want %v, %d", i, s.addr, s.at, log, quiet, s.log, s.quiet)
		}
	}

	var full handshakeFailures
	for i := range maxHandshakeHosts + 10 {
		addr := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		if log, _ := full.note(addr, t0); !log {
			t.Fatalf("the first failure of host %v was not logged", addr)
		}
	}
	if len(full.seen) > maxHandshakeHosts {
		t.Errorf("%d hosts remembered; the bound is %d", len(full.seen), maxHandshakeHosts)
	}
	// Once their window is over, the hosts are forgotten to make room.
	full.note(netip.MustParseAddr("192.0.2.9"), t0.Add(2*time.Minute))
	if len(full.seen) != 1 {
		t.Errorf("%d hosts remembered after every window ended; want 1", len(full.seen))
	}
}
