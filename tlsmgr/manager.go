package tlsmgr

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// ACMETLS1 is the ALPN protocol of TLS-ALPN-01 challenges (RFC 8737).
const ACMETLS1 = "acme-tls/1"

// Manager holds the server's certificates: the static files, reloaded when
// they change, and the ACME certificates, obtained and renewed in the
// background. Its methods are safe for concurrent use.
type Manager struct {
	opts Options
	set  settings
	log  *slog.Logger

	static   atomic.Pointer[staticState] // nil without static files
	reloadMu sync.Mutex                  // one reload at a time
	// reloadFailure is the last reload error logged, "" once the files
	// loaded again; guarded by reloadMu.
	reloadFailure string

	acme atomic.Pointer[acmeState] // set by Start when ACME is on

	mu      sync.Mutex // guards the lifecycle below; held through Stop's wait
	started bool
	stopped bool
	stop    chan struct{}      // closed by Stop
	cancel  context.CancelFunc // of Start's context
	wg      sync.WaitGroup     // the watcher
}

// New validates opts, runs the file checks and loads the static files. It
// starts nothing: Start does. A file refused by a check is an error that
// names the check, as imap4d's log line does.
func New(opts Options) (*Manager, error) {
	set, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	opts.ACME.Domains = slices.Clone(opts.ACME.Domains)
	opts.ACME.Challenges = slices.Clone(opts.ACME.Challenges)
	m := &Manager{opts: opts, set: set, log: opts.Logger, stop: make(chan struct{})}
	if m.log == nil {
		m.log = slog.Default()
	}
	st, err := m.loadStatic()
	if err != nil {
		return nil, err
	}
	m.static.Store(st)
	return m, nil
}

// Start begins the background work: watching the static files, and with
// ACME, loading certificates from storage and obtaining and renewing them.
// It returns once that work is under way; a certificate still to be
// obtained arrives later (and is logged). ctx bounds the whole lifetime:
// cancelling it is as Stop. Start may be called once; after it failed,
// the Manager still serves what New loaded but starts no more.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.stopped {
		return errors.New("tls: Start called twice, or after Stop")
	}
	m.started = true
	ctx, m.cancel = context.WithCancel(ctx)
	if err := m.startWork(ctx); err != nil {
		m.stopped = true
		m.halt()
		return err
	}
	go func() {
		select {
		case <-ctx.Done():
			m.Stop()
		case <-m.stop:
		}
	}()
	return nil
}

// startWork starts the watcher and ACME; m.mu is held.
func (m *Manager) startWork(ctx context.Context) error {
	if m.static.Load() != nil {
		w, err := m.newFileWatch()
		if err != nil {
			return err
		}
		m.wg.Go(func() {
			defer w.close()
			m.watchStatic(w, m.stop)
		})
	}
	if m.set.acme {
		a, err := m.newACME(ctx)
		if err != nil {
			return err
		}
		m.acme.Store(a)
		if err := a.manage(ctx); err != nil {
			return err
		}
	}
	return nil
}

// halt cancels and waits for the background work.
func (m *Manager) halt() {
	m.cancel()
	close(m.stop)
	m.wg.Wait()
	if a := m.acme.Load(); a != nil {
		a.cache.Stop()
	}
}

// Stop ends the background work and waits for it. Connections keep
// working, and new handshakes still get the certificates last loaded;
// nothing is reloaded or renewed any more. Stop may be called more than
// once, and before Start.
func (m *Manager) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	m.stopped = true
	if m.started {
		m.halt()
	}
}

// Reload re-reads the static files, as on SIGHUP. A file that fails a
// check or a pair that does not load leaves the certificate in use as it
// is; the error says why and is logged too. Open connections are never
// affected.
func (m *Manager) Reload() error {
	if m.static.Load() == nil {
		return nil
	}
	_, err := m.reloadStatic("reload")
	return err
}

// TLSConfig returns a server configuration for one frontend, whose
// application protocols (ALPN, such as "imap") are alpn. Each call
// returns a new *tls.Config; the certificate is chosen at each handshake,
// so reloads and renewals apply to new connections without a new config.
//
// With TLS-ALPN-01 on, "acme-tls/1" is offered after alpn, so that a
// listener using this configuration answers the challenge (certmagic's
// own TLSConfig offers only "acme-tls/1", and refuses clients that ask
// for "imap"). With a CA file, clients may present a certificate, which is
// verified against it (tls.VerifyClientCertIfGiven). TLS 1.2 is the
// oldest version accepted.
func (m *Manager) TLSConfig(alpn ...string) *tls.Config {
	protos := slices.Clone(alpn)
	if m.set.acme && m.set.tlsALPN01 && !slices.Contains(protos, ACMETLS1) {
		protos = append(protos, ACMETLS1)
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     protos,
		GetCertificate: m.getCertificate,
	}
	if m.opts.CAFile != "" {
		// The CA pool changes on reload; a tls.Config field cannot, so
		// each handshake gets a copy holding the pool in use.
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			c := cfg.Clone()
			c.GetConfigForClient = nil
			if st := m.static.Load(); st != nil {
				c.ClientCAs = st.clientCAs
			}
			return c, nil
		}
	}
	return cfg
}

// getCertificate chooses the certificate for one handshake:
//   - a TLS-ALPN-01 challenge gets its challenge certificate, and a hello
//     offering only acme-tls/1 without one under way is refused;
//   - a name ACME manages, or no name when there is a default server
//     name, gets the ACME certificate (the static one until it exists);
//   - any other name gets the static certificate, if there is one and
//     on-demand issuance is off or the static certificate covers it;
//   - otherwise an on-demand certificate if the decision function allows
//     the name and the limits leave room (onDemandGate), else the static
//     certificate or the default name's.
func (m *Manager) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	st := m.static.Load()
	a := m.acme.Load()
	if a == nil {
		if st == nil {
			return nil, errors.New("tls: no certificate yet: ACME has not started")
		}
		return st.cert, nil
	}
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == ACMETLS1 {
		// Only a CA validating a challenge has reason to offer nothing
		// else; anyone else is a probe, refused without certmagic, which
		// would log an ERROR for each.
		if !a.challengePending(hello.Context(), hello.ServerName) {
			m.log.Debug("tls: acme-tls/1 hello refused: no challenge under way", "name", hello.ServerName, "remote", remoteText(hello))
			return nil, errNoChallenge
		}
		return a.managed.GetCertificate(hello)
	}
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if a.isManaged(name) || name == "" && m.set.defaultName != "" {
		cert, err := a.managed.GetCertificate(hello)
		if err != nil && st != nil {
			return st.cert, nil // not obtained yet
		}
		return cert, err
	}
	if st != nil && (name == "" || a.onDemand == nil || st.cert.Leaf.VerifyHostname(name) == nil) {
		return st.cert, nil
	}
	if a.onDemand != nil {
		cert, err := a.onDemand.GetCertificate(hello)
		if err == nil {
			return cert, nil
		}
		m.log.Debug("tls: no on-demand certificate", "name", name, "err", err)
		if st != nil {
			return st.cert, nil
		}
	}
	return a.managed.GetCertificate(hello) // the default name's, if any
}

// remoteText is the client's address of a handshake, for the log.
func remoteText(hello *tls.ClientHelloInfo) string {
	if hello.Conn == nil || hello.Conn.RemoteAddr() == nil {
		return ""
	}
	return hello.Conn.RemoteAddr().String()
}
