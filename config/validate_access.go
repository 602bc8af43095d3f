package config

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode"
)

// saslMechanismNames are the SASL mechanisms [auth] mechanisms may name:
// those mailgate serves.
func saslMechanismNames() []string {
	return []string{"PLAIN", "LOGIN", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "EXTERNAL", "OAUTHBEARER", "ANONYMOUS"}
}

// externalUsernames are the values of [auth] external-username.
func externalUsernames() []string { return []string{"common-name", "email"} }

// validateAccess checks the keys of issue 10: the SASL mechanisms and
// what each needs, preauth's timeout, the user and group lists and
// [tcp-wrappers].
func (c *Config) validateAccess(ps *problems) {
	a := c.Auth
	for i, m := range a.Mechanisms {
		p := at("auth", "mechanisms").index(i)
		if !isMechanism(m) {
			continue // validateAuth reports it
		}
		switch strings.ToUpper(m) {
		case "ANONYMOUS":
			if a.AnonymousUser == "" {
				ps.add(p, "ANONYMOUS needs [auth] anonymous-user, the user anonymous logins become (read-only)")
			}
		case "EXTERNAL":
			if c.TLS.CAFile == "" {
				ps.add(p, "EXTERNAL needs [tls] ca-file, the authorities that client certificates are verified against")
			}
		case "OAUTHBEARER":
			c.validateOAuthBearer(ps, p)
		default:
			if !contains(saslMechanismNames(), strings.ToUpper(m)) {
				ps.add(p, "%q is not a mechanism mailgate serves; want %s", m, orList(quoteAll(saslMechanismNames())))
			}
		}
	}
	if a.AnonymousUser != "" && strings.ContainsAny(a.AnonymousUser, ": /\t") {
		ps.add(at("auth", "anonymous-user"), "%q is not a user name", a.AnonymousUser)
	}
	oneOf(ps, at("auth", "external-username"), a.ExternalUsername, externalUsernames()...)
	positive(ps, at("auth", "oauthbearer", "timeout"), a.OAuthBearer.Timeout)
	positive(ps, at("preauth-timeout"), c.PreauthTimeout)
	if c.PreauthOnly && c.Preauth == "" {
		ps.add(at("preauth-only"), "true needs preauth, or every connection is refused")
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"allow-users", c.AllowUsers}, {"deny-users", c.DenyUsers}, {"allow-groups", c.AllowGroups}, {"deny-groups", c.DenyGroups}} {
		for i, name := range l.list {
			if name == "" || strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == ':' }) >= 0 {
				ps.add(at(l.key).index(i), "%q is not a user or group name", name)
			}
		}
	}
	if w := c.TCPWrappers; w.Enable {
		if w.Daemon == "" || strings.ContainsAny(w.Daemon, " \t,:@") {
			ps.add(at("tcp-wrappers", "daemon"), "%q is not a daemon name", w.Daemon)
		}
		for _, t := range []struct{ key, path string }{{"allow-table", w.AllowTable}, {"deny-table", w.DenyTable}} {
			if t.path != "" && !filepath.IsAbs(t.path) {
				ps.add(at("tcp-wrappers", t.key), "%q is not an absolute path", t.path)
			}
		}
	}
}

// validateOAuthBearer checks that OAUTHBEARER has a way to check tokens:
// an introspection command, or a key with an issuer and an audience.
func (c *Config) validateOAuthBearer(ps *problems, mech keyPath) {
	o := c.Auth.OAuthBearer
	p := at("auth", "oauthbearer")
	if o.IntrospectionCommand != "" {
		if _, _, err := ParseCommand(o.IntrospectionCommand); err != nil {
			ps.addErr(p.key("introspection-command"), err)
		}
		return
	}
	switch {
	case o.KeyFile == "" && o.JWKS == "":
		ps.add(mech, "OAUTHBEARER needs [auth.oauthbearer] key-file or jwks (with issuer and audience), or introspection-command")
		return
	case o.KeyFile != "" && o.JWKS != "":
		ps.add(p.key("jwks"), "give key-file or jwks, not both")
	case o.KeyFile != "" && !filepath.IsAbs(o.KeyFile):
		ps.add(p.key("key-file"), "%q is not an absolute path", o.KeyFile)
	}
	if o.JWKS != "" {
		if u, err := url.Parse(o.JWKS); err != nil || u.Scheme != "https" || u.Host == "" {
			ps.add(p.key("jwks"), "%q is not an https:// URL", o.JWKS)
		}
	}
	if o.Issuer == "" {
		ps.add(p.key("issuer"), "missing: tokens must name their issuer, and it must be this one")
	}
	if o.Audience == "" {
		ps.add(p.key("audience"), "missing: tokens must be meant for this service")
	}
	if o.UsernameClaim == "" {
		ps.add(p.key("username-claim"), "empty; name the claim that holds the user name, such as \"email\"")
	}
}

// ParseCommand splits "/absolute/path args..." at white space into the
// program and its arguments; no shell is involved.
func ParseCommand(s string) (prog string, args []string, err error) {
	fields := strings.Fields(s)
	if len(fields) == 0 || !path.IsAbs(fields[0]) {
		return "", nil, fmt.Errorf("%q: want \"/absolute/path args...\"", s)
	}
	return fields[0], fields[1:], nil
}

// IDField splits an id-fields entry "NAME=VALUE" (RFC 2971: a name of
// at most 30 octets, a value of at most 1024, neither with control
// characters); ok is false for a plain field name.
func IDField(entry string) (name, value string, ok bool, err error) {
	name, value, ok = strings.Cut(entry, "=")
	if !ok {
		return "", "", false, nil
	}
	switch {
	case name == "" || len(name) > 30:
		return "", "", true, fmt.Errorf("%q: the field name must be 1 to 30 bytes long (RFC 2971)", entry)
	case len(value) > 1024:
		return "", "", true, fmt.Errorf("%q: the value is longer than 1024 bytes (RFC 2971)", entry)
	case strings.IndexFunc(entry, unicode.IsControl) >= 0 || strings.ContainsRune(entry, '"') || strings.ContainsRune(entry, '\\'):
		return "", "", true, fmt.Errorf("%q holds a control character, a quote or a backslash", entry)
	}
	return name, value, true, nil
}
