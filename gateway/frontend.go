package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"

	"github.com/mailgate/mailgate/config"
)

// Frontend is a protocol server that a Gateway hosts: mailgate's IMAP and
// LMTP servers, or a program's own (see Register). The gateway owns the
// listeners, the access list, the session limits, the login throttle and
// the lifecycle; the frontend owns its protocol, the refusals included,
// so that the gateway never writes a byte of any protocol.
//
// A frontend must:
//
//   - Serve: accept connections from ln until Close, each served in a
//     goroutine of its own, and return the error that stopped it. The
//     gateway's ln returns only connections that passed the access list
//     and took a session slot; on an implicit-TLS listener they are
//     *tls.Conn whose handshake is still to come (the first read or write
//     does it). Serve returning before Close stops the gateway.
//   - ServeConn: serve one connection and return when its session ends.
//   - Refuse: tell the client why it is refused, in the protocol's own
//     words in place of a greeting (IMAP "* BYE reason", LMTP "421 4.3.2
//     reason"), and close c. The gateway calls it in a goroutine of its
//     own, with a deadline already set on c; on an implicit-TLS listener
//     c is a *tls.Conn, so the reason arrives after the handshake.
//   - Close: stop accepting, end its sessions gracefully, and wait for
//     them until ctx is done (then close what is left); the gateway closes
//     the storage after every Close has returned.
//
// A connection from the gateway's listener holds a session slot and
// implements LoggedIn(user string) and Release() (imap.Slot). A frontend
// whose clients log in calls LoggedIn when one does, so that the
// connection stops counting among those waiting to log in; one whose
// clients never log in calls LoggedIn("") when the session starts (or
// registers its listeners Unlimited). Release gives the slot back before
// the connection closes, as IMAP does before answering LOGOUT; closing the
// connection gives it back in any case.
type Frontend interface {
	Serve(ln net.Listener) error
	ServeConn(c net.Conn)
	Refuse(c net.Conn, reason string)
	Close(ctx context.Context) error
}

// Listener is one address where a frontend is served.
type Listener struct {
	// Network is "tcp" (when empty) or "unix".
	Network string
	// Address is host:port for tcp, the socket's path for unix.
	Address string
	// Listen, when set, opens the listener instead of net.Listen(Network,
	// Address): for unix sockets made with their mode and owner (LMTP's
	// lmtp.Listen), for one.
	Listen func() (net.Listener, error)
	// TLS, when set, makes the listener implicit TLS: every connection,
	// refused ones included, is a TLS server connection on this
	// configuration (Gateway.TLSConfig gives one).
	TLS *tls.Config
	// MaxConnectionsPerAddress caps the concurrent connections from one
	// client IP address, at most half of them (rounded up) not logged in;
	// 0 means no limit.
	MaxConnectionsPerAddress int
	// Unlimited leaves the listener out of the session limits
	// (max-children and MaxConnectionsPerAddress), for a delivery socket
	// whose client, the local MTA, bounds its own connections. The access
	// list applies all the same.
	Unlimited bool
	// MaxConnections caps the connections the listener holds at once,
	// for an Unlimited one whose clients could otherwise hold descriptors
	// without end; 0 means no cap. Connections over it wait in the
	// kernel's backlog until one closes.
	MaxConnections int
	// TrustedProxies are the addresses whose connections start with a
	// PROXY protocol header (v1 or v2) naming the real client, which then
	// stands for the connection everywhere: access list, limits, login
	// throttle, logs. Connections from elsewhere are taken as they are.
	TrustedProxies []netip.Prefix

	// live, when set, returns the [[server]] that the listener serves,
	// as the configuration in force has it: a reload changes its
	// max-connections-per-address and trusted-proxies for the next
	// connection, in place of the two fields above.
	live func() config.Server
}

// perAddress returns MaxConnectionsPerAddress in force.
func (l Listener) perAddress() int {
	if l.live != nil {
		return l.live().MaxConnectionsPerAddress
	}
	return l.MaxConnectionsPerAddress
}

// trustedProxies returns TrustedProxies in force.
func (l Listener) trustedProxies() []netip.Prefix {
	if l.live != nil {
		return l.live().TrustedProxyPrefixes()
	}
	return l.TrustedProxies
}

// proxied reports whether connections may come through a proxy, now or
// after a reload: the listener must then read PROXY headers.
func (l Listener) proxied() bool {
	return l.live != nil || len(l.TrustedProxies) > 0
}

// service is a frontend and where it listens.
type service struct {
	name      string
	frontend  Frontend
	listeners []Listener
}

// Register adds a frontend to be served on listeners, beside the IMAP
// frontends of the [[server]] tables; name names it in the logs ("lmtp").
// Its connections go through the same access list and session limits,
// and Run closes it at shutdown before the storage. Register must be
// called before Run.
func (g *Gateway) Register(name string, f Frontend, listeners ...Listener) error {
	for _, l := range listeners {
		if l.Address == "" && l.Listen == nil {
			return errors.New("gateway: register " + name + ": a listener without an address")
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running {
		return errors.New("gateway: register " + name + ": the gateway is already running")
	}
	g.registered = append(g.registered, &service{name: name, frontend: f, listeners: listeners})
	return nil
}

// listen opens l.
func (l Listener) listen() (net.Listener, error) {
	if l.Listen != nil {
		return l.Listen()
	}
	network := l.Network
	if network == "" {
		network = "tcp"
	}
	return net.Listen(network, l.Address)
}
