package config

import (
	"github.com/mailgate/mailgate/tlsmgr"
)

// TLSConfigured reports whether [tls] or [tls.acme] provides certificates:
// a certificate or key file, ACME domains or on-demand names.
func (c *Config) TLSConfigured() bool {
	t := c.TLS
	return t.CertificateFile != "" || t.KeyFile != "" || len(t.ACME.Domains) > 0 || len(t.ACME.OnDemand) > 0
}

// TLSOptions returns the certificate options that [tls], [tls.acme] and
// [tls-file-checks] give, for tlsmgr.New; the caller adds the Logger.
// ACME storage defaults to <data-dir>/acme, and dns-propagation-timeout
// "0s" (skip the check) and an on-demand limit of 0 (none) become
// tlsmgr's negative values.
func (c *Config) TLSOptions() tlsmgr.Options {
	t, a := c.TLS, c.TLS.ACME
	o := tlsmgr.Options{
		CertificateFile: t.CertificateFile,
		KeyFile:         t.KeyFile,
		CAFile:          t.CAFile,
		FileChecks:      c.fileChecks(),
		ACME: tlsmgr.ACMEOptions{
			Domains:               a.Domains,
			Email:                 a.Email,
			CA:                    a.CA,
			Staging:               a.Staging,
			CARoot:                a.CARoot,
			Profile:               a.Profile,
			Storage:               c.ACMEStorage(),
			Challenges:            a.Challenges,
			HTTPAddress:           a.HTTPAddress,
			TLSALPNAddress:        a.TLSALPNAddress,
			DNSProvider:           a.DNSProvider,
			DNSSettings:           a.DNS,
			DNSResolvers:          a.DNSResolvers,
			DNSPropagationTimeout: a.DNSPropagationTimeout,
			DefaultServerName:     a.DefaultServerName,
		},
	}
	if len(a.DNSResolvers) == 0 {
		o.ACME.DNSResolvers = nil // the system's
	}
	if a.DNSPropagationTimeout == 0 {
		o.ACME.DNSPropagationTimeout = -1
	}
	if len(a.OnDemand) > 0 {
		o.ACME.OnDemand = tlsmgr.AllowList(a.OnDemand)
		o.ACME.OnDemandLimits = tlsmgr.OnDemandLimits{
			PerAddress:      noLimit(a.OnDemandPerAddress),
			PerDay:          noLimit(a.OnDemandPerDay),
			MaxCertificates: noLimit(a.OnDemandMaxCertificates),
		}
	}
	return o
}

// noLimit turns a limit key's 0, no limit, into tlsmgr's negative value
// (tlsmgr's zero is its default).
func noLimit(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// ServerTLSOptions returns the certificate options of a [[server]] that
// names its own certificate-file and key-file (ok is true): that pair,
// its ca-file or else [tls]'s, and the [tls-file-checks]; never ACME.
// Servers with the same three files may share one tlsmgr.Manager.
func (c *Config) ServerTLSOptions(s Server) (o tlsmgr.Options, ok bool) {
	if s.CertificateFile == "" && s.KeyFile == "" {
		return tlsmgr.Options{}, false
	}
	ca := s.CAFile
	if ca == "" {
		ca = c.TLS.CAFile
	}
	return tlsmgr.Options{
		CertificateFile: s.CertificateFile,
		KeyFile:         s.KeyFile,
		CAFile:          ca,
		FileChecks:      c.fileChecks(),
	}, true
}

// fileChecks returns the [tls-file-checks] lists as tlsmgr takes them.
func (c *Config) fileChecks() tlsmgr.FileChecks {
	f := c.TLSFileChecks
	return tlsmgr.FileChecks{Key: f.KeyFile, Certificate: f.CertFile, CA: f.CAFile}
}
