package imap

import (
	"crypto/tls"
	"crypto/x509"
	"slices"

	"github.com/mailgate/mailgate/auth"
)

// saslConn describes the connection to the SASL mechanisms: its TLS
// state, the certificate this server presented, whether passwords may be
// sent, and what was advertised.
func (s *session) saslConn() auth.Conn {
	c := auth.Conn{PlaintextOK: s.plaintextOK()}
	if tc, ok := plainConn(s.conn).(*tls.Conn); ok {
		cs := tc.ConnectionState()
		c.TLS = &cs
		c.ServerCertificate = s.serverCertificate(&cs)
	}
	c.Advertised = s.mechanisms(c)
	return c
}

// mechanisms returns the configured mechanisms that are usable on c, in
// the configured order: only they are advertised (AUTH=) and accepted.
func (s *session) mechanisms(c auth.Conn) []string {
	var out []string
	for _, m := range s.srv.opts.Mechanisms {
		if s.srv.opts.SASL.Usable(m, c) {
			out = append(out, m)
		}
	}
	return out
}

// serverCertificate returns the leaf certificate this server presented in
// the handshake of cs, for tls-server-end-point channel binding: what the
// configuration's GetCertificate gives for the name the client asked
// for, or its first certificate. nil when it cannot be known.
func (s *session) serverCertificate(cs *tls.ConnectionState) *x509.Certificate {
	cfg := s.srv.opts.TLSConfig
	if cfg == nil {
		return nil
	}
	var cert *tls.Certificate
	if cfg.GetCertificate != nil {
		cert, _ = cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: cs.ServerName,
			SupportedProtos: []string{cs.NegotiatedProtocol}, SupportedVersions: []uint16{cs.Version}})
	} else if len(cfg.Certificates) > 0 {
		cert = &cfg.Certificates[0]
	}
	if cert == nil || len(cert.Certificate) == 0 {
		return nil
	}
	if cert.Leaf != nil {
		return cert.Leaf
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
