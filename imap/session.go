package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// state is the RFC 3501 connection state.
type state int

const (
	stateNotAuth state = iota
	stateAuth
	stateSelected
	stateLogout
)

// session is one client connection.
type session struct {
	srv  *Server
	opts *Options // the server's options when the session began
	conn net.Conn
	id   uint64
	log  *slog.Logger

	br *wire.Reader
	bw *wire.Writer
	d  *wire.Decoder
	e  *wire.Encoder

	state        state
	user         *auth.User
	account      *storage.Account
	view         *storage.View
	mailbox      string           // the selected mailbox's name
	uidValidity  uint32           // the selected mailbox's UIDVALIDITY
	utf8Names    bool             // UTF8=ACCEPT or IMAP4rev2 enabled: names in UTF-8 (utf8.go)
	utf8Accept   bool             // UTF8=ACCEPT enabled (RFC 6855)
	rev2         bool             // IMAP4rev2 enabled (RFC 9051 section 2.2.1)
	saved        []uint32         // UIDs of the saved search result, "$" (RFC 5182)
	contexts     []*searchContext // SEARCHes with UPDATE (RFC 5267 section 4)
	searchErr    error            // why searchEach could not learn dates (takeSearchErr)
	condStore    bool             // CONDSTORE enabled (RFC 7162 section 3.1)
	qresync      bool             // QRESYNC enabled (RFC 7162 section 3.2.3)
	vanished     []uint32         // expunged UIDs to tell as VANISHED (flushVanished)
	vanishedSent bool             // this command's answer told of expunges
	tls          bool
	compressed   bool // COMPRESS=DEFLATE is on (compress.go)
	remote       netip.Addr
	remoteText   string // the client's address as the connection gives it
	authFailures int
	readOnly     bool              // an ANONYMOUS login: nothing may be changed
	serverCert   *x509.Certificate // the certificate this server presented in the TLS handshake
	stopping     atomic.Bool
	byeReason    atomic.Pointer[string] // kick's reason, said at the BYE
	obs          SessionObserver        // the host's ear on this session, or nil
	stop         chan struct{}          // closed by shutdown
	stopOnce     sync.Once
	rate         commandRate // Options.CommandRate's bucket
	sleepy       atomic.Bool // the hibernation timer cut the IDLE's read short
	// hibernateTimer runs while the session idles, with a Hibernator;
	// hibernateMu guards it against its own firing.
	hibernateTimer *time.Timer
	hibernateMu    sync.Mutex
	// goneTimer looks, while the session idles, whether its mailbox
	// is still there (gone.go); goneMu guards it against its own firing.
	goneTimer *time.Timer
	goneMu    sync.Mutex

	notify        *notifier     // NOTIFY's state (notify.go), or nil
	lastRename    *[2]string    // this command's RENAME, for NOTIFY's OLDNAME
	idleTag       string        // the tag of an IDLE waiting for DONE, or ""
	woken         atomic.Bool   // idleWake cut the IDLE's read short
	readDeadline  time.Time     // when the client's time to send runs out
	loginDeadline time.Time     // when a client that has not logged in is cut off
	slot          Slot          // the host's session slot, or nil
	released      bool          // slot.Release was called
	linger        bool          // the client may still be sending: close gently
	finished      bool          // finish has run
	done          chan struct{} // closed when the session has ended, if not nil
}

// addrText is a's text, or "unknown" when there is none: a socket handed
// over by another process (net.FileConn) has no peer address once the
// client has gone, and a session must still start, to end at once.
func addrText(a net.Addr) string {
	if a == nil {
		return "unknown"
	}
	return a.String()
}

// newSession starts a session on c; slot, if not nil, is the host's
// session slot, which the connection itself implemented.
func newSession(srv *Server, c net.Conn, slot Slot) *session {
	opts := srv.cur.Load()
	s := &session{srv: srv, opts: opts, remoteText: addrText(c.RemoteAddr()), slot: slot,
		loginDeadline: time.Now().Add(opts.LoginTimeout)}
	if opts.SessionID != nil {
		s.id = opts.SessionID()
	} else {
		s.id = srv.nextID.Add(1)
	}
	s.remote = parseRemote(s.remoteText)
	s.stop = make(chan struct{})
	s.log = slog.New(sessionLog{s})
	_, s.tls = c.(*tls.Conn)
	s.setConn(c)
	return s
}

