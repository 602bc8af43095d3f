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
	if err := a.Begin(name); err != nil {
		return nil, err
	}
	return a.Authenticator.Authenticate(ctx, name, password)
}

// Begin records the user name that a mechanism without a password
// (SCRAM, EXTERNAL, OAUTHBEARER) or a preauth method is about to log in,
// and refuses it with ErrBlocked while the Throttle blocks the name or
// the address, before any credential is looked at. name may be "" when
// the client named nobody: then only the address is checked.
func (a *Attempt) Begin(name string) error {
	a.name = name
	if a.throttled() {
		if blocked, _ := a.Throttle.Blocked(a.Addr, name); blocked {
			return fmt.Errorf("%w (user %q)", ErrBlocked, name)
		}
	}
	return nil
}

// Name returns the user name tried, or "" when the exchange failed before
// naming one.
func (a *Attempt) Name() string { return a.name }

func (a *Attempt) throttled() bool { return a.Throttle != nil && a.Addr.IsValid() }

// Finish records how the attempt ended (err nil for success) and returns
// how long the frontend must wait before answering: Throttle.Refusal for
// a blocked login, the Throttle's delay for a failed one, nothing after a
// success or when the back-end was unavailable (an error wrapping
// ErrUnavailable is not the client's failure and is not counted). Any
// other error counts as a failed login, whatever the mechanism.
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
	case Unavailable(err):
		return 0
	}
	delay, _ := a.Throttle.Failure(a.Addr, a.name)
	return delay
}
