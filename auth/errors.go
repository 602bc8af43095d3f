package auth

import "errors"

// The errors that tell a frontend how a login ended. Every password
// back-end, SASL mechanism and preauth method returns one of them,
// possibly wrapped with context (fmt.Errorf("ldap %s: bind: %w", url,
// ErrUnavailable)); frontends and Attempt test them with errors.Is:
//
//   - ErrBadCredentials (users.go): the name and the credentials do not
//     log in. It counts as a failed login in the Throttle, and the client
//     hears "NO [AUTHENTICATIONFAILED]".
//   - ErrUnavailable: the back-end could not answer (a database or
//     directory that is down, a program that timed out, a cancelled
//     context). It never counts as a failed login and never blocks
//     anyone; the client hears "NO [UNAVAILABLE]" and may try again.
//   - ErrBlocked (attempt.go): the Throttle refused the login without
//     looking at the credentials; answered as ErrBadCredentials.
//   - ErrAccessDenied: the credentials were right but allow-users,
//     deny-users, allow-groups or deny-groups refuse the user; counted
//     and answered as ErrBadCredentials, so that the answer does not tell
//     a guesser that the password was right.
//   - ErrNoIdentity: preauth found nobody to log in (the program exited
//     non-zero, the ident server named no user); the client may still
//     log in with a password.
//   - ErrMalformedResponse, ErrAuthzidNotAllowed (sasl.go): a SASL
//     exchange the client got wrong; counted as a failed login.
//
// Any other error from a back-end counts as a failed login, as
// ErrBadCredentials does: a back-end that is down must say so with
// ErrUnavailable, so that no attacker-controlled input can turn a failure
// into one that the Throttle does not count.
var (
	// ErrUnavailable is returned (wrapped, with the cause) when a
	// back-end could not answer: its server is down or slow, its file
	// cannot be read, or it holds a hash this build cannot verify. It says
	// nothing about the password: a frontend answers NO [UNAVAILABLE],
	// and the throttle (Attempt.Finish) neither counts nor delays it.
	ErrUnavailable = errors.New("auth: authentication back-end unavailable")
	// ErrAccessDenied is a user whom the access rules refuse after the
	// credentials were checked.
	ErrAccessDenied = errors.New("auth: access denied to this user")
	// ErrNoIdentity is a preauth method that found no user.
	ErrNoIdentity = errors.New("auth: preauth found no user")
)

// Unavailable reports whether err says the back-end could not answer, so
// that the login must neither count as a failure nor be answered as one.
func Unavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
