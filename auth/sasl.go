package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL errors, besides ErrBadCredentials from the Authenticator.
var (
	// ErrUnknownMechanism is returned by NewServer for a mechanism it
	// does not serve or that cannot be used on the connection.
	ErrUnknownMechanism = errors.New("auth: unsupported SASL mechanism")
	// ErrMalformedResponse is a client response that the mechanism cannot
	// parse, or one sent after the exchange ended.
	ErrMalformedResponse = errors.New("auth: malformed SASL response")
	// ErrAuthzidNotAllowed is an authorization identity that differs from
	// the authentication identity: acting as another user is not
	// supported.
	ErrAuthzidNotAllowed = errors.New("auth: logging in as another user (authorization identity) is not supported")
)

// The SASL mechanisms that NewServer serves.
const (
	MechPlain       = "PLAIN"              // RFC 4616
	MechLogin       = "LOGIN"              // draft-murchison-sasl-login
	MechSCRAM       = "SCRAM-SHA-256"      // RFC 7677
	MechSCRAMPlus   = "SCRAM-SHA-256-PLUS" // RFC 7677 with channel binding (RFC 5929, RFC 9266)
	MechExternal    = "EXTERNAL"           // RFC 4422, appendix A: the TLS client certificate
	MechOAuthBearer = "OAUTHBEARER"        // RFC 7628
	MechAnonymous   = "ANONYMOUS"          // RFC 4505
)

// Mechanisms returns every SASL mechanism that NewServer serves, in the
// order a server should advertise them when all are configured: the
// strongest first.
func Mechanisms() []string {
	return []string{MechSCRAMPlus, MechSCRAM, MechExternal, MechOAuthBearer, MechPlain, MechLogin, MechAnonymous}
}

// DefaultMechanisms returns the mechanisms offered when the configuration
// names none: PLAIN and LOGIN.
func DefaultMechanisms() []string { return []string{MechPlain, MechLogin} }

// plaintextMechanisms send a secret the server could replay (a password
// or a bearer token): they are offered only where passwords may be sent.
func plaintextMechanisms() []string { return []string{MechPlain, MechLogin, MechOAuthBearer} }

// Conn is what the SASL mechanisms may know of the client's connection.
type Conn struct {
	// TLS is the connection's TLS state after the handshake; nil without
	// TLS.
	TLS *tls.ConnectionState
	// ServerCertificate is the certificate the server presented in that
	// handshake, for tls-server-end-point channel binding; nil when it is
	// not known.
	ServerCertificate *x509.Certificate
	// PlaintextOK tells whether secrets may be sent in the clear on the
	// connection (TLS, loopback, or allow-plaintext).
	PlaintextOK bool
	// TLSRequired says that the listener authenticates nobody before TLS
	// is up (tls-mode required, Dovecot's ssl = required): while TLS is
	// nil no mechanism is usable, not even those that send no password
	// (SCRAM, ANONYMOUS), since the session after them would run in the
	// clear.
	TLSRequired bool
	// Advertised are the mechanisms the server advertised on the
	// connection, so that SCRAM can detect a downgrade from -PLUS.
	Advertised []string
}

// SASLOptions are what the mechanisms beyond PLAIN and LOGIN check
// credentials with. A nil *SASLOptions or its zero value serves PLAIN and
// LOGIN, and SCRAM-SHA-256, which then fails for everyone.
type SASLOptions struct {
	// SCRAM finds users' SCRAM keys (the users file).
	SCRAM SCRAMStore
	// Users names the users that EXTERNAL, OAUTHBEARER, ANONYMOUS and
	// SCRAM log in: the user must exist there and not be locked.
	Users Identifier
	// CertificateName says which part of a client certificate names the
	// user for EXTERNAL: CertCommonName (the default) or CertEmail.
	CertificateName string
	// Tokens checks OAUTHBEARER tokens; nil leaves OAUTHBEARER unusable.
	Tokens TokenVerifier
	// AnonymousUser is the user an ANONYMOUS login becomes, read-only;
	// "" leaves ANONYMOUS unusable.
	AnonymousUser string
	// MockSaltKey keys the salts SCRAM makes up for names without keys
	// (see LoadMockSaltKey), so that a name's salt is the same across
	// restarts and on every node sharing the key, as a real user's is.
	// Nil means a key drawn when the process starts.
	MockSaltKey []byte
}

