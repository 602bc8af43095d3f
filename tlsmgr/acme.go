package tlsmgr

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"go.uber.org/zap"
)

// acmeState is certmagic's side of a started Manager: one certificate
// cache, shared by the configuration of the managed domains and, with
// on-demand issuance, a second configuration for the names it allows.
// They are separate because certmagic renews the certificates of an
// on-demand configuration only during handshakes, and the managed
// domains must renew in the background.
type acmeState struct {
	cache    *certmagic.Cache
	managed  *certmagic.Config
	onDemand *certmagic.Config // nil without ACMEOptions.OnDemand
	issuer   *certmagic.ACMEIssuer
	domains  []string // lower case
}

// newACME builds the certmagic configurations; it starts the cache's
// maintenance (renewals and OCSP staples) but obtains nothing yet.
func (m *Manager) newACME(ctx context.Context) (*acmeState, error) {
	o := &m.opts.ACME
	var roots *x509.CertPool
	if o.CARoot != "" {
		pem, err := os.ReadFile(o.CARoot)
		if err != nil {
			return nil, fmt.Errorf("tls: acme ca-root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: acme ca-root %s: no PEM certificate in it", o.CARoot)
		}
	}
	a := &acmeState{}
	for _, d := range o.Domains {
		a.domains = append(a.domains, strings.ToLower(d))
	}
	zl := newZapLogger(m.log)
	storage := &certmagic.FileStorage{Path: o.Storage}
	a.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(c certmagic.Certificate) (*certmagic.Config, error) {
			for _, n := range c.Names {
				if a.isManaged(n) {
					return a.managed, nil
				}
			}
			if a.onDemand != nil {
				return a.onDemand, nil
			}
			return a.managed, nil
		},
		Logger: zl,
	})
	newConfig := func(onDemand *certmagic.OnDemandConfig) (*certmagic.Config, *certmagic.ACMEIssuer) {
		cfg := certmagic.New(a.cache, certmagic.Config{
			Storage:            storage,
			Logger:             zl,
			DefaultServerName:  m.set.defaultName,
			FallbackServerName: m.set.defaultName,
			OnDemand:           onDemand,
			OnEvent:            m.onEvent,
			ShouldEmitFunc:     func(event string) bool { return event != "tls_get_certificate" },
		})
		iss := certmagic.NewACMEIssuer(cfg, certmagic.ACMEIssuer{
			CA:                      m.set.ca,
			Email:                   o.Email,
			Agreed:                  true, // never ask on stdin
			Profile:                 o.Profile,
			DisableHTTPChallenge:    !m.set.http01,
			DisableTLSALPNChallenge: !m.set.tlsALPN01,
			ListenHost:              m.set.listenHost,
			AltHTTPPort:             m.set.httpPort,
			AltTLSALPNPort:          m.set.tlsALPNPort,
			TrustedRoots:            roots,
			DNS01Solver:             m.dnsSolver(zl),
			Logger:                  zl,
		})
		cfg.Issuers = []certmagic.Issuer{iss}
		return cfg, iss
	}
	a.managed, a.issuer = newConfig(nil)
	if o.OnDemand != nil {
		gate := &onDemandGate{allow: o.OnDemand, limits: o.OnDemandLimits.resolve(), now: time.Now, log: m.log}
		var iss *certmagic.ACMEIssuer
		a.onDemand, iss = newConfig(&certmagic.OnDemandConfig{DecisionFunc: gate.decide})
		gate.held = func(ctx context.Context, name string) bool {
			return storage.Exists(ctx, certmagic.StorageKeys.SiteCert(iss.IssuerKey(), name))
		}
		gate.kept = func(ctx context.Context) int { return a.onDemandKept(ctx, storage, iss.IssuerKey()) }
	}
	return a, nil
}

// onDemandKept counts the certificates in the storage that are not the
// managed domains': those obtained on demand.
func (a *acmeState) onDemandKept(ctx context.Context, storage certmagic.Storage, issuerKey string) int {
	keys, err := storage.List(ctx, certmagic.StorageKeys.CertsPrefix(issuerKey), false)
	if errors.Is(err, fs.ErrNotExist) {
		return 0 // none yet
	}
	if err != nil {
		// A storage that cannot be listed must not lift the cap.
		return math.MaxInt
	}
	n := 0
	for _, k := range keys {
		if !a.isManaged(path.Base(k)) {
			n++
		}
	}
	return n
}

