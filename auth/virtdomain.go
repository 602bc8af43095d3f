package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
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
type VirtDomain struct {
	dir     string
	dataDir string
	now     func() time.Time
	cache   *loginCache
}

// NewVirtDomain returns the virtdomain back-end.
func NewVirtDomain(opts *VirtDomainOptions) *VirtDomain {
	return &VirtDomain{dir: opts.PasswdDir, dataDir: opts.DataDir, now: time.Now, cache: newLoginCache(opts.CacheTTL)}
}

// Authenticate implements Authenticator.
func (v *VirtDomain) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("virtdomain: %w", err)
	}
	i := strings.LastIndexByte(name, '@')
	if i <= 0 {
		return nil, ErrNoUser
	}
	local, domain := name[:i], strings.ToLower(name[i+1:])
	if !isDomainFileName(domain) || strings.ContainsAny(local, ":\n") {
		return nil, ErrNoUser
	}
	if len(password) > maxPasswordLen || password == "" {
		return nil, ErrBadCredentials
	}
	path := filepath.Join(v.dir, domain)
	f, err := findPasswdLine(path, local)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, ErrNoUser
	case err != nil:
		return nil, unavailable("virtdomain", err)
	case f == nil:
		return nil, ErrNoUser
	}
	login := local + "@" + domain
	u, err := passwdUser(login, f, v.dataDir)
	if err != nil {
		return nil, unavailable("virtdomain", fmt.Errorf("%s: %w", path, err))
	}
	stored := f[fieldPassword]
	if isLocked(stored) {
		return nil, ErrBadCredentials
	}
	now := v.now()
	if !v.cache.hit(login, stored, password, now) {
		ok, err := verifyCrypt(stored, password)
		if err != nil {
			return nil, unavailable("virtdomain", fmt.Errorf("%s: user %q: %w", path, local, err))
		}
		if !ok {
			return nil, ErrBadCredentials
		}
		v.cache.remember(login, stored, password, now)
	}
	return u, nil
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
