package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/proxyauth"
)

// proxyAuthState is what [proxy-auth] answers from: the ownership map
// and nginx's auth_http handler (with the secret, the timeouts and the
// [auth] chain), built from one configuration. It is part of the
// liveState that a reload replaces as a whole, and each request takes it
// once: a login during a reload is checked with the old secret and chain
// or with the new ones, never a mix.
type proxyAuthState struct {
	owners   *proxyauth.Owners
	authHTTP *proxyauth.AuthHTTP // nil when listen is ""
}

// buildProxyAuth builds the [proxy-auth] state of cfg, whose [auth]
// chain is authn; nil when [proxy-auth] listens nowhere.
func (g *Gateway) buildProxyAuth(cfg *config.Config, authn *auth.Chain) (*proxyAuthState, error) {
	pa := cfg.ProxyAuth
	if pa.Listen == "" && pa.SocketmapListen == "" {
		return nil, nil
	}
	owners, err := proxyauth.NewOwners(proxyNodes(pa.Nodes), pa.OwnersFile, g.log)
	if err != nil {
		return nil, err
	}
	st := &proxyAuthState{owners: owners}
	if pa.Listen != "" {
		key, err := secret(pa.Secret, pa.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("proxy-auth secret-file: %w", err)
		}
		st.authHTTP = proxyauth.NewAuthHTTP(&proxyauth.AuthOptions{
			Owners:        owners,
			Authenticator: authn,
			Throttle:      g.throttle,
			Secret:        key,
			CheckTimeout:  pa.CheckTimeout,
			MaxAttempts:   pa.MaxAttempts,
			Logger:        g.log,
		})
	}
	return st, nil
}

// proxyAuthServices returns the frontends of [proxy-auth]: nginx's
// auth_http endpoint and Postfix's socketmap, when they listen. Both
// answer from the proxyAuthState in force, so that a reload reaches
// them. Their listeners are Unlimited (nginx and Postfix bound their own
// connections, and a login must not wait behind IMAP sessions for a
// slot) but capped at proxyAuthMaxConns each, so that no client the
// access list lets in (it should admit only the proxy and the MTA) can
// hold the daemon's descriptors.
func (g *Gateway) proxyAuthServices() []*service {
	pa := g.conf().ProxyAuth
	var out []*service
	if pa.Listen != "" {
		out = append(out, &service{name: "proxy-auth", frontend: proxyauth.NewAuthServer(liveAuthHTTP{g}),
			listeners: []Listener{{Address: pa.Listen, Unlimited: true, MaxConnections: proxyAuthMaxConns}}})
	}
	if pa.SocketmapListen != "" {
		sm := proxyauth.NewSocketmap(&proxyauth.SocketmapOptions{
			Owners:             liveOwners{g},
			RecipientDelimiter: g.conf().LMTP.RecipientDelimiter,
			Domains:            g.conf().LMTP.Domains,
			Exists:             g.userExists,
			Logger:             g.log,
		})
		out = append(out, &service{name: "socketmap", frontend: sm,
			listeners: []Listener{{Address: pa.SocketmapListen, Unlimited: true, MaxConnections: proxyAuthMaxConns}}})
	}
	return out
}

// liveAuthHTTP answers each auth_http request with the handler of the
// configuration in force.
type liveAuthHTTP struct{ g *Gateway }

func (h liveAuthHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := h.g.cur().proxy
	if p == nil || p.authHTTP == nil {
		// Not reached: listen waits for a restart, so a running
		// endpoint always has a handler.
		http.Error(w, "proxy-auth is not configured", http.StatusServiceUnavailable)
		return
	}
	p.authHTTP.ServeHTTP(w, r)
}

// liveOwners is the ownership map of the configuration in force.
type liveOwners struct{ g *Gateway }

// Owner implements proxyauth.OwnerMap.
func (o liveOwners) Owner(user string) (proxyauth.Node, bool) {
	p := o.g.cur().proxy
	if p == nil {
		return proxyauth.Node{}, false
	}
	return p.owners.Owner(user)
}

// proxyAuthMaxConns caps the connections of each [proxy-auth] listener:
// nginx opens one per login under way, Postfix one per process that looks
// up a map (up to default_process_limit, 100, of smtpd alone).
const proxyAuthMaxConns = 256

// proxyNodes turns the [[proxy-auth.node]] tables, which config.Load has
// checked, into proxyauth's nodes.
func proxyNodes(tables []config.ProxyNode) []proxyauth.Node {
	var ns []proxyauth.Node
	for _, t := range tables {
		n := proxyauth.Node{Name: t.Name, LMTP: t.LMTP, Users: t.Users, Hash: t.Hash}
		n.IMAP, _ = netip.ParseAddrPort(t.IMAP)
		n.POP3, _ = netip.ParseAddrPort(t.POP3)
		ns = append(ns, n)
	}
	return ns
}

// proxyAuthProblems checks the files [proxy-auth] names: the owners file
// must parse, naming only configured nodes, and the secret file must be
// readable and, when the auth_http endpoint uses it, hold a secret.
func proxyAuthProblems(cfg *config.Config) []*config.Problem {
	pa := cfg.ProxyAuth
	var ps []*config.Problem
	if pa.OwnersFile != "" {
		known := map[string]bool{}
		for _, n := range pa.Nodes {
			known[n.Name] = true
		}
		data, err := os.ReadFile(pa.OwnersFile)
		if err == nil {
			_, err = proxyauth.ParseOwnersFile(pa.OwnersFile, data, func(n string) bool { return known[n] })
		}
		if err != nil {
			ps = append(ps, cfg.Problemf("proxy-auth.owners-file", "%v", err))
		}
	}
	if pa.SecretFile != "" {
		key, err := secret("", pa.SecretFile)
		switch {
		case err != nil:
			ps = append(ps, cfg.Problemf("proxy-auth.secret-file", "%v", err))
		case key == "" && pa.Listen != "":
			// An empty first line would be the secret: nginx would be
			// asked for none, which the file was set to prevent.
			ps = append(ps, cfg.Problemf("proxy-auth.secret-file", "%s: the first line is empty; put the secret nginx sends in X-Auth-Key there", pa.SecretFile))
		}
	}
	return ps
}

// userExists tells whether user has a mailbox here, as the LMTP frontend
// finds recipients: through the back-ends that can name a user without a
// password. An unavailable back-end is an error, so that Postfix answers
// with a temporary failure rather than refuse the mail.
func (g *Gateway) userExists(ctx context.Context, user string) (bool, error) {
	u, err := g.lmtpLookup(ctx, user, "")
	return u != nil, err
}
