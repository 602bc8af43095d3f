// Package gateway is mailgate's process host. It turns a validated
// configuration into running parts: the storage core with its drivers, the
// authenticators, TLS, and the frontends, with the limits, the login
// throttle and the access list in front of them. It serves either as a
// daemon on every [[server]] address, with a control socket for the
// administration commands, or one session on standard input and output
// (inetd mode). It also chooses where the process logs (OpenLog).
//
// Invariants:
//
//   - One login throttle, one session counter (conn= in the logs) and one
//     set of session limits serve every listener of a Gateway: a client
//     blocked or counted on one [[server]] is blocked or counted on all.
//   - A session slot is taken before the frontend sees the connection and
//     given back exactly once (limitedConn), at LOGOUT or when the
//     connection closes, whichever comes first.
//   - The control socket answers only its own user and root (SO_PEERCRED),
//     whatever the socket file's mode says.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
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
}

// Gateway runs mailgate's frontends on one configuration.
type Gateway struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	store    *storage.Store
	users    *auth.UsersFile
	authn    *auth.Chain // [auth] authentication, users included
	tls      *tls.Config
	throttle *auth.Throttle
	auth     *authParts
	sessions *sessionLimits
	lastID   atomic.Uint64 // the last session number handed out

	mu      sync.Mutex
	servers []*imap.Server
}

// New checks the configuration as Check does, then what it names (the
// users file), and builds the gateway. Nothing listens until Run. A
// configuration that Check refuses yields its *config.Error.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{cfg: cfg, opts: opts, log: opts.Logger}
	if g.log == nil {
		g.log = slog.Default()
	}
	var err error
	if g.tls, err = prepare(cfg); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	usersPath := cfg.UsersFile()
	users, err := auth.LoadUsersFile(usersPath, cfg.DataDir, &auth.UsersFileOptions{Logger: g.log, CacheTTL: cfg.Auth.CacheTTL})
	if err != nil {
		return nil, err
	}
	g.users = users
	if g.authn, err = authenticator(cfg, users, g.log); err != nil {
		return nil, err
	}
	if g.auth, err = g.buildAuth(users, g.authn); err != nil {
		return nil, err
	}
	validities := storage.NewUIDValidities(filepath.Join(cfg.DataDir, "uidvalidity"))
	validities.Logger = g.log
	// Messages of formats that cannot stage are spooled here, on disk
	// beside the rest of mailgate's state rather than in a /tmp that may
	// be memory.
	spool := filepath.Join(cfg.DataDir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	g.store = storage.New(storage.Options{
		Drivers:  drivers(cfg, g.log, validities.Next),
		Logger:   g.log,
		SpoolDir: spool,
	})
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
	max := cfg.MaxChildren
	if opts.MaxSessions > 0 {
		max = opts.MaxSessions
	}
	g.sessions = newSessionLimits(max)
	return g, nil
}

