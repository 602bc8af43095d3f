package gateway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
)

// A reload (SIGHUP, "mailgate reload") reads the configuration again and
// puts it in force without dropping a session. Every key either applies
// or is named as waiting for a restart; none silently keeps its old value:
//
//   - What a new session, a new connection, a login or a lookup reads
//     takes the new values: [auth] and its back-ends, the users file, the
//     access lists, each listener's [[server]] settings (timeouts, limits,
//     transcript, allow-plaintext unless the listener's TLS keys wait,
//     max-connections-per-address and trusted-proxies; listeners are
//     matched by address), login-disabled, id-fields, preauth,
//     max-children, and [proxy-auth]'s secret, nodes, owners file and
//     timeouts. The parts built from [auth] and
//     [proxy-auth] are swapped as one (liveState): a login is checked
//     wholly by the old ones or wholly by the new. Sessions under way
//     keep the settings they began with.
//   - What was built once at start keeps its old value until a restart,
//     and the log names each such key that changed (restartKeys and
//     runningServers): a listener added or removed, a listener's TLS
//     (tls-mode, its certificate files, and with them allow-plaintext),
//     data-dir, the storage ([mailbox], [locking], [namespace]), the
//     process model, [tls], [lmtp], [logging], [metrics], [proxy-auth]'s
//     addresses and the login throttle's keys. The new values with the
//     old ones put back must pass the checks too, and must not be less
//     strict than both files (noLooserThanBoth).
//   - A configuration that does not load or that Check refuses changes
//     nothing; the error, with the file and line of each problem, is
//     logged and returned. Everything that may fail (the users file, the
//     back-ends, the [proxy-auth] files) is built before the new state is
//     put in force, so a reload that fails changes nothing either.

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
	{"[proxy-auth] listen", func(c *config.Config) any { return c.ProxyAuth.Listen }, func(d, s *config.Config) { d.ProxyAuth.Listen = s.ProxyAuth.Listen }},
	{"[proxy-auth] socketmap-listen", func(c *config.Config) any { return c.ProxyAuth.SocketmapListen }, func(d, s *config.Config) {
		d.ProxyAuth.SocketmapListen = s.ProxyAuth.SocketmapListen
	}},
}

