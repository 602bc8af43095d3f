package gateway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
)

// A reload (SIGHUP, "mailgate reload") reads the configuration again and
// puts it in force without dropping a session:
//
//   - What a new session, a new connection or a login reads takes the new
//     values: [auth] and its back-ends, the users file, the access lists,
//     the [[server]] settings of each listener (timeouts, limits,
//     transcript, login-disabled...), id-fields, preauth, max-children.
//     Sessions under way keep the settings they began with.
//   - What was built once at start keeps its old value until a restart,
//     and the log names each such key that changed (restartKeys): the
//     listeners' addresses and TLS, data-dir, the storage ([mailbox],
//     [locking], [namespace]), the process model, [tls], [lmtp],
//     [logging], [metrics] and the login throttle's keys.
//   - A configuration that does not load or that Check refuses changes
//     nothing; the error, with the file and line of each problem, is
//     logged and returned.

// restartKey is a setting that only a restart changes: its name in the
// file, and its value in a configuration.
type restartKey struct {
	key string
	get func(c *config.Config) any
	set func(dst, src *config.Config) // dst takes src's value
}

// restartKeys lists the settings built once, at start.
var restartKeys = []restartKey{
	{"mode", func(c *config.Config) any { return c.Mode }, func(d, s *config.Config) { d.Mode = s.Mode }},
	{"foreground", func(c *config.Config) any { return c.Foreground }, func(d, s *config.Config) { d.Foreground = s.Foreground }},
	{"pidfile", func(c *config.Config) any { return c.PIDFile }, func(d, s *config.Config) { d.PIDFile = s.PIDFile }},
	{"data-dir", func(c *config.Config) any { return c.DataDir }, func(d, s *config.Config) { d.DataDir = s.DataDir }},
	{"session-process", func(c *config.Config) any { return c.SessionProcess }, func(d, s *config.Config) { d.SessionProcess = s.SessionProcess }},
	{"virtual-user", func(c *config.Config) any { return c.VirtualUser }, func(d, s *config.Config) { d.VirtualUser = s.VirtualUser }},
	{"retain-groups", func(c *config.Config) any { return c.RetainGroups }, func(d, s *config.Config) { d.RetainGroups = s.RetainGroups }},
	{"[mailbox]", func(c *config.Config) any { return c.Mailbox }, func(d, s *config.Config) { d.Mailbox = s.Mailbox }},
	{"[locking]", func(c *config.Config) any { return c.Locking }, func(d, s *config.Config) { d.Locking = s.Locking }},
	{"[namespace]", func(c *config.Config) any { return c.Namespace }, func(d, s *config.Config) { d.Namespace = s.Namespace }},
	{"[tls]", func(c *config.Config) any { return c.TLS }, func(d, s *config.Config) { d.TLS = s.TLS }},
	{"[tls-file-checks]", func(c *config.Config) any { return c.TLSFileChecks }, func(d, s *config.Config) { d.TLSFileChecks = s.TLSFileChecks }},
	{"[lmtp]", func(c *config.Config) any { return c.LMTP }, func(d, s *config.Config) { d.LMTP = s.LMTP }},
	{"[logging]", func(c *config.Config) any { return c.Logging }, func(d, s *config.Config) { d.Logging = s.Logging }},
	{"[metrics]", func(c *config.Config) any { return c.Metrics }, func(d, s *config.Config) { d.Metrics = s.Metrics }},
	{"[auth] login throttle", func(c *config.Config) any {
		a := c.Auth
		return [6]any{a.LoginFailureLimit, a.AddressFailureLimit, a.LoginFailureWindow, a.LoginBlockTime, a.LoginDelay, a.LoginMaxDelay}
	}, func(d, s *config.Config) {
		d.Auth.LoginFailureLimit, d.Auth.AddressFailureLimit = s.Auth.LoginFailureLimit, s.Auth.AddressFailureLimit
		d.Auth.LoginFailureWindow, d.Auth.LoginBlockTime = s.Auth.LoginFailureWindow, s.Auth.LoginBlockTime
		d.Auth.LoginDelay, d.Auth.LoginMaxDelay = s.Auth.LoginDelay, s.Auth.LoginMaxDelay
	}},
	{"[[server]] address, tls-mode, certificates and max-connections-per-address", func(c *config.Config) any {
		var out []any
		for _, s := range c.Servers {
			out = append(out, [6]any{s.Address, s.TLSMode, s.CertificateFile, s.KeyFile, s.CAFile, s.MaxConnectionsPerAddress})
		}
		return out
	}, func(d, s *config.Config) {
		if len(d.Servers) != len(s.Servers) {
			d.Servers = s.Servers
			return
		}
		for i := range d.Servers {
			o := s.Servers[i]
			d.Servers[i].Address, d.Servers[i].TLSMode = o.Address, o.TLSMode
			d.Servers[i].CertificateFile, d.Servers[i].KeyFile, d.Servers[i].CAFile = o.CertificateFile, o.KeyFile, o.CAFile
			d.Servers[i].MaxConnectionsPerAddress = o.MaxConnectionsPerAddress
		}
	}},
}

