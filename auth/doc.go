// Package auth decides who the user is: it reads password databases (the
// users file), verifies passwords, serves the SASL mechanisms (PLAIN,
// LOGIN, SCRAM-SHA-256 and -PLUS, EXTERNAL, OAUTHBEARER, ANONYMOUS),
// preauthenticates connections (a program, an ident server), applies
// tcp-wrappers and the allow/deny user and group rules, and slows down
// clients that keep failing to log in.
//
// It imports nothing else of mailgate's; frontends (imap, lmtp) and the
// gateway use it through the Authenticator, Identifier, SCRAMStore,
// TokenVerifier and Preauthenticator interfaces, SASLOptions and the
// SASLServer type. How a login ended is told by the errors of errors.go:
// ErrBadCredentials counts as a failure, ErrUnavailable (a back-end that
// is down) never does.
//
// # The users file
//
// The users file is in passwd(5) layout, one user per line:
//
//	name:password:uid:gid:gecos:home:shell
//
// Lines that are blank or start with '#' are ignored. Trailing fields may be
// left out (a line needs at least name:password); more than seven fields is an
// error. The password field is one of
//
//   - a bcrypt hash: $2y$, $2b$ or $2a$;
//   - a SHA-crypt hash: $6$ (SHA-512) or $5$ (SHA-256), with optional rounds=N;
//   - an Argon2 hash in PHC form: $argon2id$v=19$m=...,t=...,p=...$salt$hash
//     (or $argon2i$);
//   - {SCRAM-SHA-256}ITER,SALT,STOREDKEY,SERVERKEY, SCRAM keys as Dovecot
//     writes them (see SCRAMKeys), which log in through SCRAM as well as
//     LOGIN and PLAIN; the other hashes cannot do SCRAM;
//   - {PLAIN}secret, which is accepted but logged as a warning on every load;
//   - "*" or anything starting with "!", for a locked account: the user exists
//     (Lookup finds it, mail can be delivered) but no password logs it in.
//
// Any of the hashes may carry a Dovecot-style scheme prefix such as {CRYPT},
// {BLF-CRYPT}, {SHA512-CRYPT} or {ARGON2ID}, so that a Dovecot passwd-file can
// be reused as it is. New passwords (AddUser, SetPassword, HashPassword) are
// hashed with bcrypt at cost 10: it is understood by Dovecot, htpasswd and
// libc crypt alike, and costs no memory per login, unlike argon2id.
//
// # Password back-ends
//
// Besides the users file, passwords are checked by System (/etc/shadow),
// PAM (-tags pam), VirtDomain (per-domain passwd files), SQL (PostgreSQL,
// MySQL), LDAP and RADIUS. A Chain tries them in order: the first that
// knows the user decides; one that does not know it returns ErrNoUser
// and the next is asked; one that cannot answer returns ErrUnavailable,
// which the chain passes over and, when no later back-end knows the user,
// answers itself. Attempt.Finish does not count ErrUnavailable as a
// failed login. Hashes the Go code cannot verify (gost-yescrypt, DES, yescrypt
// of unusual parameters) go through libcrypt in a build with -tags libcrypt.
//
// # Design notes
//
//   - A UsersFile never holds its lock while hashing: a lookup takes the lock
//     only to find the entry, so logins verify their passwords in parallel.
//   - A login for an unknown or locked user still verifies the password
//     against a real hash of the same file, so that the reply time does not
//     tell which names exist.
//   - Edits (AddUser, SetPassword, DeleteUser) hold an flock(2) on
//     "<users file>.lock" for the whole read-modify-write, and replace the file
//     by an atomic rename, so a running server reads either the old or the new
//     file, never half of one.
//   - Throttle holds its lock only for map and list work, never while a
//     caller sleeps.
//   - Every mechanism and preauth method calls Attempt.Begin with the name
//     it is about to log in before looking at any credential, so a blocked
//     login is refused unchecked whatever the mechanism.
//   - External programs (preauth, token introspection) run with an
//     argument vector, never a shell, in their own process group, killed
//     whole at their timeout.
//   - Every back-end is safe for concurrent use: the file back-ends read
//     their file at each login, SQL shares a database/sql pool, LDAP and
//     RADIUS use a connection or socket per login, and their login
//     caches take their lock only for map work, never while hashing or
//     waiting on a server.
package auth
