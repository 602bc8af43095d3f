package config

import (
	"net"
	"net/netip"

	"github.com/mailgate/mailgate/tlsmgr"
)

// PlaintextAuthAllowed reports whether LOGIN and AUTHENTICATE PLAIN may be
// used on this listener before TLS is up: never with tls-mode required
// (which takes no login of any kind before STARTTLS); otherwise when
// allow-plaintext is true, or when the listener is on a loopback address
// (127.0.0.0/8, ::1 or "localhost"), where the password never crosses a
// network.
func (s Server) PlaintextAuthAllowed() bool {
	if s.TLSMode == tlsmgr.ModeRequired {
		return false
	}
	return s.AllowPlaintext || s.IsLoopback()
}

// IsLoopback reports whether the listener's address is a loopback one. An
// empty host (every interface) is not.
func (s Server) IsLoopback() bool { return loopbackHostPort(s.Address) }

// loopbackHostPort reports whether host:port addr is on a loopback
// address (127.0.0.0/8, ::1, an IPv4-mapped loopback address or
// "localhost"), which only programs on this machine reach. An empty host
// (every interface), another name, or an addr that is not host:port is
// not.
func loopbackHostPort(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
