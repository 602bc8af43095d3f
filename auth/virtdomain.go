package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// VirtDomainOptions are the settings of NewVirtDomain.
type VirtDomainOptions struct {
	// PasswdDir holds one passwd(5)-format file per mail domain, named
	// after the domain in lower case.
	PasswdDir string
	// DataDir is where homes that a domain file leaves empty are:
	// <DataDir>/<user@domain>.
	DataDir string
	// CacheTTL is how long a successful check is remembered; a changed
	// hash in the domain file is noticed at once.
	CacheTTL time.Duration
}

// VirtDomain is imap4d's virtdomain back-end: a login "user@domain" is
// looked up as "user" in the file PasswdDir/domain, in passwd(5) layout
// (name:password:uid:gid:gecos:home:shell), read at each login. The
// password field holds a crypt(3) hash as verifyCrypt knows them; the home
// field gives the home, which is the mail directory. A login without "@",
// or for a domain without a file, is unknown to it. The user's name is
// "user@domain", with the domain in lower case.
//
// As in the users file, an unknown user or a locked one costs the
// verification of the domain file's costliest hash all the same, and a
// wrong password against a much cheaper hash costs it too (see
// hashcost.go); a login for a domain without a file, or no domain at
// all, costs a bcrypt hash at NewPasswordCost.
type VirtDomain struct {
	dir     string
	dataDir string
	now     func() time.Time
	cache   *loginCache
	// verifying, when set (by tests), is called with each stored hash
	// Authenticate verifies.
	verifying func(stored string)

	mu     sync.Mutex
	decoys map[string]*fileDecoy // by domain, for the domains that have a file
}

// NewVirtDomain returns the virtdomain back-end.
func NewVirtDomain(opts *VirtDomainOptions) *VirtDomain {
	return &VirtDomain{dir: opts.PasswdDir, dataDir: opts.DataDir, now: time.Now,
		cache: newLoginCache(opts.CacheTTL, cacheScope("virtdomain", *opts))}
}

// loginCacheSlot implements cacheHolder.
func (v *VirtDomain) loginCacheSlot() **loginCache { return &v.cache }

// Authenticate implements Authenticator.
func (v *VirtDomain) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable("virtdomain", err)
	}
	// A password that fails at once for every user fails at once for
	// an unknown one too.
	badPassword := len(password) > maxPasswordLen || password == ""
	unknown := func(decoy string) (*User, error) {
		if !badPassword {
			if err := decoyErr(v.verify(ctx, decoy, password)); err != nil {
				return nil, fmt.Errorf("virtdomain: %w", err)
			}
		}
		return nil, ErrNoUser
	}
	i := strings.LastIndexByte(name, '@')
	if i <= 0 {
		return unknown(dummyHash)
	}
	local, domain := name[:i], strings.ToLower(name[i+1:])
	if !isDomainFileName(domain) || strings.ContainsAny(local, ":\n") {
		return unknown(dummyHash)
	}
	if badPassword {
		return nil, ErrBadCredentials
	}
	path := filepath.Join(v.dir, domain)
	f, err := findPasswdLine(path, local)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return unknown(dummyHash)
	case err != nil:
		return nil, unavailable("virtdomain", err)
	case f == nil:
		return unknown(v.decoy(domain, path))
	}
	login := local + "@" + domain
	u, err := passwdUser(login, f, v.dataDir)
	if err != nil {
		return nil, unavailable("virtdomain", fmt.Errorf("%s: %w", path, err))
	}
	stored := f[fieldPassword]
	if isLocked(stored) {
		if err := decoyErr(v.verify(ctx, v.decoy(domain, path), password)); err != nil {
			return nil, fmt.Errorf("virtdomain: %w", err)
		}
		return nil, ErrBadCredentials
	}
	ok, err := v.cache.check(ctx, login, stored, password, v.now(), func() (bool, error) {
		return v.verify(ctx, stored, password)
	})
	if err != nil {
		return nil, unavailable("virtdomain", fmt.Errorf("%s: user %q: %w", path, local, err))
	}
	if !ok {
		if decoy := v.decoy(domain, path); needsDecoy(cryptWork(stored), cryptWork(decoy)) {
			if err := decoyErr(v.verify(ctx, decoy, password)); err != nil {
				return nil, fmt.Errorf("virtdomain: %w", err)
			}
		}
		return nil, ErrBadCredentials
	}
	return u, nil
}

// verify verifies password against a stored crypt string.
func (v *VirtDomain) verify(ctx context.Context, stored, password string) (bool, error) {
	if v.verifying != nil {
		v.verifying(stored)
	}
	return verifyCrypt(ctx, stored, password)
}

// decoy returns the decoy of domain, whose file is path: its costliest
// hash, within maxDecoyWork (see fileDecoy).
func (v *VirtDomain) decoy(domain, path string) string {
	v.mu.Lock()
	d := v.decoys[domain]
	if d == nil {
		if v.decoys == nil {
			v.decoys = make(map[string]*fileDecoy)
		}
		d = &fileDecoy{}
		v.decoys[domain] = d
	}
	v.mu.Unlock()
	return d.of(path)
}

// isDomainFileName tells whether domain can name a file of the passwd
// directory: a domain name, never a path.
func isDomainFileName(domain string) bool {
	if domain == "" || len(domain) > 253 || domain[0] == '.' {
		return false
	}
	for i := 0; i < len(domain); i++ {
		c := domain[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c >= 0x80) {
			return false
		}
	}
	return true
}
