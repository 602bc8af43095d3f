package auth

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
)

// How a client certificate names its user for EXTERNAL
// (SASLOptions.CertificateName).
const (
	// CertCommonName takes the subject's common name (CN).
	CertCommonName = "common-name"
	// CertEmail takes the first email address among the subject
	// alternative names (rfc822Name).
	CertEmail = "email"
)

// CertificateNames returns the ways a certificate may name its user.
func CertificateNames() []string { return []string{CertCommonName, CertEmail} }

// CertificateUser returns the user name that cert gives by the rule
// named (CertCommonName when ""), or "" when it gives none.
func CertificateUser(cert *x509.Certificate, rule string) string {
	switch rule {
	case CertEmail:
		if len(cert.EmailAddresses) > 0 {
			return cert.EmailAddresses[0]
		}
		return ""
	case CertCommonName, "":
		return cert.Subject.CommonName
	}
	return ""
}

// externalServer is the server side of EXTERNAL (RFC 4422, appendix A)
// over TLS: the client certificate, which the TLS handshake verified
// against the configured certificate authorities, names the user. The
// client's message is an authorization identity, empty or the same name.
type externalServer struct {
	ctx  context.Context
	s    *SASLServer
	opts *SASLOptions
	conn Conn
	att  *Attempt
	done bool
}

func (o *SASLOptions) newExternalServer(ctx context.Context, s *SASLServer, c Conn, att *Attempt) *externalServer {
	return &externalServer{ctx: ctx, s: s, opts: o, conn: c, att: att}
}

// Next implements sasl.Server.
func (m *externalServer) Next(response []byte) ([]byte, bool, error) {
	if m.done {
		return nil, true, fmt.Errorf("%w: EXTERNAL: the exchange has ended", ErrMalformedResponse)
	}
	if response == nil {
		return []byte{}, false, nil
	}
	m.done = true
	if bytes.IndexByte(response, 0) >= 0 {
		return nil, true, fmt.Errorf("%w: EXTERNAL: NUL in the authorization identity", ErrMalformedResponse)
	}
	m.s.checked = true
	chains := m.conn.TLS.VerifiedChains
	if len(chains) == 0 || len(chains[0]) == 0 {
		return nil, true, fmt.Errorf("%w: EXTERNAL: no verified client certificate", ErrBadCredentials)
	}
	cert := chains[0][0]
	name := CertificateUser(cert, m.opts.CertificateName)
	if err := m.att.Begin(name); err != nil {
		return nil, true, err
	}
	if name == "" {
		return nil, true, fmt.Errorf("%w: EXTERNAL: the certificate of %q names no user by its %s",
			ErrBadCredentials, cert.Subject.String(), orDefault(m.opts.CertificateName, CertCommonName))
	}
	if z := string(response); z != "" && z != name {
		return nil, true, fmt.Errorf("EXTERNAL: authorization identity %q differs from the certificate's user %q: %w",
			z, name, ErrAuthzidNotAllowed)
	}
	if err := m.s.identified(m.ctx, m.opts.Users, name); err != nil {
		return nil, true, err
	}
	return nil, true, nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// anonymousServer is the server side of ANONYMOUS (RFC 4505): the client
// sends trace information (at most 255 characters, usually an email
// address) and becomes the configured anonymous user, read-only.
type anonymousServer struct {
	ctx  context.Context
	s    *SASLServer
	opts *SASLOptions
	att  *Attempt
	done bool
}

func (o *SASLOptions) newAnonymousServer(ctx context.Context, s *SASLServer, att *Attempt) *anonymousServer {
	return &anonymousServer{ctx: ctx, s: s, opts: o, att: att}
}

// Next implements sasl.Server.
func (m *anonymousServer) Next(response []byte) ([]byte, bool, error) {
	if m.done {
		return nil, true, fmt.Errorf("%w: ANONYMOUS: the exchange has ended", ErrMalformedResponse)
	}
	if response == nil {
		return []byte{}, false, nil
	}
	m.done = true
	if len([]rune(string(response))) > 255 || bytes.IndexByte(response, 0) >= 0 {
		return nil, true, fmt.Errorf("%w: ANONYMOUS: trace longer than 255 characters or with a NUL", ErrMalformedResponse)
	}
	m.s.checked = true
	if err := m.att.Begin(m.opts.AnonymousUser); err != nil {
		return nil, true, err
	}
	if err := m.s.identified(m.ctx, m.opts.Users, m.opts.AnonymousUser); err != nil {
		return nil, true, err
	}
	return nil, true, nil
}
