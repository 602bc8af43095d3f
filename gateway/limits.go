package gateway

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/internal/accept"
	"golang.org/x/net/netutil"
)

// sessionLimits counts sessions in all and per client address, telling
// apart the connections still waiting to log in, so that these cannot
// take every slot:
//
//   - From one address (one host: an IPv6 /64, as the login throttle
//     counts it, auth.HostAddr), at most perAddr connections, of which at most half
//     (rounded up) not logged in: twenty idle connections from one
//     address leave room for everyone else.
//   - In all, at most max sessions. Connections not logged in may fill
//     three quarters of them (rounded up); past that, only an address
//     with no connection waiting to log in may connect, so that the last
//     quarter goes to other clients rather than to more of the same
//     strangers.
//
// A refusal is answered at once; nothing already connected is dropped,
// so "-dN" refuses the N+1th connection as imap4d does. The
// not-yet-logged-in state is bounded in time by [[server]] login-timeout.
type sessionLimits struct {
	max     int // 0: no limit
	perUser int // max-sessions-per-user; 0: no limit

	mu      sync.Mutex
	total   int
	waiting int                       // connections not logged in
	byAddr  map[netip.Addr]*addrCount // by auth.HostAddr
	byUser  map[string]int
}

// addrCount is what one client address holds.
type addrCount struct {
	total, waiting int
}

func newSessionLimits(max, perUser int) *sessionLimits {
	return &sessionLimits{max: max, perUser: perUser, byAddr: map[netip.Addr]*addrCount{}, byUser: map[string]int{}}
}

// admitUser counts one more session of user, or reports why not
// (max-sessions-per-user). The count holds every session of the daemon,
// those in session processes included, until releaseUser.
func (l *sessionLimits) admitUser(user string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perUser > 0 && l.byUser[user] >= l.perUser {
		return errors.New("Too many sessions of this user; log out elsewhere first")
	}
	l.byUser[user]++
	return nil
}

// releaseUser forgets one session of user.
func (l *sessionLimits) releaseUser(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byUser[user]--; l.byUser[user] <= 0 {
		delete(l.byUser, user)
	}
}

// setLimits changes max-children and max-sessions-per-user (a reload);
// sessions over the new limits stay, and new ones wait for room.
func (l *sessionLimits) setLimits(max, perUser int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.max, l.perUser = max, perUser
}

// share returns n*num/den rounded up, at least 1.
func share(n, num, den int) int {
	return max(1, (n*num+den-1)/den)
}