// Usable tells whether mech (upper case) can log anyone in on c: none
// without TLS where TLS is required, PLAIN, LOGIN and OAUTHBEARER only
// where secrets may be sent in the clear, SCRAM-SHA-256-PLUS only over
// TLS with channel binding data, EXTERNAL only with a verified client
// certificate, OAUTHBEARER only with a token verifier and ANONYMOUS only
// with an anonymous user.
func (o *SASLOptions) Usable(mech string, c Conn) bool {
	if o == nil {
		o = &SASLOptions{}
	}
	if c.TLSRequired && c.TLS == nil {
		return false
	}
	if slices.Contains(plaintextMechanisms(), mech) && !c.PlaintextOK {
		return false
	}
	switch mech {
	case MechPlain, MechLogin, MechSCRAM:
		return true
	case MechSCRAMPlus:
		return len(channelBindings(c)) > 0
	case MechExternal:
		return o.Users != nil && c.TLS != nil && len(c.TLS.VerifiedChains) > 0
	case MechOAuthBearer:
		return o.Users != nil && o.Tokens != nil
	case MechAnonymous:
		return o.Users != nil && o.AnonymousUser != ""
	}
	return false
}

// SASLServer runs the server side of one SASL exchange and, once it
// succeeded, tells who logged in. It implements go-sasl's sasl.Server.
// It is used by one connection at a time.
type SASLServer struct {
	mech    string
	inner   sasl.Server
	started bool  // Next was called once
	checked bool  // the credentials reached the check
	done    bool  // the exchange ended, well or not
	user    *User // set on success
}

// NewServer starts the server side of a SASL exchange with mechanism mech
// (case-insensitive) on connection c. Credentials are checked through
// att, which refuses blocked logins before looking at them and records
// the user name tried; att.Authenticator checks PLAIN and LOGIN
// passwords. A mechanism that is not served, or not Usable on c, gives
// an error wrapping ErrUnknownMechanism.
func (o *SASLOptions) NewServer(ctx context.Context, mech string, c Conn, att *Attempt) (*SASLServer, error) {
	if o == nil {
		o = &SASLOptions{}
	}
	s := &SASLServer{mech: strings.ToUpper(mech)}
	if !o.Usable(s.mech, c) {
		return nil, fmt.Errorf("%w: %q (supported: %s)", ErrUnknownMechanism, mech, strings.Join(Mechanisms(), ", "))
	}
	switch s.mech {
	case MechPlain:
		s.inner = sasl.NewPlainServer(func(authzid, authcid, password string) error {
			s.checked = true
			if authzid != "" && authzid != authcid {
				return fmt.Errorf("PLAIN: authorization identity %q differs from authentication identity %q: %w",
					authzid, authcid, ErrAuthzidNotAllowed)
			}
			return s.authenticate(ctx, att, authcid, password)
		})
	case MechLogin:
		s.inner = &loginServer{authenticate: func(name, password string) error {
			s.checked = true
			return s.authenticate(ctx, att, name, password)
		}}
	case MechSCRAM, MechSCRAMPlus:
		s.inner = o.newSCRAMServer(ctx, s, c, att)
	case MechExternal:
		s.inner = o.newExternalServer(ctx, s, c, att)
	case MechOAuthBearer:
		s.inner = o.newOAuthBearerServer(ctx, s, att)
	case MechAnonymous:
		s.inner = o.newAnonymousServer(ctx, s, att)
	}
	return s, nil
}

