package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// ShadowFile is where the system back-end reads password hashes.
const ShadowFile = "/etc/shadow"

// DefaultMinUID is the lowest uid the system and pam back-ends serve when
// their options say none: Debian's UID_MIN, so that root and the service
// accounts never log in over IMAP.
const DefaultMinUID = 1000

// SystemOptions are the settings of NewSystem. The zero value is usable.
type SystemOptions struct {
	// MinUID is the lowest uid served; accounts below it are unknown to
	// the back-end. 0 means DefaultMinUID; a negative value serves every
	// account, root included.
	MinUID int
	// CacheTTL is how long a successful check is remembered (see
	// UsersFileOptions.CacheTTL); a changed hash in the shadow file is
	// noticed at once.
	CacheTTL time.Duration
	// Logger hears of hashes this build cannot verify; nil means
	// slog.Default().
	Logger *slog.Logger
}

// System checks the passwords of system accounts in pure Go: the account
// from getpwnam (LookupSystemUser), its hash from /etc/shadow, read at each
// login, which needs root or the shadow group. It verifies SHA-crypt,
// bcrypt, MD5-crypt and yescrypt ($y$, Debian 12's default, in the
// parameters libxcrypt writes) itself, and other schemes (gost-yescrypt,
// DES) only in a build with -tags libcrypt; without it such a login is
// ErrUnavailable and the log says which build to use. An account whose shadow entry is
// locked (! or *), empty, missing or past its expiry date never logs in.
// An unknown, locked or expired account costs the verification of the
// shadow file's costliest hash all the same, as in the users file (see
// hashcost.go).
//
// Its users are System users: their mail directory is $home/Mail.
type System struct {
	shadow string
	lookup func(name string) (*User, error)
	minUID int
	now    func() time.Time
	cache  *loginCache
	log    *slog.Logger
	// verifying, when set (by tests), is called with each stored hash
	// Authenticate verifies.
	verifying func(stored string)

	decoys fileDecoy // of the shadow file
}

// NewSystem returns the system back-end. It logs a warning when the shadow
// file holds hashes that this build cannot verify, or cannot be read.
func NewSystem(opts *SystemOptions) *System {
	if opts == nil {
		opts = &SystemOptions{}
	}
	s := &System{shadow: ShadowFile, lookup: LookupSystemUser, minUID: opts.MinUID, now: time.Now,
		cache: newLoginCache(opts.CacheTTL, cacheScope("system", ShadowFile, opts.MinUID)), log: opts.Logger}
	if s.minUID == 0 {
		s.minUID = DefaultMinUID
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.checkShadow()
	return s
}

// loginCacheSlot implements cacheHolder.
func (s *System) loginCacheSlot() **loginCache { return &s.cache }

// checkShadow warns at start of what would make logins unavailable.
func (s *System) checkShadow() {
	data, err := os.ReadFile(s.shadow)
	if err != nil {
		s.log.Warn("auth system: cannot read the shadow file: system accounts cannot log in; run mailgate as root or in group shadow, or use the pam back-end",
			"file", s.shadow, "err", err)
		return
	}
	if libcryptBuilt {
		return
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) >= 2 && (strings.HasPrefix(f[1], "$y$") && !goVerifies(f[1]) || strings.HasPrefix(f[1], "$gy$")) {
			n++
		}
	}
	if n > 0 {
		s.log.Warn("auth system: the shadow file has yescrypt hashes of parameters, or gost-yescrypt ($gy$) hashes, which this build cannot verify: build mailgate with -tags libcrypt, or with -tags pam and use the pam back-end",
			"file", s.shadow, "accounts", n)
	}
}

