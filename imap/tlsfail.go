package imap

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/tlsmgr"
)

// errTLSFailed ends a session whose STARTTLS handshake failed: the stream
// is in no known state, so nothing more is written to it, neither a
// tagged reply nor a BYE, in the clear or not (RFC 3501 section 6.2.1
// leaves the client to close; an implicit-TLS listener does the same).
var errTLSFailed = errors.New("TLS handshake failed")

// handshakeLogWindow is how long the failed TLS handshakes of one client
// host make one log line.
const handshakeLogWindow = time.Minute

// maxHandshakeHosts bounds the hosts handshakeFailures remembers.
const maxHandshakeHosts = 4096

// handshakeFailures decides which failed TLS handshakes are logged: the
// first of a client host (an IPv6 /64, as the login throttle counts it)
// in each handshakeLogWindow, with the number of those not logged since.
// A failed handshake is the client's doing (a scanner, a client that
// does not trust the certificate), and a client that reconnects as fast
// as it can must not write a log line each time. Safe for concurrent use.
type handshakeFailures struct {
	mu   sync.Mutex
	seen map[netip.Addr]*handshakeHost
}

// handshakeHost is one host's failures in the current window.
type handshakeHost struct {
	logged time.Time // when its last line was written
	quiet  int       // failures since, not logged
}

// note counts a failed handshake from addr at now. It reports whether to
// log it and how many failures of that host were not logged before it.
func (h *handshakeFailures) note(addr netip.Addr, now time.Time) (log bool, quiet int) {
	key := auth.HostAddr(addr)
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.seen[key]; ok && now.Sub(e.logged) < handshakeLogWindow {
		e.quiet++
		return false, 0
	} else if ok {
		quiet = e.quiet
	}
	if h.seen == nil {
		h.seen = map[netip.Addr]*handshakeHost{}
	}
	if len(h.seen) >= maxHandshakeHosts {
		// Hosts whose window ended are forgotten with their count; past
		// the bound, a host is logged each time rather than remembered.
		for k, e := range h.seen {
			if now.Sub(e.logged) >= handshakeLogWindow {
				delete(h.seen, k)
			}
		}
		if len(h.seen) >= maxHandshakeHosts {
			return true, quiet
		}
	}
	h.seen[key] = &handshakeHost{logged: now}
	return true, quiet
}

// handshakeFailed logs a failed TLS handshake (what is "STARTTLS" or
// "TLS"), at most once a minute for each client host.
func (s *session) handshakeFailed(what string, err error) {
	log, quiet := s.srv.handshakeFailures.note(s.remote, time.Now())
	if !log {
		return
	}
	if quiet > 0 {
		s.log.Info("imap: "+what+" handshake failed", "err", err, "failed-before-not-logged", quiet)
		return
	}
	s.log.Info("imap: "+what+" handshake failed", "err", err)
}

// acmeValidation reports whether the handshake on tc negotiated
// acme-tls/1: a TLS-ALPN-01 validation by the CA (RFC 8737), which
// carries no IMAP and ends once the certificate is shown; the session
// closes the connection rather than greet it.
func acmeValidation(tc *tls.Conn) bool {
	return tc.ConnectionState().NegotiatedProtocol == tlsmgr.ACMETLS1
}