// dnsSolver returns the DNS-01 solver, or nil when DNS-01 is off (an
// untyped nil, which certmagic takes as none).
func (m *Manager) dnsSolver(zl *zap.Logger) acmez.Solver {
	if !m.set.dns01 {
		return nil
	}
	o := &m.opts.ACME
	timeout := o.DNSPropagationTimeout
	if timeout < 0 {
		timeout = -1
	}
	return &certmagic.DNS01Solver{DNSManager: certmagic.DNSManager{
		DNSProvider:        newDNSProvider(o.DNSProvider, o.DNSSettings, m.log),
		Resolvers:          o.DNSResolvers,
		PropagationTimeout: timeout,
		Logger:             zl,
	}}
}

// manage loads the managed domains' certificates from storage and obtains
// the missing ones in the background.
func (a *acmeState) manage(ctx context.Context) error {
	if len(a.domains) == 0 {
		return nil
	}
	if err := a.managed.ManageAsync(ctx, a.domains); err != nil {
		return fmt.Errorf("tls: acme: %w", err)
	}
	return nil
}

// errNoChallenge refuses a hello that offers only acme-tls/1 when no
// TLS-ALPN-01 challenge for its name is under way.
var errNoChallenge = errors.New("tls: acme-tls/1 offered, but no TLS-ALPN-01 challenge for that name is under way")

// challengePending reports whether a TLS-ALPN-01 challenge for name is
// under way: started by this process (certmagic keeps it in memory), or
// by another process sharing the storage (certmagic's distributed
// solving, whose token its solvers.go keeps at
// acme/<issuer>/challenge_tokens/<name>.json).
func (a *acmeState) challengePending(ctx context.Context, name string) bool {
	if name == "" {
		return false
	}
	if _, ok := certmagic.GetACMEChallenge(name); ok {
		return true
	}
	k := certmagic.StorageKeys
	key := path.Join("acme", k.Safe(a.issuer.IssuerKey()), "challenge_tokens", k.Safe(name)+".json")
	return a.managed.Storage.Exists(ctx, key)
}

// isManaged reports whether name is one of the managed domains, or
// matches a wildcard one.
func (a *acmeState) isManaged(name string) bool {
	name = strings.ToLower(name)
	for _, d := range a.domains {
		if d == name || certmagic.MatchWildcard(name, d) {
			return true
		}
	}
	return false
}

// onEvent passes certmagic's events to the tests; certmagic logs them.
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	if m.opts.onEvent != nil {
		m.opts.onEvent(event, data)
	}
	return nil
}

// Renew renews every managed domain's certificate now, whether or not it
// is due, and swaps the new certificates in; handshakes in between get the
// old or the new one, both valid. It is for an administrator's command:
// renewal due to expiry happens on its own. Renew needs Start first.
func (m *Manager) Renew(ctx context.Context) error {
	a := m.acme.Load()
	if a == nil {
		return errors.New("tls: renew: ACME is off, or the Manager is not started")
	}
	var errs []error
	for _, d := range a.domains {
		var old []string
		for _, c := range a.cache.AllMatchingCertificates(d) {
			old = append(old, c.Hash())
		}
		if err := a.managed.RenewCertSync(ctx, d, true); err != nil {
			errs = append(errs, fmt.Errorf("tls: renew %s: %w", d, err))
			continue
		}
		cert, err := a.managed.CacheManagedCertificate(ctx, d)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls: renew %s: loading the new certificate: %w", d, err))
			continue
		}
		var stale []string
		for _, h := range old {
			if h != cert.Hash() {
				stale = append(stale, h)
			}
		}
		a.cache.Remove(stale)
	}
	return errors.Join(errs...)
}

// HTTPChallengeHandler returns a handler that answers HTTP-01 challenges
// and passes every other request to next. It is for an HTTP server that
// already holds HTTPAddress (port 80): certmagic then leaves the port to
// it. It may be built before Start.
func (m *Manager) HTTPChallengeHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := m.acme.Load(); a != nil && a.issuer.HandleHTTPChallenge(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
