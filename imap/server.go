// Package imap is mailgate's IMAP4rev1 frontend (RFC 3501): its own
// protocol engine with command parsing, dispatch, response encoding and
// per-connection state, plus the extensions NAMESPACE (RFC 2342), ID (RFC
// 2971), IDLE (RFC 2177), UNSELECT (RFC 3691), LITERAL+ (RFC 7888),
// UIDPLUS (RFC 4315), MOVE (RFC 6851), ENABLE (RFC 5161), SASL-IR (RFC
// 4959) and APPENDLIMIT (RFC 7889).
//
// Each command family has its own file. A command handler parses its
// arguments from the connection's wire.Decoder, acts through the storage
// core, writes untagged responses and returns the tagged result.
//
// Invariants:
//
//   - One goroutine at a time serves a connection: it reads commands and
//     writes responses. When the client has sent nothing more, the wait
//     for its next line is handed to a new goroutine and the working one
//     ends, so that a quiet connection keeps no stack grown by its last
//     command (Go shrinks a parked goroutine's stack only slowly, at
//     garbage collections). IDLE waits with two goroutines: one for the
//     client's DONE, one for the mailbox's changes.
//   - Responses are buffered and flushed when a command completes, when a
//     continuation is requested, and while idling. Read and write buffers
//     are borrowed from pools while a command is read or answered, so a
//     connection waiting for its client holds none (see wire.Reader and
//     wire.Writer).
//   - The storage layer never holds a mailbox lock while this package
//     writes to the network (storage.View copies what it hands out).
//   - Every write to a client has a deadline (Options.WriteTimeout), and a
//     client that has not logged in has a total one (LoginTimeout), so
//     that no client holds a session, its mailbox or its slot forever by
//     not reading or by trickling bytes.
//   - Nothing a client sends is read without bound: a line or a
//     non-synchronising literal a little over its limit is read, dropped
//     and refused; one more than wire.Slack over it (a tenth of the
//     limit, at least 1 MiB) ends the session with "* BYE [TOOBIG]".
//   - A password is checked only when the throttle does not block the
//     login (auth.Attempt), through LOGIN and every SASL mechanism alike.
//   - A panic in a session is recovered, logged with its stack, and ends
//     that session alone.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/internal/accept"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/tlsmgr"
)

