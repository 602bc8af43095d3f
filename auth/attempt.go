package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrBlocked is the error of a login that a Throttle refused without
// checking the password, because the user name or the address is blocked.
// A frontend answers it exactly as it answers a wrong password.
var ErrBlocked = errors.New("auth: login refused: too many failures from this address")

// Attempt is one login attempt from a client address, seen through a
// Throttle. It is the Authenticator that a frontend hands to its LOGIN
// check or to NewSASLServer: while the user name or the address is
// blocked, it fails with ErrBlocked before the password is looked at,
// whatever the mechanism, so that neither the answer nor its timing tells
// whether the password was right. It also remembers the user name tried,
// which for SASL only the exchange knows.
//
// Use a new Attempt for each login; it is not safe for concurrent use.
type Attempt struct {
	// Authenticator checks the password when the login is not blocked.
	Authenticator Authenticator
	// Throttle counts failures; nil blocks nothing.
	Throttle *Throttle
	// Addr is the client's address; failures from an invalid one (a
	// session on pipes) are not counted.
	Addr netip.Addr

	name string
}

// Authenticate implements Authenticator.
func (a *Attempt) Authenticate(ctx context.Context, name, password string) (*User, error) {
	a.name = name
	if a.throttled() {
		if blocked, _ := a.Throttle.Blocked(a.Addr, name); blocked {
			return nil, fmt.Errorf("%w (user %q)", ErrBlocked, name)
		}
	}
	return a.Authenticator.Authenticate(ctx, name, password)
}

// Name returns the user name tried, or "" when the exchange failed before
// naming one.
func (a *Attempt) Name() string { return a.name }

func (a *Attempt) throttled() bool { return a.Throttle != nil && a.Addr.IsValid() }

// Finish records how the attempt ended (err nil for success) and returns
// how long the frontend must wait before answering: Throttle.Refusal for
// a blocked login, the Throttle's delay for a failed one, nothing after a
// success or when the back-end could not answer (ErrUnavailable), which
// is not counted as a failure.
func (a *Attempt) Finish(err error) time.Duration {
	if !a.throttled() {
		return 0
	}
	switch {
	case err == nil:
		a.Throttle.Success(a.Addr, a.name)
		return 0
	case errors.Is(err, ErrBlocked):
		return a.Throttle.Refusal()
	case errors.Is(err, ErrUnavailable):
		// A back-end that is down says nothing about the password: it
		// is neither counted nor slowed down, and locks nobody out.
		return 0
	}
	delay, _ := a.Throttle.Failure(a.Addr, a.name)
	return delay
}
