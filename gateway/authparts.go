package gateway

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// authParts are the authentication objects of issue 10 that the gateway
// builds from the configuration and hands to the frontends.
type authParts struct {
	sasl       *auth.SASLOptions
	preauth    auth.Preauthenticator // nil: none, or "stdio" (served by cmd/mailgate)
	userAccess *auth.UserAccess      // nil: everyone
	hosts      *auth.HostsAccess     // nil: tcp-wrappers off
}

// buildAuth builds the SASL options, preauth, user access rules and
// tcp-wrappers: SCRAM keys come from the users file, and the users that
// mechanisms without a password and preauth name are looked up through
// the back-end chain. A key file that cannot be read is a *config.Error
// at its line.
func (g *Gateway) buildAuth(cfg *config.Config, users *auth.UsersFile, chain *auth.Chain) (*authParts, error) {
	a := cfg.Auth
	p := &authParts{sasl: &auth.SASLOptions{SCRAM: users, Users: chain,
		CertificateName: a.ExternalUsername, AnonymousUser: a.AnonymousUser}}
	p.sasl.MockSaltKey = g.mockSaltKey(cfg.DataDir)
	if slices.ContainsFunc(a.Mechanisms, func(m string) bool { return strings.EqualFold(m, auth.MechOAuthBearer) }) {
		tokens, err := g.tokenVerifier(cfg)
		if err != nil {
			return nil, err
		}
		p.sasl.Tokens = tokens
	}
	pre, err := config.ParsePreauth(cfg.Preauth)
	if err != nil {
		return nil, config.Problems(cfg.Problemf("preauth", "%v", err))
	}
	switch pre.Method {
	case "prog":
		p.preauth = &auth.ProgramPreauth{Program: auth.Program{Path: pre.Program, Timeout: cfg.PreauthTimeout, Logger: g.log},
			Args: pre.Args, Expand: config.Expand, Users: chain}
	case "ident":
		ident := &auth.IdentPreauth{Host: pre.IdentHost, Port: pre.IdentPort, KeyFile: cfg.IdentKeyFile,
			EncryptOnly: cfg.IdentEncryptOnly, Timeout: cfg.PreauthTimeout, Users: chain, Logger: g.log}
		for _, a := range cfg.IdentServerAddresses {
			if ip, err := netip.ParseAddr(a); err == nil {
				ident.ServerAddrs = append(ident.ServerAddrs, ip.Unmap())
			}
		}
		if cfg.DataDir != "" {
			// Shared by every process of the data directory (inetd mode
			// has one per connection) and kept across reloads and
			// restarts, so that an encrypted reply logs in once.
			ident.Replies = &auth.IdentReplies{Path: filepath.Join(cfg.DataDir, auth.IdentRepliesFile)}
		}
		p.preauth = ident
	}
	if len(cfg.AllowUsers)+len(cfg.DenyUsers)+len(cfg.AllowGroups)+len(cfg.DenyGroups) > 0 {
		p.userAccess = &auth.UserAccess{AllowUsers: cfg.AllowUsers, DenyUsers: cfg.DenyUsers,
			AllowGroups: cfg.AllowGroups, DenyGroups: cfg.DenyGroups}
	}
	if w := cfg.TCPWrappers; w.Enable {
		p.hosts = &auth.HostsAccess{Daemon: w.Daemon, AllowFile: w.AllowTable, DenyFile: w.DenyTable, Logger: g.log}
	}
	return p, nil
}

// mockSaltKey reads (or makes) the key of SCRAM's made-up salts in the
// data directory, so that the salt a name without keys gets is the same
// after a restart, in every inetd process and on every node sharing the
// directory, as a real user's is. Without it (no data directory, or one
// that cannot be written) the key is drawn anew by each process, which
// is logged: SCRAM still works.
func (g *Gateway) mockSaltKey(dataDir string) []byte {
	if dataDir == "" {
		return nil
	}
	key, replaced, err := auth.LoadMockSaltKey(filepath.Join(dataDir, auth.MockSaltKeyFile))
	switch {
	case err != nil:
		g.log.Warn("mailgate: SCRAM's made-up salts of unknown names change at every start, which tells them from real users'", "err", err)
	case replaced:
		g.log.Warn("mailgate: the key of SCRAM's made-up salts was damaged and has been replaced", "file", filepath.Join(dataDir, auth.MockSaltKeyFile))
	}
	return key
}

// tokenVerifier builds what checks OAUTHBEARER tokens.
func (g *Gateway) tokenVerifier(cfg *config.Config) (auth.TokenVerifier, error) {
	o := cfg.Auth.OAuthBearer
	if o.IntrospectionCommand != "" {
		prog, args, err := config.ParseCommand(o.IntrospectionCommand)
		if err != nil {
			return nil, config.Problems(cfg.Problemf("auth.oauthbearer.introspection-command", "%v", err))
		}
		return &auth.CommandTokens{Program: auth.Program{Path: prog, Timeout: o.Timeout, Logger: g.log}, Args: args}, nil
	}
	v, err := auth.NewJWTVerifier(auth.JWTOptions{KeyFile: o.KeyFile, JWKSURL: o.JWKS, Issuer: o.Issuer,
		Audience: o.Audience, UsernameClaim: o.UsernameClaim, Timeout: o.Timeout})
	if err != nil {
		key := "auth.oauthbearer.key-file"
		if o.KeyFile == "" {
			key = "auth.oauthbearer.jwks"
		}
		return nil, config.Problems(cfg.Problemf(key, "%v", err))
	}
	return v, nil
}

// allowed applies the access list ([[acl]], first match decides) and,
// when enabled, tcp-wrappers to a new connection; both must allow it.
// The refusal is logged with the rule that decided. Both come from one
// state: a reload in between cannot mix them.
func (g *Gateway) allowed(c net.Conn) bool {
	client := remoteAddr(c)
	if !client.IsValid() {
		// A client without an IP address (on a unix socket, which its
		// file's mode guards) is allowed.
		return true
	}
	st := g.cur()
	if !config.ACLAllows(st.cfg.ACL, client) {
		g.log.Info("mailgate: connection refused by the access list", "remote", c.RemoteAddr().String())
		return false
	}
	hosts := st.auth.hosts
	if hosts == nil {
		return true
	}
	var server netip.Addr
	if ap, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
		server = ap.Addr().Unmap()
	}
	ok, rule := hosts.Allowed(context.Background(), client, server)
	if !ok {
		g.log.Info("mailgate: connection refused by tcp-wrappers", "remote", c.RemoteAddr().String(), "rule", rule)
	}
	return ok
}
