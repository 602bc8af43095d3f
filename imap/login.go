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
	if s.srv.opts.LoginDisabled {
		return no("", "LOGIN is disabled on this server")
	}
	if !s.plaintextOK() {
		return no("PRIVACYREQUIRED", "Use STARTTLS before sending a password")
	}
	return s.authenticated(s.srv.opts.Authenticator.Authenticate(s.ctx(), name, password))
}

// ctx returns the context for an authentication check.
func (s *session) ctx() context.Context { return context.Background() }

// authenticated finishes LOGIN or AUTHENTICATE.
func (s *session) authenticated(u *auth.User, err error) error {
	t := s.srv.opts.Throttle
	if err != nil {
		s.authFailures++
		s.log.Info("imap: login failed", "err", err, "failures", s.authFailures)
		if t != nil && s.remote.IsValid() {
			if delay, _ := t.Failure(s.remote, ""); delay > 0 {
				time.Sleep(delay)
			}
		}
		if s.authFailures >= s.srv.opts.MaxAuthFailures {
			return &status{typ: "BYE", text: "Too many failed logins"}
		}
		if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrAuthzidNotAllowed) || errors.Is(err, auth.ErrMalformedResponse) {
			return no("AUTHENTICATIONFAILED", "Authentication failed")
		}
		return no("UNAVAILABLE", "Authentication is unavailable right now")
	}
	if t != nil && s.remote.IsValid() {
		if blocked, _ := t.Blocked(s.remote, ""); blocked {
			return no("AUTHENTICATIONFAILED", "Authentication failed")
		}
		t.Success(s.remote, "")
	}
	if err := s.login(context.Background(), u); err != nil {
		s.log.Error("imap: opening mail store", "err", err)
		s.user, s.account, s.state = nil, nil, stateNotAuth
		return no("UNAVAILABLE", "Your mailboxes cannot be opened right now")
	}
	s.log.Info("imap: logged in")
	return ok("CAPABILITY "+s.capabilities(), "Logged in")
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
	if s.srv.opts.LoginDisabled || !s.plaintextOK() {
		return no("PRIVACYREQUIRED", "Use STARTTLS before authenticating")
	}
	srv, err := auth.NewSASLServer(s.ctx(), mech, s.srv.opts.Authenticator)
	if err != nil || !slices.Contains(s.srv.opts.Mechanisms, strings.ToUpper(mech)) {
		return no("CANNOT", "Unsupported mechanism %s", sanitize(strings.ToUpper(mech)))
	}
	var resp []byte
	if hasInitial {
		resp = initial
		if resp == nil {
			resp = []byte{}
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return s.authenticated(nil, err)
		}
		if done {
			return s.authenticated(srv.User(), nil)
		}
		s.e.Raw("+ ").Raw(base64.StdEncoding.EncodeToString(challenge)).CRLF()
		if err := s.e.Flush(); err != nil {
			return err
		}
		line, err := s.readLine()
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

// readLine reads one bounded line of continuation data (AUTHENTICATE).
func (s *session) readLine() (string, error) {
	var sb strings.Builder
	for {
		b, err := s.br.ReadByte()
		if err != nil {
			return "", err
		}
		if b == '\n' {
			return strings.TrimSuffix(sb.String(), "\r"), nil
		}
		if sb.Len() >= s.srv.opts.MaxLine {
			return "", bad("Line too long")
		}
		sb.WriteByte(b)
	}
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
	tc := tls.Server(s.conn, s.srv.opts.TLSConfig)
	tc.SetDeadline(time.Now().Add(time.Minute))
	if err := tc.Handshake(); err != nil {
		s.log.Info("imap: STARTTLS handshake failed", "err", err)
		return err
	}
	tc.SetDeadline(time.Time{})
	s.setConn(tc)
	s.tls = true
	return errAlreadyAnswered
}

// errAlreadyAnswered tells the dispatcher that the tagged response was sent.
var errAlreadyAnswered = errors.New("already answered")
