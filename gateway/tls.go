package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/tlsmgr"
)

// certificates are a gateway's tlsmgr Managers: one for [tls] and
// [tls.acme], and one for each distinct set of files that [[server]]
// tables name for themselves.
type certificates struct {
	main    *tlsmgr.Manager   // nil without [tls] or [tls.acme]
	servers []*tlsmgr.Manager // by [[server]] index: its own, main, or nil
	all     []*tlsmgr.Manager // each Manager once, main first
}

// loadCertificates builds the Managers of cfg: it runs the file checks
// and loads the static files (tlsmgr.New), and checks that every
// [[server]] whose tls-mode needs a certificate has one. Nothing starts.
// Problems name the key at fault, with its line.
func loadCertificates(cfg *config.Config, log *slog.Logger) (*certificates, []*config.Problem) {
	var ps []*config.Problem
	c := &certificates{servers: make([]*tlsmgr.Manager, len(cfg.Servers))}
	if cfg.TLSConfigured() {
		o := cfg.TLSOptions()
		o.Logger = log
		if o.ACME.CARoot != "" {
			// Read only once ACME starts; refuse a bad one now.
			if err := checkCAFile(o.ACME.CARoot); err != nil {
				ps = append(ps, cfg.Problemf("tls.acme.ca-root", "%v", err))
			}
		}
		m, err := newManager(o)
		ps = append(ps, cfg.TLSProblems(err, -1)...)
		if m != nil {
			c.main = m
			c.all = append(c.all, m)
		}
	}
	byFiles := map[[3]string]*tlsmgr.Manager{}
	for i, s := range cfg.Servers {
		o, own := cfg.ServerTLSOptions(s)
		if !own {
			c.servers[i] = c.main
			if c.main == nil && s.TLSMode.NeedsCertificate() && !cfg.TLSConfigured() {
				ps = append(ps, cfg.Problemf(fmt.Sprintf("server[%d].tls-mode", i),
					"%q needs a certificate: set [tls] certificate-file and key-file, [tls.acme] domains, or this [[server]]'s certificate-file and key-file", s.TLSMode))
			}
			continue
		}
		files := [3]string{o.CertificateFile, o.KeyFile, o.CAFile}
		if m, ok := byFiles[files]; ok {
			c.servers[i] = m
			continue
		}
		o.Logger = log
		m, err := newManager(o)
		ps = append(ps, cfg.TLSProblems(err, i)...)
		if m != nil {
			byFiles[files] = m
			c.servers[i] = m
			c.all = append(c.all, m)
		}
	}
	return c, ps
}

// newManager is tlsmgr.New, after a look at every file it names, so that
// all the missing ones are reported at once (New stops at the first).
func newManager(o tlsmgr.Options) (*tlsmgr.Manager, error) {
	var errs []error
	for _, f := range []struct{ option, path string }{
		{"certificate-file", o.CertificateFile}, {"key-file", o.KeyFile}, {"ca-file", o.CAFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, &tlsmgr.OptionError{Option: f.option, Err: err})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tlsmgr.New(o)
}

// start starts every Manager: the watch on the files, and ACME.
func (c *certificates) start(ctx context.Context) error {
	for i, m := range c.all {
		if err := m.Start(ctx); err != nil {
			for _, started := range c.all[:i] {
				started.Stop()
			}
			return err
		}
	}
	return nil
}

// stop stops every Manager; it may be called more than once.
func (c *certificates) stop() {
	for _, m := range c.all {
		m.Stop()
	}
}

// reload re-reads every Manager's files.
func (c *certificates) reload() error {
	var errs []error
	for _, m := range c.all {
		errs = append(errs, m.Reload())
	}
	return errors.Join(errs...)
}

// forServer returns the TLS configuration of [[server]] number i for a
// frontend speaking alpn, or nil when the listener has no certificate.
func (c *certificates) forServer(i int, alpn ...string) *tls.Config {
	if m := c.servers[i]; m != nil {
		return m.TLSConfig(alpn...)
	}
	return nil
}

// TLSConfig returns a server TLS configuration on the certificates of
// [tls] and [tls.acme], for a frontend whose application protocols (ALPN)
// are alpn: "imap", or a registered frontend's own. Each call returns a
// new *tls.Config; the certificate is chosen at each handshake, so reloads
// and renewals reach it. It is nil when the configuration names no
// certificate.
func (g *Gateway) TLSConfig(alpn ...string) *tls.Config {
	if g.certs.main == nil {
		return nil
	}
	return g.certs.main.TLSConfig(slices.Clone(alpn)...)
}
