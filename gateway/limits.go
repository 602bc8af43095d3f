package gateway

import (
	"net"
	"net/netip"
	"sync"
)

// sessionLimits counts sessions in all and per client address.
type sessionLimits struct {
	max    int
	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]int
}

func newSessionLimits(max int) *sessionLimits {
	return &sessionLimits{max: max, byAddr: map[netip.Addr]int{}}
}

// acquire takes a session slot for addr, or reports why it cannot.
func (l *sessionLimits) acquire(addr netip.Addr, perAddr int) (ok bool, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return false, "Too many sessions; try again later"
	}
	if perAddr > 0 && l.byAddr[addr] >= perAddr {
		return false, "Too many connections from your address"
	}
	l.total++
	l.byAddr[addr]++
	return true, ""
}

func (l *sessionLimits) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// guardedListener applies the access list and the session limits before a
// connection reaches a frontend. Refused clients hear why and are closed.
type guardedListener struct {
	net.Listener
	g       *Gateway
	perAddr int
}

// Accept returns the next connection that passes the checks.
func (gl *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := gl.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteAddr(c)
		if !gl.g.allowed(addr) {
			gl.g.log.Info("mailgate: connection refused by the access list", "remote", c.RemoteAddr().String())
			c.Write([]byte("* BYE Access denied\r\n"))
			c.Close()
			continue
		}
		if ok, reason := gl.g.sessions.acquire(addr, gl.perAddr); !ok {
			gl.g.log.Warn("mailgate: connection refused", "remote", c.RemoteAddr().String(), "reason", reason)
			c.Write([]byte("* BYE " + reason + "\r\n"))
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { gl.g.sessions.release(addr) }}, nil
	}
}

// limitedConn gives its session slot back when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// allowed applies the [[acl]] list: the first entry that matches decides;
// no match allows.
func (g *Gateway) allowed(addr netip.Addr) bool {
	for _, a := range g.cfg.ACL {
		if a.Matches(addr) {
			return a.Action == "allow"
		}
	}
	return true
}
