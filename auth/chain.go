package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// ErrNoUser is returned by a password back-end that does not know the
// user at all, so that a Chain can ask the next one. It wraps
// ErrBadCredentials: a frontend answers it exactly as a wrong password.
var ErrNoUser = fmt.Errorf("%w (unknown user)", ErrBadCredentials)

// unavailable wraps err, the cause, as an ErrUnavailable of back-end what.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, what, err)
}

// Backend is one password database of a Chain.
type Backend struct {
	// Name is the database's name in [auth] authentication ("users-file",
	// "system", "ldap", ...), for the logs.
	Name string
	// Authenticator checks passwords. It returns ErrNoUser for a user
	// it does not have, ErrBadCredentials for a user it has whose password
	// is wrong (or whose account is locked), and any other error when it
	// could not answer.
	Authenticator Authenticator
}

// Chain tries password back-ends in order, as imap4d's auth statement and
// Dovecot's passdb list do. The rule:
//
//   - The first back-end that knows the user decides: its success logs
//     the user in, its ErrBadCredentials is the answer. Later back-ends are
//     not asked, so one user name cannot be tried against two passwords.
//   - A back-end that does not know the user (ErrNoUser) passes on to
//     the next.
//   - A back-end that cannot answer (down, timing out, unreadable) is
//     logged and passed over. If a later back-end knows the user, that one
//     decides; otherwise the chain answers ErrUnavailable, never "bad
//     password", so that an outage is not counted by the throttle and
//     locks no one out.
//   - When no back-end knows the user, the answer is ErrNoUser.
//
// An empty password, or a user name that CheckUserName refuses, fails
// with ErrNoUser before any back-end is asked: no back-end may take an
// empty password (an LDAP bind with one is an anonymous bind that
// succeeds), and names become directory names.
//
// A Chain is safe for concurrent use when its back-ends are.
type Chain struct {
	backends []Backend
	log      *slog.Logger
}

// NewChain returns a chain of backends, tried in the order given. A nil
// log means slog.Default().
func NewChain(log *slog.Logger, backends ...Backend) *Chain {
	if log == nil {
		log = slog.Default()
	}
	return &Chain{backends: backends, log: log}
}

// Authenticate implements Authenticator, by the rule of the type comment.
func (c *Chain) Authenticate(ctx context.Context, name, password string) (*User, error) {
	u, _, err := c.AuthenticateBy(ctx, name, password)
	return u, err
}

// AuthenticateBy is Authenticate, also naming the back-end that decided
// (Backend.Name): the one that logged the user in or refused the
// password ("mailgate auth test"). It is "" when none knew the user.
func (c *Chain) AuthenticateBy(ctx context.Context, name, password string) (*User, string, error) {
	if password == "" || CheckUserName(name) != nil {
		return nil, "", ErrNoUser
	}
	var down error
	for _, b := range c.backends {
		u, err := b.Authenticator.Authenticate(ctx, name, password)
		switch {
		case err == nil:
			return u, b.Name, nil
		case errors.Is(err, ErrNoUser):
			continue
		case errors.Is(err, ErrBadCredentials):
			return nil, b.Name, err
		case ctx.Err() != nil:
			return nil, "", fmt.Errorf("auth %s: %w", b.Name, ctx.Err())
		}
		c.log.Warn("auth: password back-end unavailable; trying the next", "backend", b.Name, "user", name, "err", err)
		if down == nil {
			down = fmt.Errorf("auth %s: %w", b.Name, err)
		}
	}
	if down != nil {
		if !errors.Is(down, ErrUnavailable) {
			down = fmt.Errorf("%w: %w", ErrUnavailable, down)
		}
		return nil, "", down
	}
	return nil, "", ErrNoUser
}

// Backends returns the names of the chain's back-ends, in order.
func (c *Chain) Backends() []string {
	names := make([]string, len(c.backends))
	for i, b := range c.backends {
		names[i] = b.Name
	}
	return names
}

// Identify implements Identifier over the back-ends that can name users
// without a password (the users file; others as they learn to), by the
// rule of Authenticate: the first that knows the user decides, a
// back-end that is down is passed over, and if none knows the user but
// one was down the answer is ErrUnavailable.
func (c *Chain) Identify(ctx context.Context, name string) (*User, error) {
	if CheckUserName(name) != nil {
		return nil, ErrNoUser
	}
	var down error
	for _, b := range c.backends {
		id, ok := b.Authenticator.(Identifier)
		if !ok {
			continue
		}
		u, err := id.Identify(ctx, name)
		switch {
		case err == nil:
			return u, nil
		case errors.Is(err, ErrNoUser):
			continue
		case errors.Is(err, ErrBadCredentials):
			return nil, err
		case ctx.Err() != nil:
			return nil, fmt.Errorf("auth %s: %w", b.Name, ctx.Err())
		}
		if down == nil {
			down = fmt.Errorf("auth %s: %w", b.Name, err)
		}
	}
	if down != nil {
		if !errors.Is(down, ErrUnavailable) {
			down = fmt.Errorf("%w: %w", ErrUnavailable, down)
		}
		return nil, down
	}
	return nil, ErrNoUser
}

// KeepLoginCaches hands on the login caches ([auth] cache-ttl) of prev,
// the chain a reload replaces, to c's back-ends: a back-end of c takes the
// cache of prev's back-end of the same name (the first not yet matched)
// when both are of the same kind with the same settings and TTL, so that a
// reload that changed nothing does not make every user's next login a full
// hash verification. A back-end whose settings changed keeps its own
// empty cache. Within the same settings a kept entry is as safe as it was:
// a back-end that reads the stored hash at each login answers from it
// only while that hash is unchanged, and a user that is gone never gets
// as far as the cache. It returns the names of the back-ends that kept
// their cache. Call it before c is in use; prev may still be used
// meanwhile, sharing the caches.
func (c *Chain) KeepLoginCaches(prev *Chain) (kept []string) {
	if prev == nil {
		return nil
	}
	used := make([]bool, len(prev.backends))
	for _, b := range c.backends {
		for i, p := range prev.backends {
			if used[i] || p.Name != b.Name {
				continue
			}
			used[i] = true
			if keepLoginCache(b.Authenticator, p.Authenticator) {
				kept = append(kept, b.Name)
			}
			break
		}
	}
	return kept
}

// Close closes the back-ends that hold resources (database pools).
func (c *Chain) Close() error {
	var errs []error
	for _, b := range c.backends {
		if cl, ok := b.Authenticator.(io.Closer); ok {
			if err := cl.Close(); err != nil {
				errs = append(errs, fmt.Errorf("auth %s: %w", b.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}
