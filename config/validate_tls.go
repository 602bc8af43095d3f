package config

import (
	"errors"
	"strings"

	"github.com/mailgate/mailgate/tlsmgr"
)

// validateTLS checks [tls], [tls.acme], [tls-file-checks] and the
// certificate files of each [[server]] with tlsmgr's own rules, without
// reading the files (the gateway's Check does that).
func (c *Config) validateTLS(ps *problems) {
	if c.TLSConfigured() {
		o := c.TLSOptions()
		ps.list = append(ps.list, c.TLSProblems(o.Validate(), -1)...)
	} else {
		// Nothing to check them on yet; their names must still be right.
		for _, l := range []struct {
			key  string
			list []string
		}{{"key-file", c.TLSFileChecks.KeyFile}, {"cert-file", c.TLSFileChecks.CertFile}, {"ca-file", c.TLSFileChecks.CAFile}} {
			if _, err := tlsmgr.ParseChecks(l.list, 0); err != nil {
				ps.addErr(at("tls-file-checks", l.key), err)
			}
		}
	}
	a := c.TLS.ACME
	for _, limit := range []struct {
		key string
		n   int
	}{
		{"on-demand-per-address", a.OnDemandPerAddress},
		{"on-demand-per-day", a.OnDemandPerDay},
		{"on-demand-max-certificates", a.OnDemandMaxCertificates},
	} {
		notNegative(ps, at("tls", "acme", limit.key), limit.n)
	}
	for i, s := range c.Servers {
		o, ok := c.ServerTLSOptions(s)
		if !ok {
			if s.CAFile != "" {
				ps.add(at("server").index(i).key("ca-file"), "needs this [[server]]'s own certificate-file and key-file; without them, set [tls] ca-file")
			}
			continue
		}
		o.FileChecks = tlsmgr.FileChecks{} // checked once, above
		ps.list = append(ps.list, c.TLSProblems(o.Validate(), i)...)
	}
}

// TLSProblems places the problems in err, an error of tlsmgr.New or of
// tlsmgr.Options.Validate, in the configuration: each *tlsmgr.OptionError
// at its option's key. server is -1 for the options of [Config.TLSOptions]
// and the index of a [[server]] for those of [Config.ServerTLSOptions].
// Anything else in err is one problem at [tls] (or at the [[server]]'s
// certificate-file). It returns nil for a nil err.
func (c *Config) TLSProblems(err error, server int) []*Problem {
	if err == nil {
		return nil
	}
	ps := &problems{src: c.src}
	var oes []*tlsmgr.OptionError
	optionErrors(err, &oes)
	if len(oes) == 0 {
		ps.addErr(c.tlsKey("", server), err)
	}
	for _, oe := range oes {
		ps.addErr(c.tlsKey(oe.Option, server), oe.Err)
	}
	return ps.list
}

// optionErrors collects the *tlsmgr.OptionError leaves of err's tree.
func optionErrors(err error, out *[]*tlsmgr.OptionError) {
	if oe, ok := err.(*tlsmgr.OptionError); ok {
		*out = append(*out, oe)
		return
	}
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			optionErrors(inner, out)
		}
	default:
		if inner := errors.Unwrap(err); inner != nil {
			optionErrors(inner, out)
		}
	}
}

// tlsKey places an option of tlsmgr.Options: [tls] and [tls.acme] keys,
// the [tls-file-checks] lists, or, for a [[server]]'s own options, its
// certificate keys (its ca-file being [tls]'s when it sets none).
func (c *Config) tlsKey(option string, server int) keyPath {
	section, name, _ := strings.Cut(option, ".")
	if server >= 0 && section != "tls-file-checks" {
		s := at("server").index(server)
		switch {
		case option == "ca-file" && c.Servers[server].CAFile == "":
			return at("tls", "ca-file")
		case option == "":
			return s.key("certificate-file")
		}
		return s.key(option)
	}
	switch {
	case option == "":
		return at("tls")
	case section == "tls-file-checks":
		return at("tls-file-checks", name)
	case section == "acme":
		return at("tls", "acme", name)
	}
	return at("tls", option)
}
