package gateway

import (
	"context"
	"fmt"
	"net/netip"
	"os"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/proxyauth"
)

// proxyAuthServices returns the frontends of [proxy-auth]: nginx's
// auth_http endpoint and Postfix's socketmap, when they listen, both
// answering from one ownership map. Their listeners are Unlimited (nginx
// and Postfix bound their own connections, and a login must not wait
// behind IMAP sessions for a slot); the access list applies, and should
// admit only the proxy and the MTA.
func (g *Gateway) proxyAuthServices() ([]*service, error) {
	pa := g.conf().ProxyAuth
	if pa.Listen == "" && pa.SocketmapListen == "" {
		return nil, nil
	}
	owners, err := proxyauth.NewOwners(proxyNodes(pa.Nodes), pa.OwnersFile, g.log)
	if err != nil {
		return nil, err
	}
	var out []*service
	if pa.Listen != "" {
		key, err := secret(pa.Secret, pa.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("proxy-auth secret-file: %w", err)
		}
		h := proxyauth.NewAuthHTTP(&proxyauth.AuthOptions{
			Owners:        owners,
			Authenticator: g.cur().authn,
			Throttle:      g.throttle,
			Secret:        key,
			CheckTimeout:  pa.CheckTimeout,
			MaxAttempts:   pa.MaxAttempts,
			Logger:        g.log,
		})
		out = append(out, &service{name: "proxy-auth", frontend: proxyauth.NewAuthServer(h),
			listeners: []Listener{{Address: pa.Listen, Unlimited: true}}})
	}
	if pa.SocketmapListen != "" {
		sm := proxyauth.NewSocketmap(&proxyauth.SocketmapOptions{
			Owners:             owners,
			RecipientDelimiter: g.conf().LMTP.RecipientDelimiter,
			Domains:            g.conf().LMTP.Domains,
			Exists:             g.userExists,
			Logger:             g.log,
		})
		out = append(out, &service{name: "socketmap", frontend: sm,
			listeners: []Listener{{Address: pa.SocketmapListen, Unlimited: true}}})
	}
	return out, nil
}

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
