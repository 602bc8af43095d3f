package gateway

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mailgate/mailgate/internal/accept"
	"github.com/pires/go-proxyproto"
)

// proxyHeaderTimeout bounds the wait for a trusted proxy's PROXY header.
const proxyHeaderTimeout = 5 * time.Second

// proxyListener takes the PROXY protocol header (HAProxy's, v1 or v2;
// nginx's proxy_protocol) of every connection from a trusted proxy, so
// that the client's own address is the one the access list, the limits,
// the login throttle and the logs see. The header is read in a goroutine
// per connection, so a slow proxy holds up no one else; a connection
// from a trusted proxy without a valid header is closed and logged.
// Connections from other addresses pass untouched: their PROXY header,
// if they send one, is just a bad command.
type proxyListener struct {
	net.Listener
	trusted func() []netip.Prefix // read at each connection: a reload may change it
	log     *slog.Logger

	conns  chan net.Conn
	failed chan struct{} // closed when the listener's Accept failed; err says why
	err    error
	done   chan struct{}
	once   sync.Once
}

// newProxyListener starts accepting on ln, taking PROXY headers from the
// addresses that trusted returns at the time (none: every connection
// passes untouched).
func newProxyListener(ln net.Listener, trusted func() []netip.Prefix, log *slog.Logger) *proxyListener {
	l := &proxyListener{Listener: ln, trusted: trusted, log: log,
		conns: make(chan net.Conn), failed: make(chan struct{}), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *proxyListener) acceptLoop() {
	l.err = accept.Loop(l.Listener, func(c net.Conn) {
		if !l.isTrusted(remoteAddr(c)) {
			go l.hand(c)
			return
		}
		go func() {
			pc := proxyproto.NewConn(c, proxyproto.SetReadHeaderTimeout(proxyHeaderTimeout))
			pc.ProxyHeaderPolicy = proxyproto.REQUIRE
			if pc.ProxyHeader() == nil {
				l.log.Warn("mailgate: a trusted proxy's connection has no valid PROXY header; closed", "proxy", c.RemoteAddr().String())
				c.Close()
				return
			}
			l.hand(&proxiedConn{Conn: pc})
		}()
	}, l.log)
	close(l.failed)
}

func (l *proxyListener) isTrusted(a netip.Addr) bool {
	for _, p := range l.trusted() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hand passes c to Accept, or closes it once the listener is closed.
func (l *proxyListener) hand(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// Accept returns the next connection, its header read.
func (l *proxyListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.failed:
		return nil, l.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (l *proxyListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// proxiedConn is a connection whose PROXY header was read. NetConn gives
// the socket itself, for a session process (which then sees the proxy's
// address; the daemon has checked the client's).
type proxiedConn struct {
	*proxyproto.Conn
}

// NetConn returns the underlying socket.
func (c *proxiedConn) NetConn() net.Conn { return c.Conn.Raw() }
