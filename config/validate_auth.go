package config

import (
	"strings"
)

func (c *Config) validateAuth(ps *problems) {
	a := c.Auth
	if len(a.Authentication) == 0 && !c.PreauthOnly {
		ps.add(at("auth", "authentication"), "empty; list at least one of %s", orList(quoteAll(authenticationNames())))
	}
	seen := map[string]bool{}
	for i, name := range a.Authentication {
		p := at("auth", "authentication").index(i)
		switch {
		case !contains(authenticationNames(), name):
			ps.add(p, "%q is not valid; want %s", name, orList(quoteAll(authenticationNames())))
		case seen[name]:
			ps.add(p, "%q is listed twice", name)
		}
		seen[name] = true
	}
	for _, limit := range []struct {
		key string
		n   int
	}{{"login-failure-limit", a.LoginFailureLimit}, {"address-failure-limit", a.AddressFailureLimit}} {
		if limit.n < 1 {
			ps.add(at("auth", limit.key), "%d is too small; at least one failed login must count", limit.n)
		}
	}
	positive(ps, at("auth", "login-failure-window"), a.LoginFailureWindow)
	positive(ps, at("auth", "login-block-time"), a.LoginBlockTime)
	positive(ps, at("auth", "login-delay"), a.LoginDelay)
	positive(ps, at("auth", "login-max-delay"), a.LoginMaxDelay)
	if a.LoginMaxDelay > 0 && a.LoginMaxDelay < a.LoginDelay {
		ps.add(at("auth", "login-max-delay"), "%q is shorter than login-delay %q", a.LoginMaxDelay.String(), a.LoginDelay.String())
	}
	clear(seen)
	for i, m := range a.Mechanisms {
		p := at("auth", "mechanisms").index(i)
		switch {
		case !isMechanism(m):
			ps.add(p, "%q is not a SASL mechanism name (1 to 20 of A-Z, 0-9, - and _; RFC 4422)", m)
		case seen[strings.ToUpper(m)]:
			ps.add(p, "%q is listed twice", m)
		}
		seen[strings.ToUpper(m)] = true
	}
}

// isMechanism reports whether s is a SASL mechanism name (RFC 4422,
// section 3.1), in either case.
func isMechanism(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
