package imap

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap/internal/wire"
)

// cmdLogin: RFC 3501 section 6.2.3.
func (s *session) cmdLogin(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.d.AString()
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	password, err := s.d.AString()
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.opts.LoginDisabled {
		return no("", "LOGIN is disabled on this server")
	}
	if !s.plaintextOK() {
		return no("PRIVACYREQUIRED", "Use STARTTLS before sending a password")
	}
	att := s.attempt()
	ctx, cancel := s.loginContext()
	defer cancel()
	stop := s.watchHangup(cancel)
	u, err := att.Authenticate(ctx, name, password)
	stop()
	return s.authenticated(att, u, err)
}

// attempt starts a login attempt: its password is checked only if the
// throttle does not block the user name or the address (issue 8, item 8).
func (s *session) attempt() *auth.Attempt {
	return &auth.Attempt{Authenticator: s.opts.Authenticator, Throttle: s.opts.Throttle, Addr: s.remote}
}

// authenticated finishes LOGIN or AUTHENTICATE. A failure, whatever the
// mechanism and whether or not the throttle let the password be checked,
// is answered alike, after the throttle's delay; the last one a
// connection may have is answered and then the connection ends. A
// back-end that could not answer (auth.ErrUnavailable) is answered
// UNAVAILABLE at once and counts for nothing. Once the credentials are
// right, allow-users and the others may still refuse the user: that is
// answered as a wrong password, so that a guesser does not learn that the
// password was right.
func (s *session) authenticated(att *auth.Attempt, u *auth.User, err error) error {
	if err == nil {
		err = s.opts.UserAccess.Check(u)
	}
	if auth.Unavailable(err) {
		s.loginFailed("unavailable")
		s.log.Warn("imap: login could not be checked", "login", att.Name(), "err", err)
		att.Finish(err)
		return no("UNAVAILABLE", "Authentication is unavailable right now; try again later")
	}
	if err != nil {
		if errors.Is(err, auth.ErrBlocked) {
			s.loginFailed("blocked")
		} else {
			s.loginFailed("failed")
		}
		s.authFailures++
		s.log.Info("imap: login failed", "login", att.Name(), "err", err, "failures", s.authFailures)
		time.Sleep(att.Finish(err))
		reply := no("AUTHENTICATIONFAILED", "Authentication failed")
		if s.authFailures >= s.opts.MaxAuthFailures {
			return &closing{reply: reply, err: errTooManyFailures}
		}
		return reply
	}
	att.Finish(nil)
	if err := s.admit(u); err != nil {
		return err
	}
	if h := s.opts.Handoff; h != nil {
		takes, err := h.Takes(u)
		if err != nil {
			s.log.Error("imap: the session cannot move to a process of its own", "user", u.Name, "err", err)
			return no("UNAVAILABLE", "Your mailboxes cannot be opened right now")
		}
		if takes {
			return &handingOff{user: u}
		}
	}
	if err := s.login(context.Background(), u); err != nil {
		s.log.Error("imap: opening mail store", "err", err)
		s.user, s.account, s.state = nil, nil, stateNotAuth
		return no("UNAVAILABLE", "Your mailboxes cannot be opened right now")
	}
	s.log.Info("imap: logged in", "read-only", s.readOnly)
	return ok("CAPABILITY "+s.capabilities(), "Logged in")
}

// admit asks the host's slot whether u may have one more session
// (max-sessions-per-user); a refusal is answered NO [LIMIT] (RFC 5530).
func (s *session) admit(u *auth.User) error {
	us, ok := s.slot.(UserSlot)
	if !ok {
		return nil
	}
	if err := us.Admit(u.Name); err != nil {
		s.loginFailed("limit")
		s.log.Info("imap: login refused", "login", u.Name, "reason", err)
		return no("LIMIT", "%s", err.Error())
	}
	return nil
}