// setConn (re)builds the buffered reader, writer and codec on c, and the
// transcript above it when it is asked for.
func (s *session) setConn(c net.Conn) {
	if s.opts.Transcript {
		c = &transcriptConn{Conn: c, log: s.log, authenticated: s.state != stateNotAuth}
	}
	s.conn = c
	// The buffers are borrowed only while a command is read or answered:
	// most connections sit in IDLE, and large literals and FETCH answers
	// pass through them without being held.
	s.br = wire.NewReader(c)
	s.bw = wire.NewWriter((*clientWriter)(s))
	s.d = wire.NewDecoder(s.br)
	s.d.MaxLine = s.opts.MaxLine
	s.d.MaxLiteral = s.opts.MaxLiteral
	s.d.Continue = func() error {
		s.e.Raw("+ Ready for literal data\r\n")
		return s.e.Flush()
	}
	s.e = wire.NewEncoder(s.bw)
}

// shutdown asks the session to end; it may be called from any goroutine.
func (s *session) shutdown() {
	s.stopping.Store(true)
	s.stopOnce.Do(func() { close(s.stop) })
	s.conn.SetReadDeadline(time.Now())
}

// clientWriter is the session as the writer of its connection: every
// write has a deadline (Options.WriteTimeout), so that a client that
// stops reading cannot hold the session, and what it has open, forever.
type clientWriter session

func (w *clientWriter) Write(p []byte) (int, error) {
	w.conn.SetWriteDeadline(time.Now().Add(w.opts.WriteTimeout))
	return w.conn.Write(p)
}

// armTimeout gives the client the idle timeout to send its next line,
// unless the session is being shut down, which must stay immediate. A
// client that has not logged in has no more than the rest of its login
// time (Options.LoginTimeout), counted from when it connected.
func (s *session) armTimeout() {
	s.readDeadline = time.Time{}
	if s.opts.Timeout > 0 {
		s.readDeadline = time.Now().Add(s.opts.Timeout)
	}
	if s.state == stateNotAuth && (s.readDeadline.IsZero() || s.loginDeadline.Before(s.readDeadline)) {
		s.readDeadline = s.loginDeadline
	}
	s.rearm()
}

// handshakeDeadline bounds a TLS handshake: it both reads and writes, and
// happens before login.
func (s *session) handshakeDeadline() time.Time {
	d := time.Now().Add(s.opts.WriteTimeout)
	if s.loginDeadline.Before(d) {
		return s.loginDeadline
	}
	return d
}

// rearm sets the read deadline armTimeout chose, again: an IDLE that was
// interrupted to write news keeps the client's time left.
func (s *session) rearm() {
	s.conn.SetReadDeadline(s.readDeadline)
	if s.stopping.Load() {
		s.conn.SetReadDeadline(time.Now())
	}
}

// loopback reports whether the client is on this machine.
func (s *session) loopback() bool { return s.remote.IsLoopback() }

// plaintextOK reports whether passwords may be sent on this connection:
// over TLS; without it, never on a tls-mode required listener (whatever
// AllowPlaintext says, as Dovecot's ssl = required), else with
// AllowPlaintext or from loopback.
func (s *session) plaintextOK() bool {
	switch {
	case s.tls:
		return true
	case s.srv.tlsRequired():
		return false
	}
	return s.opts.AllowPlaintext || s.loopback()
}

// needsTLS reports whether the listener authenticates nobody until
// STARTTLS (tls-mode required) and TLS is not up yet.
func (s *session) needsTLS() bool { return !s.tls && s.srv.tlsRequired() }

