package auth

import (
	"context"
	"fmt"
)

// Identifier finds a user whose identity was proven without a password:
// by a client certificate (EXTERNAL), a token (OAUTHBEARER), SCRAM keys,
// a preauth program or an ident server. The users file is one; a
// back-end that knows users (system accounts, LDAP) may be another.
type Identifier interface {
	// Identify returns the user called name. A user who is unknown or
	// locked gives an error wrapping ErrBadCredentials; a back-end that
	// cannot answer, ErrUnavailable.
	Identify(ctx context.Context, name string) (*User, error)
}

// Identify implements Identifier: a copy of the named user, unless the
// user is unknown or locked ("*" or "!..." in the password field), which
// gives ErrBadCredentials.
func (u *UsersFile) Identify(ctx context.Context, name string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("users: identify: %w: %w", ErrUnavailable, err)
	}
	e, _ := u.current(name)
	if e == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoUser, name)
	}
	if e.hash.scheme == schemeLocked {
		return nil, fmt.Errorf("%w: user %q may not log in", ErrBadCredentials, name)
	}
	user := e.user
	return &user, nil
}