// Options configure a Server. The zero value of each field is usable
// except Authenticator and Account.
type Options struct {
	// Logger receives the server's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Authenticator checks LOGIN and AUTHENTICATE credentials.
	Authenticator auth.Authenticator
	// Mechanisms are the SASL mechanisms AUTHENTICATE offers, in order,
	// from auth.Mechanisms; auth.DefaultMechanisms (PLAIN, LOGIN) when
	// empty. Each is advertised only on connections where it is usable
	// (auth.SASLOptions.Usable).
	Mechanisms []string
	// SASL is what the mechanisms beyond PLAIN and LOGIN check
	// credentials with (SCRAM keys, certificates, tokens); nil serves
	// PLAIN and LOGIN only (and SCRAM, failing).
	SASL *auth.SASLOptions
	// Preauth, when set, authenticates each connection before the
	// greeting (the seed's preauth); the greeting is then PREAUTH.
	Preauth auth.Preauthenticator
	// PreauthOnly closes, with "* BYE", a connection that Preauth cannot
	// authenticate (every connection, when Preauth is nil and ServeConn
	// was given no user), instead of greeting it with OK.
	PreauthOnly bool
	// UserAccess refuses users after authentication (allow-users,
	// deny-users, allow-groups, deny-groups); nil allows everyone.
	UserAccess *auth.UserAccess
	// Account builds the storage view for a user who has logged in.
	Account func(ctx context.Context, u *auth.User) (*storage.Account, error)
	// TLSConfig enables STARTTLS (or implicit TLS with TLSMode connection).
	TLSConfig *tls.Config
	// TLSMode is how the listener uses TLSConfig ([[server]] tls-mode):
	// ondemand offers STARTTLS, required also advertises XTLSREQUIRED
	// and refuses LOGIN and every AUTHENTICATE (advertising no
	// mechanism) until TLS is up, whatever AllowPlaintext and the
	// client's address say, connection wraps every
	// connection that is not a *tls.Conn yet. The zero value is no TLS.
	TLSMode tlsmgr.Mode
	// IMAP4rev2 advertises IMAP4rev2 (RFC 9051) beside IMAP4rev1 and
	// lets a client ENABLE it (rev2.go); the gateway turns it on.
	IMAP4rev2 bool
	// AllowPlaintext permits LOGIN and AUTHENTICATE PLAIN/LOGIN over a
	// connection without TLS (except with TLSMode required). When false
	// they are refused (and LOGINDISABLED advertised) except on
	// loopback connections.
	AllowPlaintext bool
	// LoginDisabled refuses the LOGIN command (the seed's login-disabled,
	// "Disable LOGIN command"); AUTHENTICATE still works.
	LoginDisabled bool
	// ID lists the fields and values the ID command answers with, in order.
	ID [][2]string
	// Timeout is the idle-client timeout; 30 minutes when zero, none when
	// negative (the login timeout still applies before login).
	Timeout time.Duration
	// LoginTimeout is how long a client that has not yet authenticated
	// may stay connected in all, counted from its connection, however
	// busy it keeps it; 60 seconds when zero.
	LoginTimeout time.Duration
	// WriteTimeout bounds each write to the client: a client that stops
	// reading is disconnected after it. 5 minutes when zero.
	WriteTimeout time.Duration
	// SessionID numbers sessions for the logs; when several servers share
	// it (the gateway's listeners), every session in the process has its
	// own number. Nil numbers this server's sessions from 1.
	SessionID func() uint64
	// MaxLine bounds a command line; 64 KiB when zero.
	MaxLine int
	// MaxLiteral bounds an APPEND literal (APPENDLIMIT); 64 MiB when zero.
	// A non-synchronising literal more than wire.Slack past MaxLiteral
	// (or, in other commands, past MaxLine) ends the session.
	MaxLiteral int64
	// MaxAuthFailures is how many failed logins end a connection; 5 when zero.
	MaxAuthFailures int
	// Throttle delays and blocks addresses with many failed logins.
	Throttle *auth.Throttle
	// Transcript logs the protocol exchange (passwords masked).
	Transcript bool
	// Greeting replaces the text after "* OK" (test mode uses it).
	Greeting string
	// Observer, when set, hears of every session: its start, login,
	// selected mailbox, commands and end (the host's who and metrics).
	Observer Observer
	// Handoff, when set, moves sessions to other processes once their
	// user has logged in (the gateway's process per session).
	Handoff Handoff
	// Hibernator, when set, takes over sessions that idle in IDLE (a
	// session process's daemon).
	Hibernator Hibernator
	// URLAuthAccount, when set, opens the mailboxes of another user, the
	// owner of a URLAUTH URL that this session fetches (RFC 4467); nil:
	// a session fetches URLs of its own user's mailboxes only.
	URLAuthAccount func(ctx context.Context, user string) (*storage.Account, error)
	// CommandRate is the commands per second a session may sustain, in
	// bursts of as many; a faster client is slowed down. 0: no limit.
	CommandRate int
}

// Slot is implemented by a connection whose host counts sessions (the
// gateway's session limits). A connection that Serve accepts or ServeConn
// is given may implement it; the session then reports how it goes.
type Slot interface {
	// LoggedIn is called once, when the session has authenticated (or
	// started preauthenticated): the host may count it apart from
	// connections that have not.
	LoggedIn(user string)
	// Release gives the session's slot back. It is called just before the
	// tagged OK of LOGOUT, so that a client reconnecting at once finds its
	// slot free, and again when the connection closes; only the first
	// call counts.
	Release()
}

// UserSlot is a Slot whose host also counts sessions per user. Admit
// is asked once a user's credentials were accepted, before the session
// is logged in; its error refuses the login, and its text is what the
// client reads. A slot that admitted a user counts it until Release.
type UserSlot interface {
	Slot
	Admit(user string) error
}

// Server serves IMAP sessions.
type Server struct {
	base Options // as New was given them, with defaults
	log  *slog.Logger
	// tlsConfig is opts.TLSConfig recording which certificate each
	// handshake presents (for SCRAM's tls-server-end-point).
	tlsConfig *tls.Config
	presented presentedCerts
	// handshakeFailures limits the log lines of failed TLS handshakes.
	handshakeFailures handshakeFailures

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*session]struct{}
	closed    bool
	wg        sync.WaitGroup
	nextID    atomic.Uint64
	// hub tells NOTIFY sessions of a user of each other's changes to
	// the mailbox list.
	hub notifyHub
	// cur is the options in force for new sessions: opts, or what
	// Reconfigure put in their place.
	cur atomic.Pointer[Options]
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("imap: server closed")

// New returns a Server.
func New(opts *Options) *Server {
	s := &Server{base: withDefaults(opts), listeners: map[net.Listener]struct{}{}, conns: map[*session]struct{}{}}
	s.log = s.base.Logger
	s.tlsConfig = s.presented.wrap(s.base.TLSConfig)
	o := s.base
	s.cur.Store(&o)
	return s
}

// Reconfigure puts opts in force for the sessions that begin from now
// on (a configuration reload); sessions under way keep the options they
// began with. The listener's TLS (TLSConfig and TLSMode) cannot change:
// opts's are ignored.
func (s *Server) Reconfigure(opts *Options) {
	o := withDefaults(opts)
	o.TLSConfig, o.TLSMode = s.base.TLSConfig, s.base.TLSMode
	s.cur.Store(&o)
}

