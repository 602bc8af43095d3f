// Package gateway is mailgate's process host. It turns a validated
// configuration into running parts: the storage core with its drivers, the
// authenticators, TLS, and the frontends, with the limits, the login
// throttle and the access list in front of them. It serves either as a
// daemon on every [[server]] address, with a control socket for the
// administration commands, or one session on standard input and output
// (inetd mode). It also chooses where the process logs (OpenLog).
//
// The gateway knows its frontends through the Frontend interface: it
// owns the listeners, the access list, the session limits, the login
// throttle, the certificates and the lifecycle, and a frontend speaks its
// protocol, refusals included. Each [[server]] gets an IMAP frontend,
// and [lmtp] listen the LMTP delivery frontend (package lmtp) on the same
// storage core; a program that embeds the gateway adds its own with
// Register (examples/embed is such a program):
//
//	g, err := gateway.New(cfg, gateway.Options{Logger: log})
//	...
//	err = g.Register("echo", myFrontend, gateway.Listener{
//		Address: "127.0.0.1:7777",
//		TLS:     g.TLSConfig("echo"), // nil without certificates
//	})
//	...
//	err = g.Run(ctx) // until ctx is done; then every frontend's Close
//
// Invariants:
//
//   - One login throttle, one session counter (conn= in the logs) and one
//     set of session limits serve every listener of a Gateway: a client
//     blocked or counted on one [[server]] is blocked or counted on all.
//   - A session slot is taken before the frontend sees the connection and
//     given back exactly once (limitedConn), at LOGOUT or when the
//     connection closes, whichever comes first.
//   - A refused connection never reaches Serve: the frontend's Refuse
//     answers it in a goroutine of its own, with a deadline, and at most
//     maxRefusals at a time; past that, refused connections are closed
//     without a word rather than queue.
//   - The certificates start after every listener is bound, so that an
//     implicit-TLS listener on the TLS-ALPN-01 address answers ACME's
//     challenges itself, and stop after every frontend has closed.
//   - The control socket answers only its own user and root (SO_PEERCRED),
//     whatever the socket file's mode says; the control client sends
//     nothing to a socket of another user's.
//   - The data directory, the pidfile and the log file sit in directories
//     that only root and the daemon's user can change (privatedir.go).
//   - As root, a session whose user has a uid runs after login in a
//     session process of its own (RunSessionProcess) with that identity,
//     started from a no_new_privs thread (spawner); it never runs as
//     root. The daemon keeps password checks, the throttle and every
//     session slot, and holds the connection of a session that
//     hibernates (hibernate.go) until it must wake.
//   - A session process is its user's (non-dumpable, but the user's
//     all the same): what it sends the daemon is trusted no further than
//     the user. The daemon keeps the user and identity it authenticated
//     for the whole session and takes from a hibernation only where the
//     session stood (resumeState), watches the mailbox's files with the
//     user's file system identity (asUser), and tells other users' homes
//     only to the other users' namespace (otherUsersHome).
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/internal/accept"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
	"github.com/mailgate/mailgate/tlsmgr"
)

// Version is mailgate's version, set at build time with -ldflags.
var Version = "0.1.0-dev"

// Options are the parts of a Gateway that come from outside the
// configuration file. The zero value is usable.
type Options struct {
	// Logger receives every log; slog.Default() when nil.
	Logger *slog.Logger
	// Greeting replaces the IMAP greeting text (test mode).
	Greeting string
	// MaxSessions overrides max-children when positive (-d N).
	MaxSessions int
	// Ready, when set, receives each listener's address once it listens.
	Ready func(addr net.Addr)
	// LoadConfig, when set, reads the configuration again for Reload
	// (SIGHUP, "mailgate reload"); without it Reload re-reads only the
	// certificates.
	LoadConfig func() (*config.Config, error)
	// ReopenLog, when set, is called first by Reload: the log file opens
	// again, for logrotate.
	ReopenLog func() error
	// Executable is the mailgate program that session processes run
	// (session-process); "" is this program, the file the daemon
	// started from even if another took its path since.
	Executable string
	// OneSession says the process serves one session and ends (-i,
	// inetd mode): the full-text indexer then starts only once the
	// session has lasted oneSessionIndexDelay.
	OneSession bool
}

// oneSessionIndexDelay is how long a one-session process waits before
// it reads messages for the full-text index: the short sessions of
// inetd mode (a mail client checking for new mail) end well before,
// and would leave the build unfinished, having competed with their own
// answers for the CPU.
const oneSessionIndexDelay = 2 * time.Second

