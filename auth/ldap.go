package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// LDAP methods of [auth.ldap] method.
const (
	LDAPBind    = "bind"    // bind as the user's entry with the password
	LDAPCompare = "compare" // read userPassword and verify it here
)

// DefaultLDAPFilter is the search filter of imap4d's ldap getpwnam.
const DefaultLDAPFilter = "(&(objectClass=posixAccount)(uid=$user))"

// LDAPOptions are the settings of NewLDAP.
type LDAPOptions struct {
	// URL is the server: ldap://host[:port] or ldaps://host[:port].
	URL string
	// StartTLS upgrades an ldap:// connection with StartTLS before
	// anything is sent.
	StartTLS bool
	// CAFile holds PEM certificates trusted for the server's; "" means
	// the system's roots.
	CAFile string
	// Base is the search base, such as "ou=people,dc=example,dc=org".
	Base string
	// Filter finds the user's entry; $user (or ${user}) stands for the
	// user name, escaped as RFC 4515 says. "" means DefaultLDAPFilter.
	Filter string
	// BindDN and BindPassword bind for the search; an empty BindDN
	// searches anonymously.
	BindDN, BindPassword string
	// Method is LDAPBind (the default) or LDAPCompare.
	Method string
	// Timeout bounds connecting and each request (0: 5s).
	Timeout time.Duration
	// DataDir is where homes the directory leaves empty are, and where
	// the compare method keeps its decoy (LDAPDecoyFile); "" keeps it in
	// the process.
	DataDir string
	// Logger receives the warnings of the decoy's file; nil means
	// slog.Default().
	Logger *slog.Logger
	// CacheTTL is how long a successful check is remembered. With the
	// bind method the directory is not asked again meanwhile.
	CacheTTL time.Duration
}

// LDAP checks passwords against an LDAP directory, as imap4d's ldap
// back-end: it searches Base for Filter, then either binds as the entry
// found with the password (method bind), or reads the entry's
// userPassword and verifies it here (method compare: {CRYPT}, {SSHA},
// {SHA}, {SSHA256}, {SSHA512}, {ARGON2} or cleartext). No entry means an
// unknown user; more than one, or any failure of the server, means
// ErrUnavailable. The entry's posixAccount attributes give the uid
// (uidNumber), gid (gidNumber), home (homeDirectory), gecos and shell
// (loginShell). Each login uses a connection of its own.
//
// With the compare method, an unknown user, or one without a
// userPassword, costs the verification of a decoy all the same, and so
// does a wrong password against much cheaper values (see hashcost.go):
// the costliest value verified so far, within maxDecoyWork, as this or an
// earlier process learned it (learnedDecoy, in LDAPDecoyFile), or
// {CRYPT} and a bcrypt hash at NewPasswordCost before any. The bind
// method leaves the time to the server.
type LDAP struct {
	opts   LDAPOptions
	tls    *tls.Config
	now    func() time.Time
	cache  *loginCache
	filter string
	decoy  *learnedDecoy // the compare method's
	// verifying, when set (by tests), is called with each userPassword
	// value the compare method verifies.
	verifying func(stored string)
}

// NewLDAP checks opts and returns the ldap back-end. It does not connect.
func NewLDAP(opts *LDAPOptions) (*LDAP, error) {
	scopeOpts := *opts
	scopeOpts.Logger = nil // a pointer: it would make every scope differ (cacheScope)
	l := &LDAP{opts: *opts, now: time.Now, cache: newLoginCache(opts.CacheTTL, cacheScope("ldap", scopeOpts)), filter: opts.Filter}
	if l.filter == "" {
		l.filter = DefaultLDAPFilter
	}
	if l.opts.Method == "" {
		l.opts.Method = LDAPBind
	}
	if l.opts.Method != LDAPBind && l.opts.Method != LDAPCompare {
		return nil, fmt.Errorf("ldap: method %q: want %q or %q", l.opts.Method, LDAPBind, LDAPCompare)
	}
	if l.opts.Timeout <= 0 {
		l.opts.Timeout = 5 * time.Second
	}
	if !strings.Contains(l.filter, "$user") && !strings.Contains(l.filter, "${user}") {
		return nil, fmt.Errorf("ldap: filter %q has no $user", l.filter)
	}
	if _, err := ldap.CompileFilter(expandLDAPFilter(l.filter, "x")); err != nil {
		return nil, fmt.Errorf("ldap: filter %q: %w", l.filter, err)
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return nil, fmt.Errorf("ldap: url %q: want ldap://host[:port] or ldaps://host[:port]", opts.URL)
	}
	l.tls = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ldap: ca-file: %w", err)
		}
		l.tls.RootCAs = x509.NewCertPool()
		if !l.tls.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ldap: ca-file %s holds no PEM certificate", opts.CAFile)
		}
	}
	if l.opts.Method == LDAPCompare {
		path := ""
		if opts.DataDir != "" {
			path = filepath.Join(opts.DataDir, LDAPDecoyFile)
		}
		l.decoy = newLearnedDecoy(path, ldapPasswordWork, ldapDecoyAccepts,
			func(crypt string) string { return "{CRYPT}" + crypt }, opts.Logger)
	}
	return l, nil
}

