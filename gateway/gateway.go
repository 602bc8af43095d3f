// Package gateway is mailgate's process host. It turns a validated
// configuration into running parts: the storage core with its drivers, the
// authenticators, TLS, and the frontends, with the limits and access list
// in front of them. It serves either as a daemon on every [[server]]
// address or one session on standard input and output (inetd mode).
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
	"sync"
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
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	store *storage.Store
	users *auth.UsersFile
	tls   *tls.Config

	mu       sync.Mutex
	servers  []*imap.Server
	sessions *sessionLimits
}

// New checks what the configuration names (files, certificates) and
// builds the gateway. Nothing listens until Run.
func New(cfg *config.Config, opts Options) (*Gateway, error) {
	g := &Gateway{cfg: cfg, opts: opts, log: opts.Logger}
	if g.log == nil {
		g.log = slog.Default()
	}
	if err := checkSupported(cfg); err != nil {
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
	if g.tls, err = loadTLS(cfg); err != nil {
		return nil, err
	}
	g.store = storage.New(storage.Options{
		Drivers: drivers(cfg, g.log),
		Logger:  g.log,
	})
	max := cfg.MaxChildren
	if opts.MaxSessions > 0 {
		max = opts.MaxSessions
	}
	g.sessions = newSessionLimits(max)
	return g, nil
}

// drivers returns the mailbox formats, in the order a mailbox on disk is
// recognised.
func drivers(cfg *config.Config, log *slog.Logger) []storage.Driver {
	retries := cfg.Locking.RetryCount
	if retries == 0 {
		retries = -1 // the driver's zero means its default
	}
	return []storage.Driver{
		maildir.New(),
		mh.New(),
		mbox.New(mbox.Options{
			Type:          string(cfg.Locking.Type),
			RetryCount:    retries,
			RetrySleep:    cfg.Locking.RetrySleep,
			ExpireTimeout: cfg.Locking.ExpireTimeout,
			Logger:        log,
		}),
	}
}

// Users returns the users file in use.
func (g *Gateway) Users() *auth.UsersFile { return g.users }

// loadTLS loads the static certificate, if any.
func loadTLS(cfg *config.Config) (*tls.Config, error) {
	if cfg.TLS.CertificateFile == "" {
		for _, s := range cfg.Servers {
			if s.TLSMode != "no" && s.TLSMode != "" {
				return nil, fmt.Errorf("server %s: tls-mode %q needs [tls] certificate-file and key-file", s.Address, s.TLSMode)
			}
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLS.CertificateFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading %s and %s: %w", cfg.TLS.CertificateFile, cfg.TLS.KeyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"imap"}}, nil
}

// imapServer builds the IMAP frontend for one [[server]] (or for stdio).
func (g *Gateway) imapServer(sc config.Server, allowPlaintext bool) *imap.Server {
	mode := string(sc.TLSMode)
	return imap.New(&imap.Options{
		Logger:          g.log,
		Authenticator:   g.users,
		Mechanisms:      g.cfg.Auth.Mechanisms,
		Account:         g.account,
		TLSConfig:       g.tls,
		TLSMode:         mode,
		AllowPlaintext:  allowPlaintext || sc.AllowPlaintext,
		LoginDisabled:   g.cfg.LoginDisabled,
		ID:              idFields(g.cfg.IDFields),
		Timeout:         sc.Timeout,
		MaxLine:         int(sc.MaxLineLength),
		MaxLiteral:      int64(sc.MaxLiteralSize),
		MaxAuthFailures: sc.MaxAuthFailures,
		Throttle:        auth.NewThrottle(nil),
		Transcript:      sc.Transcript,
		Greeting:        g.opts.Greeting,
	})
}

// Run listens on every [[server]] address and serves until ctx is done,
// then shuts down gracefully.
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
	errc := make(chan error, len(lns))
	for i, ln := range lns {
		sc := g.cfg.Servers[i]
		srv := g.imapServer(sc, false)
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
func (g *Gateway) Close() error { return g.store.Close() }

// ServeConn serves one IMAP session on c (inetd mode and tests). With
// preauth, the session starts logged in as that user.
func (g *Gateway) ServeConn(c net.Conn, preauth *auth.User) {
	sc := config.DefaultServer()
	if len(g.cfg.Servers) > 0 {
		sc = g.cfg.Servers[0]
	}
	// A session on standard input and output was started by a local
	// administrator's inetd or by hand: there is no network to protect.
	sc.TLSMode = "no"
	g.imapServer(sc, true).ServeConn(c, preauth)
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