// indexDelay is the full-text indexer's StartDelay for a gateway made
// with opts.
func indexDelay(opts Options) time.Duration {
	if opts.OneSession {
		return oneSessionIndexDelay
	}
	return 0
}

// Gateway runs mailgate's frontends on one configuration.
type Gateway struct {
	live           atomic.Pointer[liveState] // what SIGHUP may change
	opts           Options
	log            *slog.Logger
	store          *storage.Store
	certs          *certificates
	throttle       *auth.Throttle
	sessions       *sessionLimits
	proxy          []*service    // [proxy-auth]'s auth_http and socketmap
	refusals       chan struct{} // one token per refusal under way
	validities     *storage.UIDValidities
	parent         *parentControl // in a session process: the daemon, else nil
	spawn          spawner        // starts session processes
	lastID         atomic.Uint64  // the last session number handed out
	book           *SessionBook   // the live sessions (nil in a session process)
	metrics        *metrics       // nil: none counted
	watchOnce      sync.Once
	watch          *fileWatcher   // hibernated sessions' mailboxes
	warm           warmPool       // a session process started ahead, for wake-ups
	deliveries     deliverySlots  // bounds the delivery processes running
	userDeliveries deliveryQueues // the deliveries waiting, by user
	mailGID        int            // the mail group's gid, or noMailGroup (mailgroup.go)

	reloadMu sync.Mutex // one reload at a time

	mu          sync.Mutex
	running     bool
	registered  []*service
	imapServers []*imap.Server // by [[server]] index, once Run built them
	retired     retirement     // chains a reload replaced
	stopRun     func()         // ends Run as its ctx would ("mailgate stop")
}

// liveState is the part of a Gateway that a reload replaces as a whole
// (Reload): the configuration in force and what is built from its
// [auth] table. A session keeps the one it started with.
type liveState struct {
	cfg   *config.Config
	users *auth.UsersFile
	authn *auth.Chain // [auth] authentication, users included
	auth  *authParts
	proxy *proxyAuthState // nil when [proxy-auth] listens nowhere
}

// cur returns the live state in force.
func (g *Gateway) cur() *liveState { return g.live.Load() }

// conf returns the configuration in force.
func (g *Gateway) conf() *config.Config { return g.live.Load().cfg }

// New checks the configuration as Check does, then what it names (the
// users file), and builds the gateway: the storage, the users, the
// certificates (loaded, not started) and the limits. Nothing listens
// until Run. A configuration that Check refuses yields its *config.Error.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{opts: opts, log: opts.Logger, refusals: make(chan struct{}, maxRefusals), book: newSessionBook()}
	if g.log == nil {
		g.log = slog.Default()
	}
	g.metrics = newMetrics(g)
	// Before the live state: [proxy-auth]'s handler feeds it.
	a := cfg.Auth
	g.throttle = auth.NewThrottle(&auth.ThrottleOptions{
		Limit:        a.LoginFailureLimit,
		AddressLimit: a.AddressFailureLimit,
		Window:       a.LoginFailureWindow,
		BlockFor:     a.LoginBlockTime,
		Delay:        a.LoginDelay,
		MaxDelay:     a.LoginMaxDelay,
		Logger:       g.log,
	})
	if !opts.OneSession {
		// A process that serves many sessions reads index files, whose
		// checksums are CRC-32C: make its tables (about 0.3 ms) now, off
		// the first client's time. A one-session process makes them
		// when it first needs them, if it does.
		go crc32.MakeTable(crc32.Castagnoli)
	}
	var err error
	if g.certs, err = prepare(cfg, g.log); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// Again, now that it exists: someone else may have made it since
	// prepare looked (in /tmp, say).
	if err := checkPrivateDir(cfg.DataDir, true); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	usersPath := cfg.UsersFile()
	users, err := auth.LoadUsersFile(usersPath, cfg.DataDir, &auth.UsersFileOptions{Logger: g.log, CacheTTL: cfg.Auth.CacheTTL})
	if err != nil {
		return nil, err
	}
	authn, err := authenticator(cfg, users, g.log)
	if err != nil {
		return nil, err
	}
	parts, err := g.buildAuth(cfg, users, authn)
	if err != nil {
		authn.Close()
		return nil, err
	}
	proxy, err := g.buildProxyAuth(cfg, authn)
	if err != nil {
		authn.Close()
		return nil, err
	}
	g.live.Store(&liveState{cfg: cfg, users: users, authn: authn, auth: parts, proxy: proxy})
	validities := storage.NewUIDValidities(filepath.Join(cfg.DataDir, "uidvalidity"))
	validities.Logger = g.log
	g.validities = validities
	// Messages of formats that cannot stage are spooled here, on disk
	// beside the rest of mailgate's state rather than in a /tmp that may
	// be memory.
	spool := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if os.Geteuid() == 0 && cfg.SessionProcess != config.SessionProcessNever {
		// Sessions that run as their users reach the homes inside the
		// data directory (<data-dir>/NAME) through it; its own files
		// stay the daemon's alone.
		if err := os.Chmod(cfg.DataDir, 0o711); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	if err := g.setMailGroup(cfg); err != nil {
		return nil, err
	}
	g.store = storage.New(storage.Options{
		Drivers:  drivers(cfg, g.log, validities.Next),
		Logger:   g.log,
		SpoolDir: spool,
		// SEARCH's full-text index; session processes, which run as
		// their users, keep theirs beside the users' mailboxes.
		FullText: &storage.FullText{Dir: filepath.Join(cfg.DataDir, "fts"), Extract: imap.FullTextDoc, Derive: imap.HeaderCache,
			StartDelay: indexDelay(opts)},
	})
	max := cfg.MaxChildren
	if opts.MaxSessions > 0 {
		max = opts.MaxSessions
	}
	g.sessions = newSessionLimits(max, cfg.MaxSessionsPerUser)
	g.proxy = g.proxyAuthServices()
	return g, nil
}