// withDefaults returns a copy of opts with each zero field that has a
// default set to it.
func withDefaults(opts *Options) Options {
	o := *opts
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.LoginTimeout == 0 {
		o.LoginTimeout = 60 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 5 * time.Minute
	}
	if o.MaxLine == 0 {
		o.MaxLine = 64 * 1024
	}
	if o.MaxLiteral == 0 {
		o.MaxLiteral = 64 << 20
	}
	if o.MaxAuthFailures == 0 {
		o.MaxAuthFailures = 5
	}
	if len(o.Mechanisms) == 0 {
		o.Mechanisms = auth.DefaultMechanisms()
	}
	mechs := make([]string, len(o.Mechanisms))
	for i, m := range o.Mechanisms {
		mechs[i] = strings.ToUpper(m)
	}
	o.Mechanisms = mechs
	return o
}

// Serve accepts connections on ln until Close. Each connection is served
// in its own goroutine.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	err := accept.Loop(ln, func(c net.Conn) { s.start(c, nil, nil) }, s.log)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	return err
}

// ServeConn serves one session on c and closes it. With preauth set, the
// session starts authenticated as that user (PREAUTH). It returns when the
// session has ended.
func (s *Server) ServeConn(c net.Conn, preauth *auth.User) {
	done := make(chan struct{})
	if s.start(c, preauth, done) {
		<-done
	}
}

// start begins a session on c in a goroutine of its own; done, if not
// nil, is closed when the session has ended. It reports false, having
// closed c, when the server is closed.
func (s *Server) start(c net.Conn, preauth *auth.User, done chan struct{}) bool {
	slot, _ := c.(Slot)
	if tc, ok := c.(*tls.Conn); ok && slot == nil {
		slot, _ = tc.NetConn().(Slot)
	}
	c = s.implicitTLS(c)
	sess := newSession(s, c, slot)
	sess.done = done
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return false
	}
	s.conns[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	sess.startObserving()
	go sess.serve(preauth)
	return true
}

// implicitTLS wraps c in TLS when the listener speaks TLS from the first
// byte and its host has not done so already.
func (s *Server) implicitTLS(c net.Conn) net.Conn {
	if s.base.TLSMode.Implicit() && s.base.TLSConfig != nil {
		if _, ok := c.(*tls.Conn); !ok {
			return tls.Server(c, s.tlsConfig)
		}
	}
	return c
}

// TLSConfig returns the TLS configuration the server's sessions
// handshake with: Options.TLSConfig, recording which certificate each
// handshake presents (SCRAM-SHA-256-PLUS's tls-server-end-point binding).
// A host that performs an implicit-TLS handshake itself must use this
// one; nil without Options.TLSConfig.
func (s *Server) TLSConfig() *tls.Config { return s.tlsConfig }

// tlsRequired reports whether every login waits for STARTTLS (tls-mode
// required), whatever the mechanism and the client's address.
func (s *Server) tlsRequired() bool { return s.base.TLSMode == tlsmgr.ModeRequired }

// refuseTimeout bounds a refusal: its TLS handshake and its one line.
const refuseTimeout = 10 * time.Second

// Refuse tells a client that the host will not serve it, with an
// untagged BYE in place of the greeting (RFC 3501 section 7.1.5), and
// closes c. On an implicit-TLS listener the line goes over TLS, after
// the handshake, so that the client can read it. The whole refusal takes
// at most 10 seconds, however slow the client.
func (s *Server) Refuse(c net.Conn, reason string) {
	c = s.implicitTLS(c)
	defer c.Close() // over TLS, after close_notify
	c.SetDeadline(time.Now().Add(refuseTimeout))
	reason = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, reason)
	if _, err := io.WriteString(c, "* BYE "+reason+"\r\n"); err != nil {
		s.log.Debug("imap: refusal not delivered", "remote", c.RemoteAddr().String(), "err", err)
	}
}

// ended forgets a session that has ended.
func (s *Server) ended(sess *session) {
	s.mu.Lock()
	delete(s.conns, sess)
	s.mu.Unlock()
	s.wg.Done()
	if sess.done != nil {
		close(sess.done)
	}
}

// Sessions returns how many sessions the server is serving now.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close stops accepting, tells every session the server is shutting down,
// and waits for the sessions to end or ctx to expire.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for sess := range s.conns {
		sess.shutdown()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for sess := range s.conns {
			sess.conn.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// rev2Offered reports whether IMAP4rev2 is advertised and may be enabled.
func (srv *Server) rev2Offered() bool { return srv.cur.Load().IMAP4rev2 }