// ReloadResult says what a reload did.
type ReloadResult struct {
	// Restart names the changed settings that wait for a restart.
	Restart []string
}

// Reload does what SIGHUP asks: it reopens the log (Options.ReopenLog),
// reads the configuration again (Options.LoadConfig; without it only the
// certificates are reloaded) and puts it in force as the comment at the
// top of reload.go says, and re-reads the certificate files of [tls] and
// of every [[server]] that names its own. Open connections keep their
// certificates; new ones get the new ones. A configuration that does not
// load, or a file that fails a check or a pair that does not load,
// leaves what is in force: the error says why, and is logged too. ACME
// certificates renew by themselves.
func (g *Gateway) Reload() error {
	_, err := g.reload()
	return err
}

// reload is Reload, saying what it did.
func (g *Gateway) reload() (ReloadResult, error) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	var res ReloadResult
	var errs []error
	if g.opts.ReopenLog != nil {
		if err := g.opts.ReopenLog(); err != nil {
			errs = append(errs, err)
		}
	}
	if g.opts.LoadConfig != nil {
		var err error
		if res, err = g.reloadConfig(); err != nil {
			g.log.Error("mailgate: reload: the configuration in force stays in force", "err", err)
			errs = append(errs, fmt.Errorf("configuration not reloaded: %w", err))
		}
	}
	if err := g.certs.reload(); err != nil {
		g.log.Error("mailgate: reload: the certificates in use stay in use", "err", err)
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// reloadConfig loads the configuration again and puts it in force.
func (g *Gateway) reloadConfig() (ReloadResult, error) {
	next, err := g.opts.LoadConfig()
	if err != nil {
		return ReloadResult{}, err
	}
	if err := Check(next); err != nil {
		return ReloadResult{}, err
	}
	old := g.cur()
	var res ReloadResult
	for _, k := range restartKeys {
		if !reflect.DeepEqual(k.get(old.cfg), k.get(next)) {
			res.Restart = append(res.Restart, k.key)
			k.set(next, old.cfg)
		}
	}
	users, err := auth.LoadUsersFile(next.UsersFile(), next.DataDir, &auth.UsersFileOptions{Logger: g.log, CacheTTL: next.Auth.CacheTTL})
	if err != nil {
		return ReloadResult{}, err
	}
	authn, err := authenticator(next, users, g.log)
	if err != nil {
		return ReloadResult{}, err
	}
	parts, err := g.buildAuth(next, users, authn)
	if err != nil {
		authn.Close()
		return ReloadResult{}, err
	}
	g.live.Store(&liveState{cfg: next, users: users, authn: authn, auth: parts})
	// Sessions under way may still check a password with the old chain:
	// it closes with the gateway.
	g.mu.Lock()
	g.retired = append(g.retired, old.authn)
	servers := g.imapServers
	g.mu.Unlock()
	max := next.MaxChildren
	if g.opts.MaxSessions > 0 {
		max = g.opts.MaxSessions
	}
	g.sessions.setLimits(max, next.MaxSessionsPerUser)
	for i, srv := range servers {
		if i < len(next.Servers) {
			srv.Reconfigure(g.serverOptions(i, next.Servers[i], nil))
		}
	}
	for _, k := range res.Restart {
		g.log.Warn("mailgate: reload: a changed setting takes effect only at the next restart", "setting", k)
	}
	g.log.Info("mailgate: configuration reloaded", "restart-needed", len(res.Restart))
	return res, nil
}

// serverOptions are the IMAP options of [[server]] number i of a daemon,
// whose TLS configuration is tc.
func (g *Gateway) serverOptions(i int, sc config.Server, tc *tls.Config) *imap.Options {
	opts := g.imapOptions(sc, tc, false)
	if g.conf().SessionProcess != config.SessionProcessNever {
		opts.Handoff = &sessionProcesses{g: g, server: i}
	}
	return opts
}