// Authenticate implements Authenticator.
func (s *System) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable("system", err)
	}
	if len(password) > maxPasswordLen || password == "" {
		return nil, ErrBadCredentials
	}
	u, err := s.account(name)
	if err != nil {
		if errors.Is(err, ErrBadCredentials) {
			if err := decoyErr(s.verify(ctx, s.decoy(), password)); err != nil {
				return nil, fmt.Errorf("system: %w", err)
			}
		}
		return nil, err
	}
	f, err := findPasswdLine(s.shadow, name)
	if err != nil {
		return nil, unavailable("system", err)
	}
	if f == nil || len(f) < 2 {
		// getpwnam knows the account, the shadow file does not: it is
		// served by another NSS source, which PAM can check.
		if err := decoyErr(s.verify(ctx, s.decoy(), password)); err != nil {
			return nil, fmt.Errorf("system: %w", err)
		}
		return nil, ErrBadCredentials
	}
	stored := f[1]
	if isLocked(stored) || s.expired(f) {
		if err := decoyErr(s.verify(ctx, s.decoy(), password)); err != nil {
			return nil, fmt.Errorf("system: %w", err)
		}
		return nil, ErrBadCredentials
	}
	ok, err := s.cache.check(ctx, name, stored, password, s.now(), func() (bool, error) {
		return s.verify(ctx, stored, password)
	})
	if err != nil {
		return nil, unavailable("system", fmt.Errorf("user %q: %w", name, err))
	}
	if !ok {
		if decoy := s.decoy(); needsDecoy(cryptWork(stored), cryptWork(decoy)) {
			if err := decoyErr(s.verify(ctx, decoy, password)); err != nil {
				return nil, fmt.Errorf("system: %w", err)
			}
		}
		return nil, ErrBadCredentials
	}
	return u, nil
}

// verify verifies password against a stored crypt string.
func (s *System) verify(ctx context.Context, stored, password string) (bool, error) {
	if s.verifying != nil {
		s.verifying(stored)
	}
	return verifyCrypt(ctx, stored, password)
}

// decoy returns the hash that a login with no hash of its own to verify
// verifies instead: the shadow file's costliest that this build verifies,
// within maxDecoyWork (see fileDecoy).
func (s *System) decoy() string {
	return s.decoys.of(s.shadow)
}

// buildVerifies tells whether this build verifies the yescrypt or
// gost-yescrypt hash stored, rather than refusing it at once (for the
// other schemes cryptWork knows, it always does).
func buildVerifies(stored string) bool {
	switch {
	case libcryptBuilt:
		return true
	case strings.HasPrefix(stored, "$y$"):
		return goVerifies(stored)
	case strings.HasPrefix(stored, "$gy$"):
		return false
	}
	return true
}

// Identify implements Identifier: the account named, for a user whose
// identity was proven without a password (preauth, a client certificate)
// or who only receives mail (LMTP). As with imap4d, whose preauth takes
// any getpwnam account, a locked password does not matter here: it
// forbids password logins, not the account. An account past its expiry
// date in the shadow file is refused (ErrBadCredentials); a shadow file
// that cannot be read is no reason to refuse, since no password is
// checked.
func (s *System) Identify(ctx context.Context, name string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("system: identify: %w: %w", ErrUnavailable, err)
	}
	u, err := s.account(name)
	if err != nil {
		return nil, err
	}
	if f, err := findPasswdLine(s.shadow, name); err == nil && f != nil && s.expired(f) {
		return nil, fmt.Errorf("%w: system account %q has expired", ErrBadCredentials, name)
	}
	return u, nil
}

// account looks name up, refusing the accounts below the minimum uid as
// unknown.
func (s *System) account(name string) (*User, error) {
	return systemAccount(s.lookup, name, s.minUID)
}

// systemAccount is LookupSystemUser (lookup) refusing, as unknown, the
// accounts below minUID and those without an absolute home.
func systemAccount(lookup func(string) (*User, error), name string, minUID int) (*User, error) {
	u, err := lookup(name)
	if err != nil {
		return nil, err
	}
	if minUID >= 0 && u.UID < minUID {
		return nil, ErrNoUser
	}
	if !strings.HasPrefix(u.Home, "/") {
		return nil, fmt.Errorf("%w: system account %q has no absolute home directory", ErrNoUser, name)
	}
	return u, nil
}

// expired tells whether a shadow(5) line's account expiry date (field 8,
// days since 1970-01-01) has passed.
func (s *System) expired(f []string) bool {
	if len(f) < 8 || f[7] == "" {
		return false
	}
	days, err := strconv.ParseInt(f[7], 10, 64)
	if err != nil {
		return true // unreadable: fail closed
	}
	return s.now().Unix() >= days*86400
}
