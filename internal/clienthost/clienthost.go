// Package clienthost says which client addresses count as one, wherever
// mailgate counts clients: the login throttle and the connection limits
// by host, on-demand certificates and the log of failed TLS handshakes by
// site, so that a client cannot escape a count by rotating its source
// address within what it holds.
package clienthost

import "net/netip"

// The IPv6 prefix lengths that count as one client.
const (
	// HostBits: one host commonly holds a whole /64.
	HostBits = 64
	// SiteBits: one customer is commonly given a /56 or a /48, up to
	// 65,536 /64s, which a client that rotates its addresses walks
	// through in a minute.
	SiteBits = 48
)

// Key returns the address that stands for addr when IPv6 clients are
// counted by their first v6Bits bits (HostBits, SiteBits): an IPv4
// address, IPv4-mapped ones included, is itself; an IPv6 address is the
// first address of its /v6Bits. The zone is dropped, and the zero Addr
// stays zero.
func Key(addr netip.Addr, v6Bits int) netip.Addr {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		if p, err := addr.Prefix(v6Bits); err == nil {
			return p.Addr()
		}
	}
	return addr
}