// serve greets the client and serves its commands; it runs in a goroutine
// of its own.
func (s *session) serve(preauth *auth.User) {
	defer s.recovered()
	if tc, ok := plainConn(s.conn).(*tls.Conn); ok {
		tc.SetDeadline(s.handshakeDeadline())
		err := tc.Handshake()
		s.serverCert = s.srv.presented.take(tc)
		if err != nil {
			s.handshakeFailed("TLS", err)
			s.finish()
			return
		}
		if acmeValidation(tc) {
			s.log.Debug("imap: TLS-ALPN-01 validation connection closed")
			s.finish()
			return
		}
		tc.SetDeadline(time.Time{})
	}
	s.log.Debug("imap: session started")
	if preauth == nil && (s.opts.Preauth != nil || s.opts.PreauthOnly) {
		var proceed bool
		if preauth, proceed = s.preauthenticate(); !proceed {
			s.log.Info("imap: preauthentication failed; closing")
			s.e.Raw("* BYE Preauthentication failed; this server accepts preauthenticated connections only\r\n").Flush()
			s.finish()
			return
		}
	}
	if preauth != nil {
		if s.admit(preauth) != nil {
			s.log.Info("imap: too many sessions of this user; closing", "user", preauth.Name)
			s.e.Raw("* BYE Too many sessions of this user\r\n").Flush()
			s.finish()
			return
		}
		if h := s.opts.Handoff; h != nil {
			takes, err := h.Takes(preauth)
			if err != nil {
				s.log.Error("imap: the session cannot move to a process of its own", "user", preauth.Name, "err", err)
				s.e.Raw("* BYE Cannot open your mailboxes\r\n").Flush()
				s.finish()
				return
			}
			if takes {
				s.handOff("", preauth)
				s.finish()
				return
			}
		}
		if err := s.login(context.Background(), preauth); err != nil {
			s.log.Warn("imap: preauth failed", "user", preauth.Name, "err", err)
			s.e.Raw("* BYE Cannot open your mailboxes\r\n").Flush()
			s.finish()
			return
		}
		s.e.Raw("* PREAUTH [CAPABILITY ").Raw(s.capabilities()).Raw("] IMAP4rev1 logged in as ").Raw(sanitize(preauth.Name)).CRLF()
	} else {
		text := s.opts.Greeting
		if text == "" {
			text = "IMAP4rev1 mailgate ready"
		}
		s.e.Raw("* OK [CAPABILITY ").Raw(s.capabilities()).Raw("] ").Raw(text).CRLF()
	}
	if err := s.e.Flush(); err != nil {
		s.ending(err)
		s.finish()
		return
	}
	s.loop()
}

// loop serves commands, and the end of an IDLE, as long as the client has
// sent them. When it has sent nothing more, loop hands the wait to a new
// goroutine (await, or idle and idleInput) and returns, ending the
// goroutine it ran on: the stack that goroutine grew while working goes
// with it, and the buffers went back to their pools. Whoever calls loop
// must touch the session no more once it returns.
func (s *session) loop() {
	for s.state != stateLogout {
		s.armTimeout()
		if !s.br.Ready() {
			if s.idleTag == "" {
				go s.await()
				return
			}
			if err := s.idleStart(); err != nil {
				s.ending(err)
				s.finish()
			}
			return
		}
		var err error
		if s.idleTag != "" {
			err = s.idleDone()
		} else {
			s.rate.wait(s.opts.CommandRate)
			err = s.command()
		}
		if err != nil {
			s.ending(err)
			s.finish()
			return
		}
		if err := s.e.Flush(); err != nil {
			s.ending(err)
			s.finish()
			return
		}
		if s.view != nil {
			s.view.Settle()
		}
	}
	s.finish()
}

// await waits, in a new goroutine and holding no buffer, until the client
// sends something, then serves it.
func (s *session) await() {
	defer s.recovered()
	if s.notify != nil {
		s.notifyWait() // notify.go
		return
	}
	s.br.Wait()
	s.loop()
}

// recovered ends the session if the goroutine serving it panicked. Every
// goroutine that runs the session's code defers it.
func (s *session) recovered() {
	if r := recover(); r != nil {
		s.log.Error("imap: session panicked; closing it", "panic", r, "stack", string(debug.Stack()))
		s.e.Raw("* BYE Internal server error\r\n")
		s.e.Flush()
		s.finish()
	}
}

