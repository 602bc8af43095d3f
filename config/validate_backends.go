package config

import (
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// validateBackends checks the tables of the password back-ends that [auth]
// authentication lists.
func (c *Config) validateBackends(ps *problems) {
	a := &c.Auth
	listed := func(name string) bool { return slices.Contains(a.Authentication, name) }
	if a.System.MinUID < 0 {
		ps.add(at("auth", "system", "min-uid"), "%d is negative; 0 serves every account", a.System.MinUID)
	}
	if listed("pam") && (a.PAM.Service == "" || strings.ContainsAny(a.PAM.Service, "/ ")) {
		ps.add(at("auth", "pam", "service"), "%q is not a PAM service name (a file name in /etc/pam.d)", a.PAM.Service)
	}
	if listed("virtdomain") {
		absolutePath(ps, at("auth", "virtdomain", "passwd-dir"), a.Virtdomain.PasswdDir, true)
	}
	if listed("sql") {
		c.validateSQL(ps)
	}
	if listed("ldap") {
		c.validateLDAP(ps)
	}
	if listed("radius") {
		c.validateRADIUS(ps)
	}
}

func (c *Config) validateSQL(ps *problems) {
	s := &c.Auth.SQL
	key := func(k string) keyPath { return at("auth", "sql", k) }
	oneOf(ps, key("interface"), s.Interface, "postgres", "mysql")
	oneOf(ps, key("password-type"), s.PasswordType, "plain", "hash", "crypt")
	hasUser(ps, key("getpwnam"), s.GetPwnam, true)
	hasUser(ps, key("getpass"), s.GetPass, false)
	if s.DSN == "" && s.DB == "" {
		ps.add(key("db"), "empty: name the database, or give the whole dsn")
	}
	if s.Passwd != "" && s.PasswdFile != "" {
		ps.add(key("passwd-file"), "set passwd or passwd-file, not both")
	}
	absolutePath(ps, key("passwd-file"), s.PasswdFile, false)
	if s.Port < 0 || s.Port > 65535 {
		ps.add(key("port"), "%d is not a port number", s.Port)
	}
	notNegative(ps, key("max-open-conns"), s.MaxOpenConns)
	notNegative(ps, key("max-idle-conns"), s.MaxIdleConns)
	positive(ps, key("timeout"), s.Timeout)
}

func (c *Config) validateLDAP(ps *problems) {
	l := &c.Auth.LDAP
	key := func(k string) keyPath { return at("auth", "ldap", k) }
	u, err := url.Parse(l.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		ps.add(key("url"), "%q is not valid; want ldap://host[:port] or ldaps://host[:port]", l.URL)
	case u.Scheme == "ldaps" && l.TLS:
		ps.add(key("tls"), "true asks for StartTLS on an ldaps:// connection, which is TLS already")
	}
	if l.Base == "" {
		ps.add(key("base"), "empty: name the search base, such as \"ou=people,dc=example,dc=org\"")
	}
	hasUser(ps, key("getpwnam"), l.GetPwnam, true)
	if strings.Count(l.GetPwnam, "(") != strings.Count(l.GetPwnam, ")") {
		ps.add(key("getpwnam"), "%q: unbalanced parentheses", l.GetPwnam)
	}
	oneOf(ps, key("method"), l.Method, "bind", "compare")
	if l.Passfile != "" && l.BindDN == "" {
		ps.add(key("passfile"), "needs binddn, the entry whose password it holds")
	}
	absolutePath(ps, key("passfile"), l.Passfile, false)
	absolutePath(ps, key("ca-file"), l.CAFile, false)
	positive(ps, key("timeout"), l.Timeout)
}

func (c *Config) validateRADIUS(ps *problems) {
	r := &c.Auth.RADIUS
	key := func(k string) keyPath { return at("auth", "radius", k) }
	host := r.Server
	if h, _, err := net.SplitHostPort(r.Server); err == nil {
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/ ") {
		ps.add(key("server"), "%q is not valid; want host or host:port", r.Server)
	}
	switch {
	case r.Secret == "" && r.SecretFile == "":
		ps.add(key("secret"), "empty: set the shared secret, or secret-file")
	case r.Secret != "" && r.SecretFile != "":
		ps.add(key("secret-file"), "set secret or secret-file, not both")
	}
	absolutePath(ps, key("secret-file"), r.SecretFile, false)
	if r.Home != "" && !filepath.IsAbs(r.Home) {
		ps.add(key("home"), "%q is not an absolute path", r.Home)
	}
	positive(ps, key("timeout"), r.Timeout)
	notNegative(ps, key("retries"), r.Retries)
	for _, id := range []struct {
		k string
		n int
	}{{"uid", r.UID}, {"gid", r.GID}} {
		if id.n < -1 {
			ps.add(key(id.k), "%d is not valid; want an id, or -1 for mailgate's own", id.n)
		}
	}
}

// absolutePath reports path at p unless it is absolute; an empty one is
// reported only when required.
func absolutePath(ps *problems, p keyPath, path string, required bool) {
	switch {
	case path == "" && required:
		ps.add(p, "empty; want an absolute path")
	case path != "" && !filepath.IsAbs(path):
		ps.add(p, "%q is not an absolute path", path)
	}
}

// hasUser reports a query or filter at p that does not use $user.
func hasUser(ps *problems, p keyPath, q string, required bool) {
	switch {
	case q == "" && required:
		ps.add(p, "empty; want a query with $user where the user name goes")
	case q != "" && !strings.Contains(q, "$user") && !strings.Contains(q, "${user}"):
		ps.add(p, "%q has no $user, the user name to look up", q)
	}
}