// checkedElsewhere implements elsewhereChecker.
func (l *LDAP) checkedElsewhere() bool { return l.opts.Method == LDAPBind }

// loginCacheSlot implements cacheHolder.
func (l *LDAP) loginCacheSlot() **loginCache { return &l.cache }

// expandLDAPFilter puts the escaped user name into filter.
func expandLDAPFilter(filter, name string) string {
	esc := ldap.EscapeFilter(name)
	return strings.ReplaceAll(strings.ReplaceAll(filter, "${user}", esc), "$user", esc)
}

// ldapAttributes are the attributes read from the user's entry.
var ldapAttributes = []string{"uid", "uidNumber", "gidNumber", "homeDirectory", "loginShell", "gecos"}

// Authenticate implements Authenticator.
func (l *LDAP) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable("ldap", err)
	}
	// An empty password would make the bind an anonymous one, which
	// succeeds (RFC 4513, section 5.1.2).
	if len(password) > maxPasswordLen || password == "" {
		return nil, ErrBadCredentials
	}
	now := l.now()
	if l.opts.Method == LDAPBind {
		if u, ok := l.cache.lookup(name, "", password, now); ok && u != nil {
			return u, nil
		}
	}
	conn, entry, u, err := l.lookup(ctx, name)
	if err != nil {
		if l.opts.Method == LDAPCompare && errors.Is(err, ErrNoUser) {
			if err := l.verifyDecoy(ctx, password); err != nil {
				return nil, err
			}
		}
		return nil, err
	}
	defer conn.Close()
	if l.opts.Method == LDAPCompare {
		return u, l.compare(ctx, name, entry, password, now)
	}
	if err := conn.Bind(entry.DN, password); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, ErrBadCredentials
		}
		return nil, unavailable("ldap", fmt.Errorf("bind as %s: %w", entry.DN, err))
	}
	l.cache.rememberUser(name, "", password, u, now)
	return u, nil
}

// Identify implements Identifier: the user of the entry the filter finds,
// searched with the configured bind (or anonymously), for a user whose
// identity was proven without a password (preauth, a client certificate)
// or who only receives mail (LMTP). No bind as the user takes place.
func (l *LDAP) Identify(ctx context.Context, name string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ldap: identify: %w: %w", ErrUnavailable, err)
	}
	conn, _, u, err := l.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	conn.Close()
	return u, nil
}

// lookup connects and finds name's entry and the user it makes. On
// success the caller closes conn, which is still bound for the search.
func (l *LDAP) lookup(ctx context.Context, name string) (*ldap.Conn, *ldap.Entry, *User, error) {
	conn, err := l.dial(ctx)
	if err != nil {
		return nil, nil, nil, unavailable("ldap", err)
	}
	entry, err := l.find(conn, name)
	if err != nil {
		conn.Close()
		return nil, nil, nil, err
	}
	u, err := l.user(name, entry)
	if err != nil {
		conn.Close()
		return nil, nil, nil, unavailable("ldap", err)
	}
	return conn, entry, u, nil
}

// dial connects, upgrades with StartTLS when configured, and binds for
// the search.
func (l *LDAP) dial(ctx context.Context) (*ldap.Conn, error) {
	d := &net.Dialer{Timeout: l.opts.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		d.Deadline = dl
	}
	conn, err := ldap.DialURL(l.opts.URL, ldap.DialWithDialer(d), ldap.DialWithTLSConfig(l.tls))
	if err != nil {
		return nil, err
	}
	conn.SetTimeout(l.opts.Timeout)
	if l.opts.StartTLS {
		if err := conn.StartTLS(l.tls); err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	}
	if l.opts.BindDN != "" {
		if err := conn.Bind(l.opts.BindDN, l.opts.BindPassword); err != nil {
			conn.Close()
			return nil, fmt.Errorf("bind as %s for the search: %w", l.opts.BindDN, err)
		}
	}
	return conn, nil
}