// finish closes the session's mailbox and connection, once, and gives
// the host's slot back.
func (s *session) finish() {
	if s.finished {
		return
	}
	s.finished = true
	defer s.srv.ended(s)
	s.disarmGoneCheck()
	s.notifyClose()
	if s.view != nil {
		s.view.Close()
	}
	if s.linger {
		s.lingerClose()
	} else {
		s.conn.Close()
	}
	s.release()
	if s.obs != nil {
		s.obs.Ended()
	}
	s.log.Debug("imap: session ended")
}

// Lingering close: how long, and how much, a connection whose client may
// still be sending is read after the goodbye.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 4 << 20
)

// lingerClose closes a connection whose client may still be sending (an
// oversized literal): it ends the sending side first and reads a while
// longer, so that the kernel does not answer unread data with a reset,
// which can destroy the goodbye before the client has read it.
func (s *session) lingerClose() {
	if cw, ok := s.conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		s.conn.SetReadDeadline(time.Now().Add(lingerTime))
		io.CopyN(io.Discard, s.conn, lingerBytes)
	}
	s.conn.Close()
}

// release gives the host's session slot back, once.
func (s *session) release() {
	if s.slot != nil && !s.released {
		s.released = true
		s.slot.Release()
	}
}

// ending says goodbye when the connection ends on err, and logs why: a
// session never ends without a word in the log, and, when the client
// can still read, a BYE with the reason. What the client did (closed the
// connection, stopped reading, let its time run out) is logged at Info;
// anything else at Warn.
func (s *session) ending(err error) {
	var op *net.OpError
	switch {
	case err == errTLSFailed:
		// Logged where it happened; a BYE could not be read.
	case errors.Is(err, errSelectedGone):
		s.sayGone()
	case s.stopping.Load():
		reason := "Server shutting down"
		if r := s.byeReason.Load(); r != nil {
			reason = *r
		}
		s.log.Debug("imap: session ends at shutdown", "reason", reason)
		s.e.Raw("* BYE ").Raw(reason).CRLF().Flush()
	case err == errHandedOff:
	case errors.As(err, &op) && op.Op == "write":
		// The client stopped reading (Options.WriteTimeout) or went
		// away: no goodbye can reach it.
		s.log.Info("imap: cannot write to the client; closing", "err", err)
	case errors.Is(err, os.ErrDeadlineExceeded) && s.state == stateNotAuth && s.readDeadline.Equal(s.loginDeadline):
		s.log.Info("imap: login timeout")
		s.e.Raw("* BYE Login timeout; log in sooner\r\n").Flush()
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.log.Info("imap: autologout", "timeout", s.opts.Timeout)
		s.e.Raw("* BYE Autologout; idle for too long\r\n").Flush()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		s.log.Debug("imap: the client closed the connection", "err", err)
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.As(err, new(tls.AlertError)):
		// The network or the client's TLS gave up: not this server's
		// fault, and nobody to say goodbye to.
		s.log.Info("imap: the connection to the client failed", "err", err)
	case errors.Is(err, errTooManyFailures):
		s.log.Info("imap: too many failed logins; closing")
		s.e.Raw("* BYE Too many failed logins\r\n").Flush()
	case errors.Is(err, wire.ErrOverrun):
		// RFC 7888 section 4: the server may close the connection
		// rather than read a literal it will not take.
		s.log.Info("imap: client sent far over the limits; closing", "err", err)
		s.e.Raw("* BYE [TOOBIG] Line or literal far over the limits; closing the connection\r\n").Flush()
		s.linger = true
	default:
		// net.ErrClosed among them: nothing in this session closed the
		// connection, so something else did.
		s.log.Warn("imap: session ends on an error", "err", err)
		s.e.Raw("* BYE Connection error; reconnect\r\n").Flush()
	}
}

