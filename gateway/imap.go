package gateway

import (
	"net"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
)

// imapFrontend is an imap.Server as a Frontend: sessions that come
// through the gateway's listeners start unauthenticated.
type imapFrontend struct{ *imap.Server }

// ServeConn serves one IMAP session on c.
func (f imapFrontend) ServeConn(c net.Conn) { f.Server.ServeConn(c, nil) }

// imapServices returns one IMAP frontend for each [[server]], with the
// TLS configuration of its certificates. Its listener reads the limits
// and trusted proxies that a reload may change at each connection.
func (g *Gateway) imapServices() []*service {
	var out []*service
	st := g.cur()
	for i, sc := range st.cfg.Servers {
		srv := imap.New(g.serverOptions(st, i, g.certs.forServer(i, "imap")))
		g.imapServers = append(g.imapServers, srv) // Run holds g.mu
		l := Listener{Address: sc.Address, live: func() config.Server { return g.serverConf(i) }}
		if sc.TLSMode.Implicit() {
			// The server's own configuration, which records the
			// certificate each handshake presents for SCRAM-PLUS.
			l.TLS = srv.TLSConfig()
		}
		out = append(out, &service{name: "imap", frontend: imapFrontend{srv}, listeners: []Listener{l}})
	}
	return out
}

// serverConf returns [[server]] number i of the configuration in force,
// which a reload keeps in the order of the listeners (runningServers).
func (g *Gateway) serverConf(i int) config.Server {
	if ss := g.conf().Servers; i < len(ss) {
		return ss[i]
	}
	return config.DefaultServer()
}
