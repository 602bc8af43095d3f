package gateway

import (
	"context"
	"errors"
	"net"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/lmtp"
)

// lmtpServices returns the LMTP frontend of [lmtp], served on every
// listen address, or nothing when [lmtp] listens nowhere. Its listeners
// are Unlimited: the local MTA bounds its own connections, and mail must
// not wait behind IMAP sessions for a slot; the access list applies.
func (g *Gateway) lmtpServices() []*service {
	lc := g.conf().LMTP
	if len(lc.Listen) == 0 {
		return nil
	}
	srv := lmtp.New(g.lmtpOptions())
	var ls []Listener
	for _, addr := range lc.Listen {
		cfg := lmtp.ListenConfig{Address: addr, Mode: lc.SocketMode.FileMode(), Owner: lc.SocketOwner, Group: lc.SocketGroup}
		network := "tcp"
		if cfg.IsUnix() {
			network = "unix"
		}
		ls = append(ls, Listener{
			Network:   network,
			Address:   addr,
			Listen:    func() (net.Listener, error) { return lmtp.Listen(cfg) },
			Unlimited: true,
		})
	}
	return []*service{{name: "lmtp", frontend: srv, listeners: ls}}
}

// lmtpOptions are the LMTP frontend's options from [lmtp]: recipients are
// looked up in the auth back-ends and delivered through the same storage
// core as the IMAP sessions use, so that they hear of each message at once.
func (g *Gateway) lmtpOptions() *lmtp.Options {
	lc := g.conf().LMTP
	return &lmtp.Options{
		Logger:             g.log,
		Lookup:             g.lmtpLookup,
		Account:            g.account,
		DeliverAs:          g.deliverAs,
		Hostname:           lc.Hostname,
		MaxMessageSize:     lc.MaxMessageSize.Bytes(),
		RecipientDelimiter: lc.RecipientDelimiter,
		DetailMailbox:      lc.DetailMailbox,
		Timeout:            lc.Timeout,
		SpoolDir:           filepath.Join(g.conf().DataDir, "spool"),
		SessionID:          g.NextSessionID,
		Delivered:          g.metrics.delivered,
	}
}

// lmtpLookup finds the user of a recipient: nobody outside [lmtp]
// domains (when it lists any); otherwise the local part, through the
// back-ends of [auth] authentication that can name a user without a
// password (Chain.Identify). A back-end that is down makes the answer an
// error, so that the MTA tries again rather than bounce the mail.
func (g *Gateway) lmtpLookup(ctx context.Context, local, domain string) (*auth.User, error) {
	if domain != "" && !g.localDomain(domain) {
		return nil, nil
	}
	u, err := g.cur().authn.Identify(ctx, local)
	switch {
	case err == nil:
		return u, nil
	case errors.Is(err, auth.ErrUnavailable):
		return nil, err
	case errors.Is(err, auth.ErrBadCredentials): // unknown, or a locked account
		return nil, nil
	}
	return nil, err
}

// localDomain reports whether mail for domain is delivered here.
func (g *Gateway) localDomain(domain string) bool {
	ds := g.conf().LMTP.Domains
	if len(ds) == 0 {
		return true
	}
	for _, d := range ds {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// lmtpProblems checks what [lmtp] names on this system: the sockets'
// owner and group must exist.
func lmtpProblems(cfg *config.Config) []*config.Problem {
	lc := cfg.LMTP
	if len(lc.Listen) == 0 {
		return nil
	}
	var ps []*config.Problem
	if n := lc.SocketOwner; n != "" && !numeric(n) {
		if _, err := user.Lookup(n); err != nil {
			ps = append(ps, cfg.Problemf("lmtp.socket-owner", "no user %q on this system", n))
		}
	}
	if n := lc.SocketGroup; n != "" && !numeric(n) {
		if _, err := user.LookupGroup(n); err != nil {
			ps = append(ps, cfg.Problemf("lmtp.socket-group", "no group %q on this system", n))
		}
	}
	return ps
}

// numeric reports whether s is a numeric id.
func numeric(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}