// drivers returns the mailbox formats, in the order a mailbox on disk is
// recognised. uidValidity numbers every new mailbox, in every format.
func drivers(cfg *config.Config, log *slog.Logger, uidValidity func() uint32) []storage.Driver {
	return []storage.Driver{
		&maildir.Driver{Options: maildir.Options{UIDValidity: uidValidity, Logger: log}},
		&mh.Driver{Options: mh.Options{UIDValidity: uidValidity, Logger: log}},
		mbox.New(mboxOptions(cfg, log, uidValidity)),
	}
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
func (g *Gateway) Users() *auth.UsersFile { return g.users }

// Throttle returns the login throttle that every listener shares.
func (g *Gateway) Throttle() *auth.Throttle { return g.throttle }

// nextSessionID numbers sessions across every listener.
func (g *Gateway) nextSessionID() uint64 { return g.lastID.Add(1) }

// imapOptions are the IMAP frontend's options for one [[server]] (or for
// stdio).
func (g *Gateway) imapOptions(sc config.Server, allowPlaintext bool) *imap.Options {
	return &imap.Options{
		Logger:        g.log,
		Authenticator: g.authn,
		// A copy: imap.New upper-cases the slice in place, and another
		// listener's sessions read theirs.
		Mechanisms:      slices.Clone(g.cfg.Auth.Mechanisms),
		SASL:            g.auth.sasl,
		Preauth:         g.auth.preauth,
		PreauthOnly:     g.cfg.PreauthOnly,
		UserAccess:      g.auth.userAccess,
		Account:         g.account,
		TLSConfig:       g.tls,
		TLSMode:         string(sc.TLSMode),
		AllowPlaintext:  allowPlaintext || sc.AllowPlaintext,
		LoginDisabled:   g.cfg.LoginDisabled,
		ID:              idFields(g.cfg.IDFields),
		Timeout:         idleTimeout(sc.Timeout),
		LoginTimeout:    sc.LoginTimeout,
		WriteTimeout:    sc.WriteTimeout,
		SessionID:       g.nextSessionID,
		MaxLine:         int(sc.MaxLineLength),
		MaxLiteral:      int64(sc.MaxLiteralSize),
		MaxAuthFailures: sc.MaxAuthFailures,
		Throttle:        g.throttle,
		Transcript:      sc.Transcript,
		Greeting:        g.opts.Greeting,
	}
}

// Run listens on every [[server]] address and on the control socket, and
// serves until ctx is done, then shuts down gracefully.
func (g *Gateway) Run(ctx context.Context) error {
	if len(g.cfg.Servers) == 0 {
		return errors.New("no [[server]] to listen on")
	}
	var lns []net.Listener
	for _, sc := range g.cfg.Servers {
		ln, err := net.Listen("tcp", sc.Address)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("server %s: %w", sc.Address, err)
		}
		lns = append(lns, ln)
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
	errc := make(chan error, len(lns))
	for i, ln := range lns {
		sc := g.cfg.Servers[i]
		srv := imap.New(g.imapOptions(sc, false))
		g.mu.Lock()
		g.servers = append(g.servers, srv)
		g.mu.Unlock()
		g.log.Info("mailgate: listening", "address", ln.Addr().String(), "tls-mode", string(sc.TLSMode))
		if g.opts.Ready != nil {
			g.opts.Ready(ln.Addr())
		}
		guarded := &guardedListener{Listener: ln, g: g, perAddr: sc.MaxConnectionsPerAddress}
		go func() { errc <- srv.Serve(guarded) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, imap.ErrServerClosed) {
			g.shutdown()
			return err
		}
	}
	g.shutdown()
	return nil
}

// shutdown closes every frontend, giving sessions a few seconds to end.
func (g *Gateway) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g.mu.Lock()
	servers := g.servers
	g.mu.Unlock()
	for _, s := range servers {
		s.Close(ctx)
	}
	g.store.Close()
}

// Close releases what New acquired.
func (g *Gateway) Close() error { return errors.Join(g.store.Close(), g.authn.Close()) }

// ServeConn serves one IMAP session on c (inetd mode and tests). With
// preauth, the session starts logged in as that user, a system account
// (--preauth serves the user running mailgate): its mail directory
// ($mailhome) is $home/Mail, not the home itself.
func (g *Gateway) ServeConn(c net.Conn, preauth *auth.User) {
	sc := config.DefaultServer()
	if len(g.cfg.Servers) > 0 {
		sc = g.cfg.Servers[0]
	}
	// A session on standard input and output was started by a local
	// administrator's inetd or by hand: there is no network to protect.
	sc.TLSMode = "no"
	// inetd hands over a socket: its client goes through the access list
	// and tcp-wrappers as a daemon's would. Pipes and terminals have no
	// client address and are not checked.
	if remoteAddr(c).IsValid() && !g.allowed(c) {
		c.Write([]byte("* BYE Access denied\r\n"))
		c.Close()
		return
	}
	opts := g.imapOptions(sc, true)
	if preauth != nil {
		opts.Account = g.systemAccount
	}
	imap.New(opts).ServeConn(c, preauth)
}

// homeFor returns the home directory of a user the users file knows.
func (g *Gateway) homeFor(name string) (string, bool) {
	u, ok := g.users.Lookup(name)
	if !ok {
		return "", false
	}
	return u.Home, true
}

// defaultHome is where a user without a home in the users file lives.
func (g *Gateway) defaultHome(name string) string {
	return filepath.Join(g.cfg.DataDir, name)
}

// idleTimeout maps [[server]] timeout to imap.Options.Timeout: "0s" in
// the configuration means never, which imap spells as negative.
func idleTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
