package gateway

import (
	"net"

	"github.com/mailgate/mailgate/imap"
)

// imapFrontend is an imap.Server as a Frontend: sessions that come
// through the gateway's listeners start unauthenticated.
type imapFrontend struct{ *imap.Server }

// ServeConn serves one IMAP session on c.
func (f imapFrontend) ServeConn(c net.Conn) { f.Server.ServeConn(c, nil) }

// imapServices returns one IMAP frontend for each [[server]], with the
// TLS configuration of its certificates.
func (g *Gateway) imapServices() []*service {
	var out []*service
	for i, sc := range g.conf().Servers {
		srv := imap.New(g.serverOptions(i, sc, g.certs.forServer(i, "imap")))
		g.imapServers = append(g.imapServers, srv) // Run holds g.mu
		l := Listener{Address: sc.Address, MaxConnectionsPerAddress: sc.MaxConnectionsPerAddress,
			TrustedProxies: sc.TrustedProxyPrefixes()}
		if sc.TLSMode.Implicit() {
			// The server's own configuration, which records the
			// certificate each handshake presents for SCRAM-PLUS.
			l.TLS = srv.TLSConfig()
		}
		out = append(out, &service{name: "imap", frontend: imapFrontend{srv}, listeners: []Listener{l}})
	}
	return out
}