// command reads and runs one command. It returns an error only when the
// connection must end.
func (s *session) command() error {
	s.d.Begin()
	tag, err := s.d.Tag()
	if err != nil {
		return s.badLine("*", err)
	}
	if err := s.d.SP(); err != nil {
		if s.state == stateNotAuth {
			// What stands before no space may be a password typed on a
			// line of its own (or its start, up to a character a tag
			// cannot have), not a tag: before login it is not echoed,
			// so that the transcript does not show it in the reply
			// (RFC 3501 section 7.1.3 allows the untagged BAD).
			tag = "*"
		}
		return s.badLine(tag, err)
	}
	name, err := s.d.Atom()
	if err != nil {
		return s.badLine(tag, err)
	}
	name = strings.ToUpper(name)
	uid := false
	if name == "UID" {
		uid = true
		if err := s.d.SP(); err != nil {
			return s.badLine(tag, err)
		}
		if name, err = s.d.Atom(); err != nil {
			return s.badLine(tag, err)
		}
		name = strings.ToUpper(name)
	}
	cmd, ok := lookupCommand(name, uid)
	if !ok {
		err := &wire.SyntaxError{Msg: "unknown command " + sanitize(name)}
		if s.state == stateNotAuth {
			// Not echoed before login: a password typed where a command
			// goes would reach the transcript in the reply.
			err.Msg = "unknown command"
		}
		s.observeCommand(sanitize(name), uid, time.Now(), err)
		return s.badLine(tag, err)
	}
	if !cmd.states.has(s.state) {
		if err := s.d.Skip(); err != nil {
			return err
		}
		return s.respond(tag, bad("%s is not valid %s", name, s.stateText(cmd)))
	}
	if s.readOnly && name == "SELECT" {
		cmd = commands["EXAMINE"]
	} else if s.readOnly && readOnlyRefused(name) {
		if err := s.d.Skip(); err != nil {
			return err
		}
		return s.respond(tag, no("NOPERM", "This session is read-only"))
	}
	if s.view != nil {
		// A mailbox nobody watches is looked at before the command
		// reads or changes it (storage's unwatched.go): STORE, EXPUNGE,
		// SEARCH or COPY on what it held at the previous command would
		// lose or misreport another program's changes.
		s.view.Check()
		if touchesSelected(name, cmd) && s.selectedGone() {
			// Not run on a mailbox that is not there (gone.go).
			return errSelectedGone
		}
	}
	start := time.Now()
	end := storage.Foreground()
	err = cmd.run(s, tag, uid)
	end()
	s.observeCommand(name, uid, start, err)
	if err == errIdling {
		return nil
	}
	return s.complete(tag, name, cmd, uid, err)
}

// complete answers a command whose handler returned err. It returns an
// error only when the connection must end.
func (s *session) complete(tag, name string, cmd command, uid bool, err error) error {
	if err == errAlreadyAnswered {
		return nil
	}
	if err == errTLSFailed {
		return err
	}
	if c, ok := err.(*closing); ok {
		s.respond(tag, c.reply)
		return c.err
	}
	if h, ok := err.(*handingOff); ok {
		return s.handOff(tag, h.user)
	}
	if errors.Is(err, wire.ErrOverrun) {
		s.respond(tag, no("TOOBIG", "%s: far more data than the limits allow", name))
		return err
	}
	if err != nil && !isStatus(err) && !wire.IsSyntax(err) {
		if isConnErr(err) {
			return err
		}
		// A storage condition that reached here unanswered (a lock held
		// through every retry, a message expunged meanwhile) still gets
		// its response code, so that the client knows to try again;
		// anything else is SERVERBUG, logged as an error below.
		mapped := storageErr(err, name)
		if st, ok := mapped.(*status); !ok || st.cause == nil {
			s.log.Warn("imap: command failed", "command", name, "err", err)
		}
		err = mapped
	}
	if st, ok := err.(*status); ok && st.cause != nil {
		s.log.Error("imap: command failed", "command", name, "err", st.cause)
	}
	if wire.IsSyntax(err) {
		return s.badLine(tag, err)
	}
	if !s.d.LineEnded() {
		if err := s.d.Skip(); err != nil {
			return err
		}
	}
	if s.view != nil && !s.selectedGone() {
		s.view.Poll(cmd.expungeOK || uid, s)
		s.flushVanished()
		err = s.vanishedDone(err)
		if s.qresync {
			err = s.delayedExpunges(err)
		}
	}
	if len(s.contexts) > 0 {
		s.updateContexts()
	}
	s.notifyDone(name, cmd.expungeOK || uid)
	s.respond(tag, err)
	if s.byeAfter(name, cmd) {
		// The mailbox went while the command ran: its tagged answer,
		// then the goodbye (gone.go).
		return errSelectedGone
	}
	return nil
}