// cmdAuthenticate: RFC 3501 section 6.2.2 with SASL-IR (RFC 4959).
func (s *session) cmdAuthenticate(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	mech, err := s.d.Atom()
	if err != nil {
		return err
	}
	var initial []byte
	hasInitial := false
	if s.d.Maybe(' ') {
		ir, err := s.d.Atom()
		if err != nil {
			return err
		}
		hasInitial = true
		if ir != "=" {
			if initial, err = base64.StdEncoding.DecodeString(ir); err != nil {
				return bad("Initial response is not valid base64")
			}
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	// login-disabled refuses LOGIN only (imap4d: "Disable LOGIN command").
	mech = strings.ToUpper(mech)
	if s.needsTLS() {
		// Whatever the mechanism, even one that sends no password: the
		// session after it would run in the clear (RFC 9051 section
		// 7.1, PRIVACYREQUIRED; Dovecot's ssl = required answers so
		// before it looks at the mechanism).
		return no("PRIVACYREQUIRED", "Use STARTTLS before authenticating")
	}
	conn := s.saslConn()
	if !slices.Contains(conn.Advertised, mech) {
		if slices.Contains(s.opts.Mechanisms, mech) && !conn.PlaintextOK {
			return no("PRIVACYREQUIRED", "Use STARTTLS before authenticating with %s", mech)
		}
		return unsupportedMechanism(mech)
	}
	att := s.attempt()
	ctx, cancel := s.loginContext()
	defer cancel()
	srv, err := s.opts.SASL.NewServer(ctx, mech, conn, att)
	if err != nil {
		return unsupportedMechanism(mech)
	}
	var resp []byte
	if hasInitial {
		resp = initial
		if resp == nil {
			resp = []byte{}
		}
	}
	for {
		stop := s.watchHangup(cancel)
		challenge, done, err := srv.Next(resp)
		stop()
		if err != nil {
			return s.authenticated(att, nil, err)
		}
		if done {
			s.readOnly = srv.ReadOnly()
			return s.authenticated(att, srv.User(), nil)
		}
		s.e.Raw("+ ").Raw(base64.StdEncoding.EncodeToString(challenge)).CRLF()
		if err := s.e.Flush(); err != nil {
			return err
		}
		line, err := s.d.Line()
		if errors.Is(err, wire.ErrLineTooLong) {
			return bad("Response line too long")
		}
		if err != nil {
			return err
		}
		if line == "*" {
			return bad("Authentication cancelled")
		}
		if resp, err = base64.StdEncoding.DecodeString(line); err != nil {
			return bad("Response is not valid base64")
		}
	}
}

// unsupportedMechanism refuses an AUTHENTICATE whose mechanism is not
// served here. The name is echoed only when it is a mechanism's: a
// password typed in its place would reach the transcript in the reply.
func unsupportedMechanism(mech string) error {
	if !slices.Contains(auth.Mechanisms(), mech) {
		return no("CANNOT", "Unsupported mechanism")
	}
	return no("CANNOT", "Unsupported mechanism %s", mech)
}

// cmdStartTLS: RFC 3501 section 6.2.1.
func (s *session) cmdStartTLS(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if !s.canStartTLS() {
		return no("", "STARTTLS is not available")
	}
	if s.br.Buffered() > 0 {
		// Commands sent before the TLS handshake could have been injected.
		return bad("Unexpected data after STARTTLS")
	}
	s.respond(tag, ok("", "Begin TLS negotiation now"))
	if err := s.e.Flush(); err != nil {
		return err
	}
	tc := tls.Server(plainConn(s.conn), s.srv.tlsConfig)
	tc.SetDeadline(s.handshakeDeadline())
	err := tc.Handshake()
	s.serverCert = s.srv.presented.take(tc)
	if err != nil {
		s.handshakeFailed("STARTTLS", err)
		return errTLSFailed
	}
	if acmeValidation(tc) {
		s.log.Debug("imap: TLS-ALPN-01 validation connection closed")
		return errTLSFailed
	}
	tc.SetDeadline(time.Time{})
	s.setConn(tc)
	s.tls = true
	return errAlreadyAnswered
}

// errAlreadyAnswered tells the dispatcher that the tagged response was sent.
var errAlreadyAnswered = errors.New("already answered")

// loginFailed tells the observer of a refused login.
func (s *session) loginFailed(result string) {
	if s.obs != nil {
		s.obs.LoginFailed(result)
	}
}

// loginContext is the context of a password check: it ends at the login
// timeout, which bounds a check's wait for a verification place (and a
// client that only half-closed, whose end of input cancels nothing),
// or when the hang-up watch cancels it.
func (s *session) loginContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), s.loginDeadline)
}