// drivers returns the mailbox formats, in the order a mailbox on disk is
// recognised. uidValidity numbers every new mailbox, in every format.
func drivers(cfg *config.Config, log *slog.Logger, uidValidity func() uint32) []storage.Driver {
	return []storage.Driver{
		&maildir.Driver{Options: maildir.Options{UIDValidity: uidValidity, Logger: log}},
		&mh.Driver{Options: mh.Options{UIDValidity: uidValidity, Logger: log, KeepExpunged: mhKeepExpunged(cfg)}},
		mbox.New(mboxOptions(cfg, log, uidValidity)),
	}
}

// mhKeepExpunged is [mailbox] mh-keep-expunged as the MH driver takes
// it: its zero means its default, and none kept is negative.
func mhKeepExpunged(cfg *config.Config) time.Duration {
	if cfg.Mailbox.MHKeepExpunged == 0 {
		return -1
	}
	return cfg.Mailbox.MHKeepExpunged
}

// mboxOptions are the mbox driver's options: [locking], and uidValidity
// for new mailboxes.
func mboxOptions(cfg *config.Config, log *slog.Logger, uidValidity func() uint32) mbox.Options {
	retries := cfg.Locking.RetryCount
	if retries == 0 {
		retries = -1 // the driver's zero means its default
	}
	return mbox.Options{
		Type:          string(cfg.Locking.Type),
		RetryCount:    retries,
		RetrySleep:    cfg.Locking.RetrySleep,
		ExpireTimeout: cfg.Locking.ExpireTimeout,
		Logger:        log,
		UIDValidity:   uidValidity,
	}
}

// Users returns the users file in use.
func (g *Gateway) Users() *auth.UsersFile { return g.cur().users }

// Throttle returns the login throttle that every listener shares.
func (g *Gateway) Throttle() *auth.Throttle { return g.throttle }

// Sessions returns the book of live sessions.
func (g *Gateway) Sessions() *SessionBook { return g.book }

// Logger returns the logger the gateway and its frontends log to.
func (g *Gateway) Logger() *slog.Logger { return g.log }

// Account opens the storage view of a user who has logged in, as the IMAP
// frontend does (imap.Options.Account): a frontend's way to the user's
// mailboxes, on the gateway's one storage core, so that every session
// hears of every change.
func (g *Gateway) Account(ctx context.Context, u *auth.User) (*storage.Account, error) {
	return g.account(ctx, u)
}

// NextSessionID numbers sessions across every listener and frontend, for
// their logs (conn=); frontends take it as their SessionID option.
func (g *Gateway) NextSessionID() uint64 { return g.lastID.Add(1) }