// runningServers makes next's [[server]] list the listeners that run,
// in their order (old's), and names what waits for a restart. A listener
// is matched by its address (the nth table with an address to the nth
// with the same one): one that stays takes every key of its new table
// but tls-mode and its certificate files, whose changes are named (and
// allow-plaintext, which waits with them when they wait); one no longer
// listed keeps listening with its old settings, and one added listens
// only after a restart. Both are named.
func runningServers(old, next *config.Config) (restart []string) {
	taken := make([]bool, len(next.Servers))
	match := func(addr string) int {
		for j, s := range next.Servers {
			if !taken[j] && s.Address == addr {
				taken[j] = true
				return j
			}
		}
		return -1
	}
	running := make([]config.Server, len(old.Servers))
	for i, o := range old.Servers {
		j := match(o.Address)
		if j < 0 {
			running[i] = o
			restart = append(restart, "[[server]] tables ("+o.Address+" removed; it listens as it was until a restart)")
			continue
		}
		n := next.Servers[j]
		modeWaits := n.TLSMode != o.TLSMode
		certWaits := n.CertificateFile != o.CertificateFile || n.KeyFile != o.KeyFile || n.CAFile != o.CAFile
		if modeWaits {
			restart = append(restart, "[[server]] "+o.Address+" tls-mode")
		}
		if certWaits {
			restart = append(restart, "[[server]] "+o.Address+" certificate-file, key-file or ca-file")
		}
		// allow-plaintext means something only beside its tls-mode
		// (nothing with "connection", an error with "required"): it
		// waits with the TLS keys, or the old mode with the new value
		// could take passwords in the clear that neither file does.
		if (modeWaits || certWaits) && n.AllowPlaintext != o.AllowPlaintext {
			restart = append(restart, "[[server]] "+o.Address+" allow-plaintext (it waits with the listener's TLS keys)")
			n.AllowPlaintext = o.AllowPlaintext
		}
		n.TLSMode, n.CertificateFile, n.KeyFile, n.CAFile = o.TLSMode, o.CertificateFile, o.KeyFile, o.CAFile
		running[i] = n
	}
	for j, n := range next.Servers {
		if !taken[j] {
			restart = append(restart, "[[server]] tables ("+n.Address+" added)")
		}
	}
	next.Servers = running
	return restart
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
	file := *next // the new file as it reads, before old values are put back
	res.Restart = append(res.Restart, runningServers(old.cfg, next)...)
	if len(res.Restart) > 0 {
		// What goes in force is the new file with the old values put
		// back: it must hold together as well (EXTERNAL in mechanisms
		// with the [tls] ca-file of before, say), and let no login in
		// that neither the old file nor the new one lets in.
		if err := errors.Join(next.Validate(), Check(next), noLooserThanBoth(old.cfg, &file, next)); err != nil {
			return ReloadResult{}, fmt.Errorf("the changed settings do not work with those that wait for a restart (%s); restart mailgate instead: %w",
				strings.Join(res.Restart, "; "), err)
		}
	}
	// Everything that may fail comes before the new state is put in
	// force: a reload that fails changes nothing.
	users, err := auth.LoadUsersFile(next.UsersFile(), next.DataDir, &auth.UsersFileOptions{Logger: g.log, CacheTTL: next.Auth.CacheTTL})
	if err != nil {
		return ReloadResult{}, err
	}
	authn, err := authenticator(next, users, g.log)
	if err != nil {
		return ReloadResult{}, err
	}
	// Back-ends whose settings did not change keep the logins they
	// remembered: otherwise every reload (logrotate's, each night) makes
	// every active user's next login a full hash verification.
	cachesKept := authn.KeepLoginCaches(old.authn)
	parts, err := g.buildAuth(next, users, authn)
	if err != nil {
		authn.Close()
		return ReloadResult{}, err
	}
	proxy, err := g.buildProxyAuth(next, authn)
	if err != nil {
		authn.Close()
		return ReloadResult{}, err
	}
	st := &liveState{cfg: next, users: users, authn: authn, auth: parts, proxy: proxy}
	g.live.Store(st)
	// Sessions that connected before may still check a password with
	// the old chain, until they log in or time out.
	g.retired.add(old.authn, retireAfter(old.cfg, next))
	g.mu.Lock()
	servers := g.imapServers
	g.mu.Unlock()
	max := next.MaxChildren
	if g.opts.MaxSessions > 0 {
		max = g.opts.MaxSessions
	}
	g.sessions.setLimits(max, next.MaxSessionsPerUser)
	for i, srv := range servers {
		if i < len(next.Servers) { // always: runningServers kept the listeners' order
			srv.Reconfigure(g.serverOptions(st, i, nil))
		}
	}
	// Processes started ahead read the old configuration: none of them
	// would ever be used.
	go g.rewarm()
	for _, k := range res.Restart {
		g.log.Warn("mailgate: reload: a changed setting takes effect only at the next restart", "setting", k)
	}
	g.log.Info("mailgate: configuration reloaded", "restart-needed", len(res.Restart), "login-caches-kept", cachesKept)
	return res, nil
}

// serverOptions are the IMAP options of [[server]] number i of a daemon
// in state st, whose TLS configuration is tc.
func (g *Gateway) serverOptions(st *liveState, i int, tc *tls.Config) *imap.Options {
	opts := g.imapOptions(st, st.cfg.Servers[i], tc, false)
	if st.cfg.SessionProcess != config.SessionProcessNever {
		opts.Handoff = &sessionProcesses{g: g, server: i}
	}
	return opts
}