// badLine answers a malformed command with BAD and skips the rest of it.
func (s *session) badLine(tag string, err error) error {
	if !wire.IsSyntax(err) {
		return err
	}
	if err := s.d.Skip(); err != nil {
		return err
	}
	if tag == "" {
		tag = "*"
	}
	return s.respond(tag, bad("%s", err.Error()))
}

// stateText says why a command is not valid now.
func (s *session) stateText(cmd command) string {
	switch {
	case s.state == stateNotAuth:
		return "before login"
	case cmd.states == notAuthOnly:
		return "after login"
	case s.state == stateAuth:
		return "without a selected mailbox"
	default:
		return "now"
	}
}

// respond writes the tagged completion of a command.
func (s *session) respond(tag string, err error) error {
	st, _ := err.(*status)
	if err == nil {
		st = &status{typ: "OK", text: "Completed"}
	}
	s.e.Raw(tag).SP().Raw(st.typ).SP()
	if st.code != "" {
		s.e.Byte('[').Raw(st.code).Raw("] ")
	}
	s.e.Raw(sanitize(st.text)).CRLF()
	return nil
}

// FlagsInUse implements storage.Updates.
func (s *session) FlagsInUse(flags []string) {
	s.flushVanished()
	s.writeFlagsInUse(flags)
}

// Expunge implements storage.Updates.
func (s *session) Expunge(seq uint32) {
	s.e.Raw("* ").Number(seq).Raw(" EXPUNGE\r\n")
}

// Exists implements storage.Updates.
func (s *session) Exists(n, recent uint32) {
	s.flushVanished()
	s.e.Raw("* ").Number(n).Raw(" EXISTS\r\n")
	if !s.rev2 {
		s.e.Raw("* ").Number(recent).Raw(" RECENT\r\n")
	}
}

// Flags implements storage.Updates. With CONDSTORE enabled the FETCH
// carries the message's MODSEQ (RFC 7162 section 3.1.4), and with QRESYNC
// its UID too (section 3.2.4).
func (s *session) Flags(seq uint32, m *storage.Message, recent bool) {
	s.flushVanished()
	s.e.Raw("* ").Number(seq).Raw(" FETCH (")
	if s.qresync {
		s.e.Raw("UID ").Number(m.UID).SP()
	}
	s.e.Raw("FLAGS ")
	writeFlags(s.e, m.Flags, recent && !s.rev2)
	if s.condStore {
		s.e.Raw(" MODSEQ (").Number64(int64(m.ModSeq)).Byte(')')
	}
	s.e.Raw(")\r\n")
}

// sanitize keeps text safe for a response line.
func sanitize(text string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
}

func isConnErr(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne)
}

var errTooManyFailures = errors.New("too many failed logins")

// closing is a command's result after which the session ends: the
// tagged reply, then the goodbye that ending says for err.
type closing struct {
	reply error
	err   error
}

func (c *closing) Error() string { return c.err.Error() }

// parseRemote returns the address of a client as its connection names
// it, or the zero Addr (a pipe, a unix socket).
func parseRemote(text string) netip.Addr {
	if ap, err := netip.ParseAddrPort(text); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// login makes u the session's user, and tells the host's slot.
func (s *session) login(ctx context.Context, u *auth.User) error {
	acct, err := s.opts.Account(ctx, u)
	if err != nil {
		return fmt.Errorf("opening mail store for %s: %w", u.Name, err)
	}
	s.user = u
	s.account = acct
	s.state = stateAuth
	if t, ok := s.conn.(*transcriptConn); ok {
		t.loggedIn()
	}
	if s.slot != nil {
		s.slot.LoggedIn(u.Name)
	}
	if s.obs != nil {
		s.obs.LoggedIn(u.Name)
	}
	return nil
}
