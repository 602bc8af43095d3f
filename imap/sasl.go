package imap

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
	"sync"

	"github.com/mailgate/mailgate/auth"
)

// saslConn describes the connection to the SASL mechanisms: its TLS
// state, the certificate this server presented, whether passwords may be
// sent, whether the listener requires TLS first, and what was advertised.
func (s *session) saslConn() auth.Conn {
	c := auth.Conn{PlaintextOK: s.plaintextOK(), TLSRequired: s.srv.tlsRequired()}
	if tc, ok := plainConn(s.conn).(*tls.Conn); ok {
		cs := tc.ConnectionState()
		c.TLS = &cs
		c.ServerCertificate = s.serverCert
	}
	c.Advertised = s.mechanisms(c)
	return c
}

// mechanisms returns the configured mechanisms that are usable on c, in
// the configured order: only they are advertised (AUTH=) and accepted.
func (s *session) mechanisms(c auth.Conn) []string {
	var out []string
	for _, m := range s.opts.Mechanisms {
		if s.opts.SASL.Usable(m, c) {
			out = append(out, m)
		}
	}
	return out
}

// presentedCerts remembers, for each TLS handshake under way, the
// certificate this server presented, keyed by the connection below TLS:
// Go's tls.Conn does not tell a server which of its certificates it
// sent, and tls-server-end-point channel binding needs it.
type presentedCerts struct{ m sync.Map } // net.Conn -> *tls.Certificate

// wrap returns a copy of cfg whose certificate choice is recorded; nil
// for nil. A configuration chosen per client (GetConfigForClient) is
// wrapped too.
func (p *presentedCerts) wrap(cfg *tls.Config) *tls.Config {
	if cfg == nil {
		return nil
	}
	// Go calls GetCertificate only when there are no Certificates or the
	// client sent a name: recording picks among them itself.
	c := cfg.Clone()
	c.GetCertificate, c.Certificates = p.recording(cfg), nil
	if get := cfg.GetConfigForClient; get != nil {
		c.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			cc, err := get(h)
			if cc == nil || err != nil {
				return cc, err
			}
			rec := p.recording(cc)
			cc = cc.Clone()
			cc.GetCertificate, cc.Certificates = rec, nil
			return cc, nil
		}
	}
	return c
}

// recording chooses the certificate as crypto/tls would from cfg (its
// GetCertificate, else the first of its Certificates the client
// supports, else the first) and records it.
func (p *presentedCerts) recording(cfg *tls.Config) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	get, static := cfg.GetCertificate, cfg.Certificates
	return func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		var cert *tls.Certificate
		var err error
		// As crypto/tls: GetCertificate when there are no Certificates
		// or the client sent a name.
		if get != nil && (len(static) == 0 || h.ServerName != "") {
			cert, err = get(h)
		}
		if cert == nil && err == nil && len(static) > 0 {
			cert = &static[0]
			for i := range static {
				if h.SupportsCertificate(&static[i]) == nil {
					cert = &static[i]
					break
				}
			}
		}
		if cert != nil && h.Conn != nil {
			p.m.Store(h.Conn, cert)
		}
		return cert, err
	}
}

// take returns and forgets the leaf certificate presented on the
// connection below tc; nil when unknown.
func (p *presentedCerts) take(tc *tls.Conn) *x509.Certificate {
	v, ok := p.m.LoadAndDelete(tc.NetConn())
	if !ok {
		return nil
	}
	cert := v.(*tls.Certificate)
	if cert.Leaf != nil {
		return cert.Leaf
	}
	if len(cert.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// readOnlyRefused lists the commands that change mail, refused in a
// read-only session (an ANONYMOUS login); SELECT is served as EXAMINE.
func readOnlyRefused(name string) bool {
	return slices.Contains([]string{"APPEND", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
		"STORE", "COPY", "MOVE", "EXPUNGE"}, name)
}