// acquire takes a slot for a new connection from addr, or reports why it
// cannot. perAddr is the listener's max-connections-per-address (0: no
// limit).
func (l *sessionLimits) acquire(addr netip.Addr, perAddr int) (ok bool, reason string) {
	addr = auth.HostAddr(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.byAddr[addr]
	if a == nil {
		a = &addrCount{}
	}
	switch {
	case l.max > 0 && l.total >= l.max:
		return false, "Too many sessions; try again later"
	case perAddr > 0 && a.total >= perAddr:
		return false, "Too many connections from your address"
	case perAddr > 0 && a.waiting >= share(perAddr, 1, 2):
		return false, "Too many connections from your address waiting to log in"
	case l.max > 0 && l.waiting >= share(l.max, 3, 4) && a.waiting > 0:
		return false, "Too many connections waiting to log in; try again later"
	}
	l.total++
	l.waiting++
	a.total++
	a.waiting++
	l.byAddr[addr] = a
	return true, ""
}

// loggedIn moves a slot of addr from the waiting connections to the
// logged-in ones.
func (l *sessionLimits) loggedIn(addr netip.Addr) {
	addr = auth.HostAddr(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waiting--
	if a := l.byAddr[addr]; a != nil {
		a.waiting--
	}
}

// release gives back a slot of addr; waiting says whether it had not
// logged in.
func (l *sessionLimits) release(addr netip.Addr, waiting bool) {
	addr = auth.HostAddr(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	a := l.byAddr[addr]
	if waiting {
		l.waiting--
		if a != nil {
			a.waiting--
		}
	}
	if a != nil {
		if a.total--; a.total <= 0 {
			delete(l.byAddr, addr)
		}
	}
}

// counts returns the sessions in all and those waiting to log in.
func (l *sessionLimits) counts() (total, waiting int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.waiting
}

// maxRefusals bounds the refusals under way at once: each waits for a
// handshake or a slow client for up to refuseTimeout, and a flood of
// connections over the limits must not pile them up.
const maxRefusals = 64

// refuseTimeout bounds one refusal, its TLS handshake included.
const refuseTimeout = 10 * time.Second

// capConnections returns ln holding at most max connections at once (the
// others wait in the kernel's backlog), or ln itself when max is 0.
func capConnections(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, max)
}

// guardedListener applies the access list and the session limits before a
// connection reaches a frontend, and wraps it in TLS on an implicit-TLS
// listener. Refused clients hear why from the frontend, in its protocol.
type guardedListener struct {
	net.Listener
	g        *Gateway
	frontend Frontend
	l        Listener
	backoff  accept.Backoff
}

// Accept returns the next connection that passes the checks.
func (gl *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := gl.Listener.Accept()
		if err != nil {
			// Out of descriptors or the like: wait here, so that no
			// frontend's loop, an embedder's included, gives up on an
			// error that passes.
			if accept.Retryable(err) {
				gl.backoff.Wait(err)
				continue
			}
			return nil, err
		}
		gl.backoff.Reset()
		if c, ok := gl.admit(c); ok {
			return c, nil
		}
	}
}

// admit applies the checks to a connection just accepted: it returns it
// ready for the frontend, or false when it was refused (or dropped). A
// panic in the checks drops this connection only and is logged: Accept
// runs in the listener's goroutine, where it would end the daemon and
// every session in it.
func (gl *guardedListener) admit(c net.Conn) (_ net.Conn, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			gl.g.log.Error("mailgate: accepting a connection panicked; dropping it", "remote", c.RemoteAddr().String(),
				"panic", p, "stack", string(debug.Stack()))
			c.Close() // a limitedConn gives its slot back
			ok = false
		}
	}()
	if gl.g.metrics != nil {
		c = &meteredConn{Conn: c, m: gl.g.metrics}
	}
	addr := remoteAddr(c)
	if !gl.g.allowed(c) {
		gl.refuse(c, "Access denied")
		return nil, false
	}
	if !gl.l.Unlimited {
		perAddr := gl.l.perAddress()
		if !addr.IsValid() {
			perAddr = 0 // a unix socket's clients have no address to tell apart
		}
		if ok, reason := gl.g.sessions.acquire(addr, perAddr); !ok {
			gl.g.log.Warn("mailgate: connection refused", "remote", c.RemoteAddr().String(), "reason", reason)
			gl.refuse(c, reason)
			return nil, false
		}
		c = &limitedConn{Conn: c, limits: gl.g.sessions, addr: addr}
	}
	if gl.l.TLS != nil {
		return tls.Server(c, gl.l.TLS), true
	}
	return c, true
}

// refuse has the frontend tell the client why, without holding up
// Accept: in a goroutine, with a deadline, and over TLS on an
// implicit-TLS listener.
func (gl *guardedListener) refuse(c net.Conn, reason string) {
	if gl.l.TLS != nil {
		c = tls.Server(c, gl.l.TLS)
	}
	select {
	case gl.g.refusals <- struct{}{}:
	default:
		gl.g.log.Debug("mailgate: too many refusals under way; closing without a word", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	c.SetDeadline(time.Now().Add(refuseTimeout))
	go func() {
		defer func() {
			if p := recover(); p != nil { // as in admit: this connection only
				gl.g.log.Error("mailgate: refusing a connection panicked", "remote", c.RemoteAddr().String(),
					"panic", p, "stack", string(debug.Stack()))
				c.Close()
			}
			<-gl.g.refusals
		}()
		gl.frontend.Refuse(c, reason)
	}()
}

// limitedConn holds a session slot. It implements imap.Slot: the session
// says when it has logged in, and gives the slot back before it answers
// LOGOUT, so that a client reconnecting at once finds it free. Closing
// gives it back too; only the first release counts.
type limitedConn struct {
	net.Conn
	limits *sessionLimits
	addr   netip.Addr

	mu       sync.Mutex
	loggedIn bool
	released bool
	user     string // admitted (max-sessions-per-user), or ""
}

// Admit implements imap.UserSlot: max-sessions-per-user.
func (c *limitedConn) Admit(user string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released || c.user != "" {
		return nil
	}
	if err := c.limits.admitUser(user); err != nil {
		return err
	}
	c.user = user
	return nil
}

// LoggedIn counts the slot among the logged-in sessions.
func (c *limitedConn) LoggedIn(string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loggedIn || c.released {
		return
	}
	c.loggedIn = true
	c.limits.loggedIn(c.addr)
}

// Release gives the slot back, once.
func (c *limitedConn) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return
	}
	c.released = true
	c.limits.release(c.addr, !c.loggedIn)
	if c.user != "" {
		c.limits.releaseUser(c.user)
	}
}

// NetConn returns the connection below, whose descriptor a session
// process takes over.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

// Close releases the slot and closes the connection.
func (c *limitedConn) Close() error {
	c.Release()
	return c.Conn.Close()
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
