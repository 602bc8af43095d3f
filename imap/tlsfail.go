package imap

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/mailgate/mailgate/internal/clienthost"
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
// first of a client host in each handshakeLogWindow, with the number of
// those not logged since. A host is an IPv6 /48 (clienthost.SiteBits), so
// that a client rotating its source addresses through what it holds is
// one host. A failed handshake is the client's doing (a scanner, a client
// that does not trust the certificate), and a client that reconnects as
// fast as it can must not write a log line each time.
//
// Past maxHandshakeHosts, the failures of the hosts not remembered are
// counted together, as one more host: logged once a window however many
// hosts fail. Hosts whose window ended are forgotten to make room, at
// most once a window, so that a flood does not walk the whole table at
// each failure. Safe for concurrent use.
type handshakeFailures struct {
	mu        sync.Mutex
	seen      map[netip.Addr]*handshakeHost
	untracked handshakeHost // the failures of hosts not in seen
	swept     time.Time     // when seen was last swept
}

// handshakeHost is one host's failures in the current window.
type handshakeHost struct {
	logged time.Time // when its last line was written
	quiet  int       // failures since, not logged
}

// note counts a failure at now, and reports whether to log it and how
// many failures were not logged before it.
func (e *handshakeHost) note(now time.Time) (log bool, quiet int) {
	if !e.logged.IsZero() && now.Sub(e.logged) < handshakeLogWindow {
		e.quiet++
		return false, 0
	}
	quiet = e.quiet
	*e = handshakeHost{logged: now}
	return true, quiet
}

// note counts a failed handshake from addr at now. It reports whether to
// log it, how many failures of that host were not logged before it, and
// whether the host is one of those not remembered (whose failures are
// counted together).
func (h *handshakeFailures) note(addr netip.Addr, now time.Time) (log bool, quiet int, untracked bool) {
	key := clienthost.Key(addr, clienthost.SiteBits)
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.seen[key]; ok {
		log, quiet = e.note(now)
		return log, quiet, false
	}
	if h.seen == nil {
		h.seen = map[netip.Addr]*handshakeHost{}
	}
	if len(h.seen) >= maxHandshakeHosts && now.Sub(h.swept) >= handshakeLogWindow {
		// Hosts whose window ended are forgotten with their count.
		h.swept = now
		for k, e := range h.seen {
			if now.Sub(e.logged) >= handshakeLogWindow {
				delete(h.seen, k)
			}
		}
	}
	if len(h.seen) >= maxHandshakeHosts {
		log, quiet = h.untracked.note(now)
		return log, quiet, true
	}
	h.seen[key] = &handshakeHost{logged: now}
	return true, 0, false
}

// handshakeFailed logs a failed TLS handshake (what is "STARTTLS" or
// "TLS"), at most once a minute for each client host, and once a minute
// for all the hosts past handshakeFailures' bound.
func (s *session) handshakeFailed(what string, err error) {
	log, quiet, untracked := s.srv.handshakeFailures.note(s.remote, time.Now())
	switch {
	case !log:
	case untracked:
		s.log.Info("imap: "+what+" handshake failed; too many hosts fail to count each, and their failures make one line a minute",
			"err", err, "failed-before-not-logged", quiet)
	case quiet > 0:
		s.log.Info("imap: "+what+" handshake failed", "err", err, "failed-before-not-logged", quiet)
	default:
		s.log.Info("imap: "+what+" handshake failed", "err", err)
	}
}

// acmeValidation reports whether the handshake on tc negotiated
// acme-tls/1: a TLS-ALPN-01 validation by the CA (RFC 8737), which
// carries no IMAP and ends once the certificate is shown; the session
// closes the connection rather than greet it.
func acmeValidation(tc *tls.Conn) bool {
	return tc.ConnectionState().NegotiatedProtocol == tlsmgr.ACMETLS1
}
