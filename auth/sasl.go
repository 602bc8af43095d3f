package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL errors, besides ErrBadCredentials from the Authenticator.
var (
	// ErrUnknownMechanism is returned by NewSASLServer for a mechanism it
	// does not serve.
	ErrUnknownMechanism = errors.New("auth: unsupported SASL mechanism")
	// ErrMalformedResponse is a client response that the mechanism cannot
	// parse, or one sent after the exchange ended.
	ErrMalformedResponse = errors.New("auth: malformed SASL response")
	// ErrAuthzidNotAllowed is a PLAIN authorization identity that differs
	// from the authentication identity: acting as another user is not
	// supported.
	ErrAuthzidNotAllowed = errors.New("auth: logging in as another user (authorization identity) is not supported")
)

// Mechanisms returns the SASL mechanisms that NewSASLServer serves, in the
// order a server should advertise them.
func Mechanisms() []string { return []string{"PLAIN", "LOGIN"} }

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

// NewSASLServer starts the server side of a SASL exchange with mechanism
// mech (case-insensitive): "PLAIN" (RFC 4616) or "LOGIN" (the
// draft-murchison-sasl-login mechanism, which challenges "Username:" and then
// "Password:"). Passwords are checked by a, with ctx. An unknown mechanism
// gives an error wrapping ErrUnknownMechanism.
func NewSASLServer(ctx context.Context, mech string, a Authenticator) (*SASLServer, error) {
	s := &SASLServer{mech: strings.ToUpper(mech)}
	switch s.mech {
	case sasl.Plain:
		s.inner = sasl.NewPlainServer(func(authzid, authcid, password string) error {
			s.checked = true
			if authzid != "" && authzid != authcid {
				return fmt.Errorf("PLAIN: authorization identity %q differs from authentication identity %q: %w",
					authzid, authcid, ErrAuthzidNotAllowed)
			}
			return s.authenticate(ctx, a, authcid, password)
		})
	case sasl.Login:
		s.inner = &loginServer{authenticate: func(name, password string) error {
			s.checked = true
			return s.authenticate(ctx, a, name, password)
		}}
	default:
		return nil, fmt.Errorf("%w: %q (supported: %s)", ErrUnknownMechanism, mech, strings.Join(Mechanisms(), ", "))
	}
	return s, nil
}

// authenticate checks the credentials and records the user.
func (s *SASLServer) authenticate(ctx context.Context, a Authenticator, name, password string) error {
	u, err := a.Authenticate(ctx, name, password)
	if err != nil {
		return err
	}
	s.user = u
	return nil
}

// Mechanism returns the mechanism's name, in upper case.
func (s *SASLServer) Mechanism() string { return s.mech }

// Next takes the client's next response and returns the next challenge. A nil
// response on the first call means the client sent no initial response; on a
// later call it counts as an empty response. done is true when the exchange
// ended; err is then nil on success, or why it failed: ErrBadCredentials,
// ErrAuthzidNotAllowed or ErrMalformedResponse (wrapped), or the
// Authenticator's own error.
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
