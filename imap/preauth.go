package imap

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/mailgate/mailgate/auth"
)

// preauthenticate runs the configured preauth (the seed's preauth
// statement) before the greeting. It returns the user to greet with
// PREAUTH, or nil to greet with OK; proceed is false when the connection
// must be closed instead (preauth-only and no user).
//
// Preauth failures go through the throttle as failed logins do: one that
// named someone who may not log in always counts; one that found nobody
// (no ident server, the program said no) counts only under preauth-only,
// where it is the only way in, since otherwise the client may still log
// in with a password. A blocked address is not preauthenticated at all,
// so that a client cannot make the server run programs or ident queries
// without end. A method that could not run counts for nothing.
func (s *session) preauthenticate() (u *auth.User, proceed bool) {
	only := s.opts.PreauthOnly
	if s.opts.Preauth == nil {
		s.log.Info("imap: no preauth method for this connection", "preauth-only", only)
		return nil, !only
	}
	att := s.attempt()
	err := att.Begin("")
	if err == nil {
		ctx, cancel := context.WithDeadline(context.Background(), s.loginDeadline)
		c := auth.PreauthConn{Client: addrPort(s.conn.RemoteAddr()), Server: addrPort(s.conn.LocalAddr())}
		u, err = s.opts.Preauth.Preauthenticate(ctx, c, att)
		cancel()
		if err == nil {
			err = s.opts.UserAccess.Check(u)
		}
	}
	if err == nil {
		att.Finish(nil)
		s.log.Info("imap: preauthenticated", "user", u.Name)
		return u, true
	}
	s.log.Info("imap: no preauth", "login", att.Name(), "err", err, "preauth-only", only)
	switch {
	case errors.Is(err, auth.ErrBlocked) && !only:
	case errors.Is(err, auth.ErrNoIdentity) && !only:
	default:
		time.Sleep(att.Finish(err))
	}
	return nil, !only
}

// addrPort returns a net.Addr's IP address and port, or the zero value
// for one that has none (a pipe).
func addrPort(a net.Addr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