// NewSASLServer starts a PLAIN or LOGIN exchange whose passwords a
// checks, on a connection where passwords may be sent: NewServer with no
// options and no throttle.
func NewSASLServer(ctx context.Context, mech string, a Authenticator) (*SASLServer, error) {
	if m := strings.ToUpper(mech); m != MechPlain && m != MechLogin {
		return nil, fmt.Errorf("%w: %q (supported here: PLAIN, LOGIN)", ErrUnknownMechanism, mech)
	}
	return (*SASLOptions)(nil).NewServer(ctx, mech, Conn{PlaintextOK: true}, &Attempt{Authenticator: a})
}

// authenticate checks a password and records the user.
func (s *SASLServer) authenticate(ctx context.Context, a Authenticator, name, password string) error {
	u, err := a.Authenticate(ctx, name, password)
	if err != nil {
		return err
	}
	s.user = u
	return nil
}

// identified records the user a mechanism without a password proved to be
// name, after the credentials were checked.
func (s *SASLServer) identified(ctx context.Context, users Identifier, name string) error {
	u, err := users.Identify(ctx, name)
	if err != nil {
		return err
	}
	s.user = u
	return nil
}

// Mechanism returns the mechanism's name, in upper case.
func (s *SASLServer) Mechanism() string { return s.mech }

// ReadOnly tells whether the user logged in may only read: an ANONYMOUS
// login.
func (s *SASLServer) ReadOnly() bool { return s.mech == MechAnonymous }

// Next takes the client's next response and returns the next challenge. A nil
// response on the first call means the client sent no initial response; on a
// later call it counts as an empty response. done is true when the exchange
// ended; err is then nil on success, or why it failed: ErrBadCredentials,
// ErrBlocked, ErrAuthzidNotAllowed or ErrMalformedResponse (wrapped),
// ErrUnavailable, or the back-end's own error.
func (s *SASLServer) Next(response []byte) (challenge []byte, done bool, err error) {
	if s.done {
		return nil, true, fmt.Errorf("%w: %s: the exchange has ended", ErrMalformedResponse, s.mech)
	}
	if s.started && response == nil {
		response = []byte{}
	}
	s.started = true
	challenge, done, err = s.inner.Next(response)
	if err != nil {
		s.done, s.user = true, nil
		if !s.checked && !errors.Is(err, ErrMalformedResponse) {
			err = fmt.Errorf("%w: %s: %v", ErrMalformedResponse, s.mech, err)
		}
		return nil, true, err
	}
	s.done = done
	if done && s.user == nil {
		s.done = true
		return nil, true, fmt.Errorf("%w: %s: the exchange ended without a user", ErrBadCredentials, s.mech)
	}
	return challenge, done, nil
}

// User returns the user who logged in, or nil until the exchange succeeded.
func (s *SASLServer) User() *User {
	if !s.done {
		return nil
	}
	return s.user
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl has
// only as a client.
type loginServer struct {
	step         int // 0: start, -1: asked for the name, 1: asked for the password, 2: ended
	name         string
	authenticate func(name, password string) error
}

// Next implements sasl.Server. LOGIN defines no initial response, but some
// clients send the user name as one; it is taken as such. An empty initial
// response counts as none.
func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		if len(response) == 0 {
			l.step = -1 // challenged for the name; the next response is it
			return []byte("Username:"), false, nil
		}
		fallthrough
	case -1:
		if len(response) == 0 {
			l.step = 2
			return nil, true, fmt.Errorf("%w: LOGIN: empty user name", ErrMalformedResponse)
		}
		l.name, l.step = string(response), 1
		return []byte("Password:"), false, nil
	case 1:
		l.step = 2
		return nil, true, l.authenticate(l.name, string(response))
	}
	return nil, true, fmt.Errorf("%w: LOGIN: the exchange has ended", ErrMalformedResponse)
}