// find returns the user's entry: ErrNoUser when there is none,
// ErrUnavailable when the search fails or finds several.
func (l *LDAP) find(conn *ldap.Conn, name string) (*ldap.Entry, error) {
	attrs := ldapAttributes
	if l.opts.Method == LDAPCompare {
		attrs = append(attrs[:len(attrs):len(attrs)], "userPassword")
	}
	filter := expandLDAPFilter(l.filter, name)
	req := ldap.NewSearchRequest(l.opts.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, int(l.opts.Timeout.Seconds())+1, false, filter, attrs, nil)
	res, err := conn.Search(req)
	if res != nil && len(res.Entries) > 1 {
		return nil, unavailable("ldap", fmt.Errorf("filter %s matches more than one entry under %s", filter, l.opts.Base))
	}
	if err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return nil, unavailable("ldap", fmt.Errorf("search base %s does not exist: %w", l.opts.Base, err))
		}
		return nil, unavailable("ldap", fmt.Errorf("search %s: %w", filter, err))
	}
	if len(res.Entries) == 0 {
		return nil, ErrNoUser
	}
	return res.Entries[0], nil
}

// compare verifies password against the entry's userPassword values.
func (l *LDAP) compare(ctx context.Context, name string, e *ldap.Entry, password string, now time.Time) error {
	stored := e.GetAttributeValues("userPassword")
	if len(stored) == 0 {
		if err := l.verifyDecoy(ctx, password); err != nil {
			return err
		}
		return ErrBadCredentials
	}
	encoded := strings.Join(stored, "\x00")
	if l.cache.hit(name, encoded, password, now) {
		return nil
	}
	var errs []error
	var spent time.Duration
	for _, s := range stored {
		ok, err := l.verify(ctx, s, password)
		if ok {
			l.cache.remember(name, encoded, password, now)
			return nil
		}
		if errors.Is(err, errNoVerifySlot) {
			return fmt.Errorf("ldap: %w", err)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			spent += ldapPasswordWork(s)
		}
	}
	if len(errs) == len(stored) {
		return unavailable("ldap", fmt.Errorf("%s: userPassword: %w", e.DN, errors.Join(errs...)))
	}
	if needsDecoy(spent, ldapPasswordWork(l.decoy.hash())) {
		if err := l.verifyDecoy(ctx, password); err != nil {
			return err
		}
	}
	return ErrBadCredentials
}

// verify verifies password against a userPassword value; one verified
// without error is shown to the decoy.
func (l *LDAP) verify(ctx context.Context, stored, password string) (bool, error) {
	if l.verifying != nil {
		l.verifying(stored)
	}
	ok, err := verifyLDAPPassword(ctx, stored, password)
	if err == nil {
		l.decoy.saw(ctx, stored)
	}
	return ok, err
}

// verifyDecoy verifies password against the compare method's decoy, for
// a login that has no value of its own to verify, or only much cheaper
// ones. The error is that of a verification that never ran for want of
// a place (decoyErr).
func (l *LDAP) verifyDecoy(ctx context.Context, password string) error {
	decoy := l.decoy.hash()
	if l.verifying != nil {
		l.verifying(decoy)
	}
	if err := decoyErr(verifyLDAPPassword(ctx, decoy, password)); err != nil {
		return fmt.Errorf("ldap: %w", err)
	}
	return nil
}

// ldapDecoyAccepts tells whether a userPassword value may be the compare
// method's decoy: a {CRYPT} or {ARGON2} value this build verifies.
func ldapDecoyAccepts(v string) bool {
	end := strings.IndexByte(v, '}')
	if !strings.HasPrefix(v, "{") || end < 0 {
		return false
	}
	switch strings.ToUpper(v[1:end]) {
	case "CRYPT", "ARGON2":
		return cryptWork(v[end+1:]) > 0 && buildVerifies(v[end+1:])
	}
	return false
}

// user makes the user of an entry; login is the name logged in with.
func (l *LDAP) user(login string, e *ldap.Entry) (*User, error) {
	u := &User{Name: login, Home: e.GetAttributeValue("homeDirectory"),
		Shell: e.GetAttributeValue("loginShell"), Gecos: e.GetAttributeValue("gecos")}
	// The directory's spelling: uid matches case-insensitively, and the
	// mail directory must be one.
	for _, v := range e.GetAttributeValues("uid") {
		if strings.EqualFold(v, login) && CheckUserName(v) == nil {
			u.Name = v
			break
		}
	}
	var err error
	if u.UID, err = parseID(e.GetAttributeValue("uidNumber")); err != nil {
		return nil, fmt.Errorf("%s: uidNumber: %w", e.DN, err)
	}
	if u.GID, err = parseID(e.GetAttributeValue("gidNumber")); err != nil {
		return nil, fmt.Errorf("%s: gidNumber: %w", e.DN, err)
	}
	if err := setHome(u, l.opts.DataDir); err != nil {
		return nil, fmt.Errorf("%s: %w", e.DN, err)
	}
	return u, nil
}