// imapOptions are the IMAP frontend's options for one [[server]] (or for
// stdio), whose TLS configuration is tc (nil without a certificate),
// all taken from st, one state in force: a reload cannot mix two.
func (g *Gateway) imapOptions(st *liveState, sc config.Server, tc *tls.Config, allowPlaintext bool) *imap.Options {
	return &imap.Options{
		Logger:        g.log,
		Authenticator: st.authn,
		// A copy: imap.New upper-cases the slice in place, and another
		// listener's sessions read theirs.
		Mechanisms:      slices.Clone(st.cfg.Auth.Mechanisms),
		SASL:            st.auth.sasl,
		Preauth:         st.auth.preauth,
		PreauthOnly:     st.cfg.PreauthOnly,
		UserAccess:      st.auth.userAccess,
		Account:         g.imapAccount,
		URLAuthAccount:  g.urlauthAccount,
		TLSConfig:       tc,
		TLSMode:         sc.TLSMode,
		AllowPlaintext:  allowPlaintext || sc.AllowPlaintext,
		IMAP4rev2:       true,
		LoginDisabled:   st.cfg.LoginDisabled,
		ID:              idFields(st.cfg.IDFields),
		Timeout:         idleTimeout(sc.Timeout),
		LoginTimeout:    sc.LoginTimeout,
		WriteTimeout:    sc.WriteTimeout,
		SessionID:       g.NextSessionID,
		MaxLine:         int(sc.MaxLineLength),
		MaxLiteral:      int64(sc.MaxLiteralSize),
		MaxAuthFailures: sc.MaxAuthFailures,
		Throttle:        g.throttle,
		Transcript:      sc.Transcript,
		CommandRate:     sc.CommandRate,
		Greeting:        g.opts.Greeting,
		Observer:        g.observer(),
	}
}

// bound is a listener that Run opened, and what it serves.
type bound struct {
	svc *service
	l   Listener
	ln  net.Listener
}

// Run listens on every [[server]] address, the registered frontends'
// listeners and the control socket (taking, for an address, the socket
// systemd passed bound to it, under socket activation), starts the certificates, and serves
// until ctx is done; then it shuts down gracefully: every frontend's
// Close, the certificates, the storage. An address that cannot be
// listened on, certificates that do not start, or a frontend that stops
// serving on its own end Run with an error.
func (g *Gateway) Run(ctx context.Context) error {
	g.mu.Lock()
	if g.running {
		g.mu.Unlock()
		return errors.New("gateway: Run called twice")
	}
	g.running = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.stopRun = cancel
	services := append(append(append(g.imapServices(), g.lmtpServices()...), g.proxy...), g.registered...)
	g.mu.Unlock()
	var lns []bound
	closeAll := func() {
		for _, b := range lns {
			b.ln.Close()
		}
	}
	passed, err := socketActivation()
	if err != nil {
		return err
	}
	defer passed.close()
	only := len(services) == 1 && len(services[0].listeners) == 1
	for _, svc := range services {
		for _, l := range svc.listeners {
			ln := passed.take(l.Address, only)
			if ln != nil {
				g.log.Info("mailgate: socket from systemd", "address", ln.Addr().String())
			} else if ln, err = l.listen(); err != nil {
				closeAll()
				return fmt.Errorf("%s: %w", svc.name, err)
			}
			if l.proxied() {
				// Always, for a [[server]]: a reload may add a proxy.
				ln = newProxyListener(ln, l.trustedProxies, g.log)
			}
			lns = append(lns, bound{svc: svc, l: l, ln: ln})
		}
	}
	if passed != nil && len(passed.lns) > 0 {
		for _, ln := range passed.lns {
			g.log.Warn("mailgate: a socket from systemd matches no [[server]] address; closing it", "address", ln.Addr().String())
		}
		passed.close()
	}
	if len(lns) == 0 {
		return errors.New("no [[server]] to listen on")
	}
	// After the listeners: an implicit-TLS one on tls-alpn-address must
	// hold it before ACME's TLS-ALPN-01 responder looks.
	if err := g.certs.start(ctx); err != nil {
		closeAll()
		return err
	}
	ctl, err := g.listenControl()
	if err != nil {
		// The daemon serves mail without it; only the administration
		// commands are missing, and they say why.
		g.log.Error("mailgate: no control socket; mailgate blocks and unblock will not reach this daemon", "err", err)
	} else {
		defer ctl.Close()
		go ctl.serve()
	}
	stopMetrics, err := g.serveMetrics(ctx)
	if err != nil {
		closeAll()
		return err
	}
	defer stopMetrics()
	errc := make(chan error, len(lns))
	for _, b := range lns {
		g.log.Info("mailgate: listening", "frontend", b.svc.name, "address", b.ln.Addr().String(), "tls", b.l.TLS != nil)
		if g.opts.Ready != nil {
			g.opts.Ready(b.ln.Addr())
		}
		guarded := &guardedListener{Listener: capConnections(b.ln, b.l.MaxConnections), g: g, frontend: b.svc.frontend, l: b.l,
			backoff: accept.Backoff{Log: g.log, Addr: b.ln.Addr()}}
		go func() {
			err := b.svc.frontend.Serve(guarded)
			errc <- fmt.Errorf("%s on %s stopped serving: %w", b.svc.name, b.ln.Addr(), err)
		}()
	}
	select {
	case <-ctx.Done():
		g.shutdown(services)
		return nil
	case err := <-errc:
		g.shutdown(services)
		return err
	}
}

