package lmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/storage"
)

// session is one LMTP session's state, from LHLO to QUIT.
type session struct {
	srv  *Server
	conn *conn
	smtp *smtp.Conn // for the LHLO name, which a second LHLO changes
	log  *slog.Logger

	mu    sync.Mutex // guards the transaction below; see the package doc
	from  string
	utf8  bool // MAIL FROM asked for SMTPUTF8
	rcpts []*recipient
	txns  int
}

// recipient is one accepted RCPT.
type recipient struct {
	address
	user    *auth.User
	account *storage.Account
	detail  string // the part after the delimiter, when the user was found without it
}

// newSession starts a session at LHLO (go-smtp's Backend).
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	lc, ok := c.Conn().(*conn)
	if !ok {
		return nil, errors.New("lmtp: connection not accepted by this server")
	}
	sess := &session{srv: s, conn: lc, smtp: c, log: s.log.With("conn", lc.id, "remote", lc.remote())}
	sess.log.Debug("lmtp: session", "lhlo", c.Hostname())
	return sess, nil
}

// Mail starts a transaction (RFC 5321 4.1.1.2). go-smtp has checked SIZE.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if hasControl(from) {
		return reply(501, 5, 1, 7, "Bad sender address syntax")
	}
	s.mu.Lock()
	s.from = from
	s.utf8 = opts != nil && opts.UTF8
	s.mu.Unlock()
	s.conn.setBusy(true)
	return nil
}

// Rcpt accepts a recipient who has a mailbox here (RFC 2033 4.1, RFC
// 5321 4.1.1.3): the user is looked up and the account opened now, so
// that the MTA hears of an unknown user or a broken account before DATA.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	a, err := parseAddress(to)
	if err != nil {
		return errBadRecipient
	}
	ctx := s.srv.ctx
	u, detail, err := s.srv.lookup(ctx, a)
	if err != nil {
		s.log.Warn("lmtp: recipient lookup failed", "rcpt", to, "err", err)
		return errLookupFailed
	}
	if u == nil {
		s.log.Info("lmtp: unknown recipient", "rcpt", to)
		return errUnknownUser
	}
	acct, err := s.srv.opts.Account(ctx, u)
	if err != nil {
		s.log.Warn("lmtp: cannot open the recipient's mailboxes", "rcpt", to, "user", u.Name, "err", err)
		return errAccount
	}
	s.mu.Lock()
	s.rcpts = append(s.rcpts, &recipient{address: a, user: u, account: acct, detail: detail})
	s.mu.Unlock()
	return nil
}

// lookup finds the user of an address: the local part as received, then
// lower-cased, then without its detail. detail is set only when the user
// was found without it.
func (s *Server) lookup(ctx context.Context, a address) (u *auth.User, detail string, err error) {
	type candidate struct{ name, detail string }
	cands := []candidate{{a.local, ""}, {strings.ToLower(a.local), ""}}
	if user, d, ok := splitDetail(a.local, s.opts.RecipientDelimiter); ok {
		cands = append(cands, candidate{user, d}, candidate{strings.ToLower(user), d})
	}
	for i, c := range cands {
		if i > 0 && c.name == cands[i-1].name {
			continue
		}
		u, err := s.opts.Lookup(ctx, c.name, a.domain)
		if err != nil || u != nil {
			return u, c.detail, err
		}
	}
	return nil, "", nil
}

// Reset ends the transaction (RSET, a new LHLO, or after DATA).
func (s *session) Reset() {
	s.mu.Lock()
	s.from, s.utf8, s.rcpts = "", false, nil
	s.mu.Unlock()
	s.conn.setBusy(false)
}

// Logout ends the session.
func (s *session) Logout() error {
	s.Reset()
	return nil
}

// Data is SMTP's DATA; go-smtp calls LMTPData instead on an LMTP server.
func (s *session) Data(io.Reader) error { return errNotLMTP }

// LMTPData receives the message and delivers it to every recipient,
// setting one status per accepted RCPT in RCPT order (RFC 2033 4.2).
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	s.srv.inFlight.Add(1)
	defer s.srv.inFlight.Done()
	sp := &spool{dir: s.srv.opts.SpoolDir}
	defer sp.Close()
	_, err := sp.ReadFrom(r)
	if err == nil && s.conn.lostClient() {
		err = errClientGone
	}
	if err != nil {
		rep := dataReply(err)
		if errors.Is(err, smtp.ErrTooLongLine) && !s.conn.skipData(s.srv.opts.MaxMessageSize) {
			s.log.Info("lmtp: end of a message with an overlong line not found; the reply may not reach the client")
		}
		s.log.Info("lmtp: message not received", "err", err, "reply", rep.Code)
		return rep
	}
	// The whole message is read: go-smtp waits for the replies, and the
	// transaction can no longer change under us.
	s.mu.Lock()
	s.txns++
	env := &envelope{from: s.from, utf8: s.utf8, id: fmt.Sprintf("%d.%d", s.conn.id, s.txns), received: time.Now()}
	rcpts := slices.Clone(s.rcpts)
	s.mu.Unlock()
	replies := make(map[string]*smtp.SMTPError, len(rcpts))
	for _, rc := range rcpts {
		key := rc.duplicateKey()
		rep, dup := replies[key]
		if !dup {
			rep = s.deliver(env, rc, sp)
			replies[key] = rep
		}
		status.SetStatus(rc.path, rep)
	}
	return nil
}

// errClientGone means the connection failed while the message was read.
var errClientGone = errors.New("the client's connection failed during the message")

// envelope is what one transaction's copies share.
type envelope struct {
	from     string
	utf8     bool   // sent with SMTPUTF8
	id       string // session.transaction, in the logs and the Received line
	received time.Time
}
