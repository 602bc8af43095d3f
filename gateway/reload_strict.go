package gateway

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/tlsmgr"
)

// loginSurface is what a listener lets in where its TLS keys and the
// global login keys meet, the parts a reload can mix: a listener's TLS
// keys wait for a restart while [auth] mechanisms and login-disabled
// apply at once.
type loginSurface struct {
	// cleartext: a password or a token may cross the network before
	// TLS (the LOGIN command, or AUTHENTICATE PLAIN, LOGIN or
	// OAUTHBEARER).
	cleartext bool
	// external is the ca-file whose client certificates EXTERNAL logs
	// in; "" when EXTERNAL is not offered there.
	external string
}

// surfaceOf is the login surface of listener s under c's global keys.
func surfaceOf(c *config.Config, s config.Server) loginSurface {
	var ls loginSurface
	mech := func(names ...string) bool {
		return slices.ContainsFunc(c.Auth.Mechanisms, func(m string) bool { return slices.Contains(names, m) })
	}
	// Implicit TLS sends nothing in the clear, whatever allow-plaintext
	// says; PlaintextAuthAllowed covers "required" and loopback.
	if s.TLSMode != tlsmgr.ModeConnection && s.PlaintextAuthAllowed() {
		ls.cleartext = !c.LoginDisabled || mech("PLAIN", "LOGIN", "OAUTHBEARER")
	}
	if s.TLSMode != tlsmgr.ModeNo && mech("EXTERNAL") {
		ls.external = s.CAFile
		if ls.external == "" {
			ls.external = c.TLS.CAFile
		}
	}
	return ls
}

// noLooserThanBoth checks the configuration a reload puts in force, mix
// (the new file with the keys that wait for a restart put back), against
// the file in force, old, and the new file, next: on each listener that
// runs, mix may let in no login that neither old nor next lets in. A
// listener that next no longer lists lets nothing in there; one that
// next adds does not run before a restart.
func noLooserThanBoth(old, next, mix *config.Config) error {
	find := func(c *config.Config, addr string) (config.Server, bool) {
		for _, s := range c.Servers {
			if s.Address == addr {
				return s, true
			}
		}
		return config.Server{}, false
	}
	var errs []error
	for _, s := range mix.Servers {
		m := surfaceOf(mix, s)
		var o, n loginSurface
		if was, ok := find(old, s.Address); ok {
			o = surfaceOf(old, was)
		}
		if will, ok := find(next, s.Address); ok {
			n = surfaceOf(next, will)
		}
		if m.cleartext && !o.cleartext && !n.cleartext {
			errs = append(errs, fmt.Errorf("[[server]] %s: until a restart it would take passwords before TLS, which neither the configuration in force nor the new one does", s.Address))
		}
		if m.external != "" && m.external != o.external && m.external != n.external {
			errs = append(errs, fmt.Errorf("[[server]] %s: until a restart EXTERNAL would log in the client certificates of %s, which neither the configuration in force nor the new one does", s.Address, m.external))
		}
	}
	return errors.Join(errs...)
}