// stop ends Run gracefully, as SIGTERM does ("mailgate stop").
func (g *Gateway) stop() {
	g.mu.Lock()
	stop := g.stopRun
	g.mu.Unlock()
	if stop != nil {
		g.log.Info("mailgate: stopping, as the control socket asks")
		stop()
	}
}

// shutdown closes every frontend at once: each tells its sessions
// goodbye, and those running a command have shutdown-grace to finish
// it. Then the certificates and the storage close.
func (g *Gateway) shutdown(services []*service) {
	g.log.Info("mailgate: shutting down", "sessions", len(g.book.List()), "grace", g.conf().ShutdownGrace.String())
	ctx, cancel := context.WithTimeout(context.Background(), g.conf().ShutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, svc := range services {
		wg.Go(func() { svc.frontend.Close(ctx) })
	}
	wg.Wait()
	g.closeWarm()
	g.certs.stop()
	g.store.Close()
}

// Close releases what New acquired.
func (g *Gateway) Close() error {
	g.certs.stop()
	errs := []error{g.store.Close(), g.cur().authn.Close()}
	errs = append(errs, g.retired.closeAll()...)
	return errors.Join(errs...)
}

// ServeConn serves one IMAP session on c (inetd mode and tests). With
// preauth, the session starts logged in as that user, a system account
// (--preauth serves the user running mailgate): its mail directory
// ($mailhome) is $home/Mail, not the home itself.
func (g *Gateway) ServeConn(c net.Conn, preauth *auth.User) {
	st := g.cur()
	sc := config.DefaultServer()
	if len(st.cfg.Servers) > 0 {
		sc = st.cfg.Servers[0]
	}
	// A session on standard input and output was started by a local
	// administrator's inetd or by hand: there is no network to protect.
	sc.TLSMode = tlsmgr.ModeNo
	opts := g.imapOptions(st, sc, nil, true)
	// inetd hands over a socket: its client goes through the access list
	// and tcp-wrappers as a daemon's would. Pipes and terminals have no
	// client address and are not checked.
	if remoteAddr(c).IsValid() && !g.allowed(c) {
		imap.New(opts).Refuse(c, "Access denied")
		return
	}
	if preauth != nil {
		opts.Account = g.systemAccount
	}
	if os.Geteuid() == 0 && st.cfg.SessionProcess != config.SessionProcessNever {
		// inetd started this session as root: once the user is known, the
		// session goes on in a process of its own with the user's
		// identity, as a daemon's does, and this one waits for it.
		opts.Handoff = &sessionProcesses{g: g, server: 0}
	}
	imap.New(opts).ServeConn(c, preauth)
}

// homeFor returns the home directory of a user the users file knows
// (in a session process, as the daemon answers).
func (g *Gateway) homeFor(name string) (string, bool) {
	if g.parent != nil {
		return g.parent.home(name)
	}
	u, ok := g.cur().users.Lookup(name)
	if !ok {
		return "", false
	}
	// The other user's home as prepareHome would take it: one whose
	// links do not hold is no home (and a missing one holds nothing).
	uid, _ := homeIDs(u, g.sessionOwner(u))
	if err := g.checkHome(u.Home, uid); err != nil && !errors.Is(err, fs.ErrNotExist) {
		g.log.Warn("mailgate: another user's home is refused", "user", name, "err", err)
		return "", false
	}
	return u.Home, true
}

// otherUsersHome answers a session process's "home" request: it is how
// the other users' namespace ([namespace.other]) finds whether a user
// exists and, where its directory holds $home, where they live. Without
// that namespace, or without $home in it, a session process has no use
// for other users' homes, and the daemon tells none.
func (g *Gateway) otherUsersHome(name string) (string, bool) {
	other := namespace(g.conf().Namespace.Other, map[string]string{"mailhome": "$home"}) // as layout has it
	if len(other.Prefixes) == 0 {
		return "", false
	}
	home, ok := g.homeFor(name)
	if !ok {
		return "", false
	}
	for _, p := range other.Prefixes {
		if strings.Contains(p.Directory, "$home") || strings.Contains(p.Directory, "${home}") {
			return home, true
		}
	}
	return "", true
}

// defaultHome is where a user without a home in the users file lives.
func (g *Gateway) defaultHome(name string) string {
	return filepath.Join(g.conf().DataDir, name)
}

// idleTimeout maps [[server]] timeout to imap.Options.Timeout: "0s" in
// the configuration means never, which imap spells as negative.
func idleTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
