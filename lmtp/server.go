package lmtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/internal/accept"
	"github.com/mailgate/mailgate/storage"
)

// Options configure a Server. The zero value of each field is usable
// except Lookup and Account.
type Options struct {
	// Logger receives the server's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Lookup finds the user an address's local part and domain name, for
	// RCPT. It returns a nil user and a nil error when there is no such
	// user (550 5.1.1), and an error when it cannot tell (451 4.3.0, the
	// MTA tries again). It is called with the local part as received,
	// then lower-cased, then without its detail (see RecipientDelimiter);
	// the domain is as received and may be "" (<Postmaster>). The gateway
	// backs it with the auth back-ends, deciding which domains are local.
	Lookup func(ctx context.Context, localpart, domain string) (*auth.User, error)
	// Account opens a user's storage, as imap.Options.Account does; the
	// Store behind it should be the one the IMAP sessions use, so that
	// they hear of a delivery at once.
	Account func(ctx context.Context, u *auth.User) (*storage.Account, error)
	// DeliverAs, when set, is asked first to store each copy: msg (the
	// trace header fields, then the message) in u's mailbox, received at
	// date. handled false leaves the copy to the server, which stores it
	// through Account; the gateway uses it to deliver, in a process with
	// the user's identity, mail that a root daemon must not write itself.
	DeliverAs func(ctx context.Context, u *auth.User, mailbox string, msg io.Reader, date time.Time) (uid uint32, handled bool, err error)
	// Hostname names this host in the greeting, the LHLO reply and the
	// Received line; the system's host name when empty.
	Hostname string
	// MaxMessageSize is the largest message accepted, in bytes, advertised
	// as SIZE in the LHLO reply (RFC 1870); 64 MiB when zero.
	MaxMessageSize int64
	// MaxRecipients bounds the RCPTs of one transaction (RFC 5321
	// 4.5.3.1.8 asks for at least 100); 1000 when zero.
	MaxRecipients int
	// RecipientDelimiter holds the characters, any of which separates a
	// local part's user from its detail ("alice+lists"), as Postfix's and
	// Dovecot's recipient_delimiter; empty: addresses have no detail.
	RecipientDelimiter string
	// DetailMailbox delivers mail for user+detail into the user's mailbox
	// named detail, when it exists in the personal namespace, instead of
	// INBOX (Dovecot's lmtp_save_to_detail_mailbox, without creating it).
	DetailMailbox bool
	// OmitReceived leaves out the Received line for the LMTP hop.
	OmitReceived bool
	// Timeout is how long a client may stay silent, in a command or in the
	// middle of a message; 5 minutes when zero (RFC 5321 4.5.3.2.7).
	Timeout time.Duration
	// WriteTimeout bounds each write to the client; 5 minutes when zero.
	WriteTimeout time.Duration
	// SpoolDir is where messages larger than 256 KiB wait while they are
	// delivered, in unlinked files; os.TempDir() when empty.
	SpoolDir string
	// SessionID numbers sessions for the logs and the Received id; when
	// several servers share it (the gateway's frontends), every session
	// in the process has its own number. Nil numbers this server's
	// sessions from 1.
	SessionID func() uint64
	// Delivered, when set, is told the outcome of each copy delivered or
	// refused, for the host's metrics: "delivered", "temporary" (a 4xx
	// reply) or "permanent" (5xx). It must not block.
	Delivered func(result string)
}

// maxLineLength bounds a line, of a command or of the message: RFC 5321
// 4.5.3.1.6 says 1000 octets, but mail with longer lines exists and
// Dovecot stores it, so only memory is protected.
const maxLineLength = 1 << 20

// Server serves LMTP sessions.
type Server struct {
	opts Options
	log  *slog.Logger
	smtp *smtp.Server
	feed *feed

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	start     sync.Once
	sessions  sync.WaitGroup // connections handed to go-smtp
	inFlight  sync.WaitGroup // deliveries running
	nextID    atomic.Uint64
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("lmtp: server closed")

// New returns a Server.
func New(opts *Options) *Server {
	s := &Server{opts: *opts, listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	o := &s.opts
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s.log = o.Logger
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
		if o.Hostname == "" {
			o.Hostname = "localhost"
		}
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 20
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Minute
	}
	if o.SessionID == nil {
		o.SessionID = func() uint64 { return s.nextID.Add(1) }
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.feed = newFeed()
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.LMTP = true
	srv.Domain = o.Hostname
	srv.MaxMessageBytes = o.MaxMessageSize
	srv.MaxRecipients = o.MaxRecipients
	srv.MaxLineLength = maxLineLength
	// Mail whose envelope needs SMTPUTF8 (RFC 6531) would otherwise
	// bounce: Postfix's LMTP client does not downgrade it. The trace
	// fields and the mbox From_ line keep UTF-8 as it comes.
	srv.EnableSMTPUTF8 = true
	srv.WriteTimeout = o.WriteTimeout
	srv.ErrorLog = smtpLog{s.log}
	s.smtp = srv
	return s
}

// Serve accepts connections on ln until Close, and serves each in its own
// goroutine. Close closes ln.
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
	err := accept.Loop(ln, func(c net.Conn) { s.serve(c) }, s.log)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return ErrServerClosed
	}
	return fmt.Errorf("lmtp: accepting on %s: %w", ln.Addr(), err)
}

// ServeConn serves one session on c, closes c and returns when the
// session has ended.
func (s *Server) ServeConn(c net.Conn) {
	if lc := s.serve(c); lc != nil {
		<-lc.done
	}
}

// Refuse tells a client that the host will not serve it and closes the
// connection: 421 4.3.2 with reason (RFC 5321 3.8), a temporary answer,
// so that the MTA keeps the mail and tries again rather than bouncing it.
func (s *Server) Refuse(c net.Conn, reason string) {
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "421 4.3.2 %s %s\r\n", s.opts.Hostname, oneLine(reason))
	c.Close()
}

// serve starts a session on c; it returns nil, having closed c, when the
// server is closed.
func (s *Server) serve(nc net.Conn) *conn {
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.sessions.Add(1)
	s.mu.Unlock()
	s.start.Do(func() { go s.smtp.Serve(s.feed) })
	if !s.feed.push(c) {
		c.Close()
	}
	return c
}

// ended forgets a connection that go-smtp has closed.
func (s *Server) ended(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.sessions.Done()
}

// Close stops accepting, says 421 to every connection waiting for its
// next transaction and closes it, lets transactions in progress finish,
// and waits for every session to end or ctx to expire. Then it closes
// what is left and waits for deliveries in flight to leave storage, so
// that the Store may be closed after it.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	s.feed.close()
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.Conn.Close()
		}
		s.mu.Unlock()
	}
	s.inFlight.Wait()
	s.cancel()
	return err
}

// smtpLog takes go-smtp's log lines: connection errors and recovered
// panics (with their stack).
type smtpLog struct{ log *slog.Logger }

func (l smtpLog) Printf(format string, v ...any) { l.print(fmt.Sprintf(format, v...)) }
func (l smtpLog) Println(v ...any)               { l.print(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (l smtpLog) print(msg string) {
	if strings.HasPrefix(msg, "panic") {
		l.log.Error("lmtp: "+msg, "component", "go-smtp")
		return
	}
	l.log.Warn("lmtp: "+msg, "component", "go-smtp")
}

// oneLine keeps text from breaking out of one reply or header line: each
// control character becomes a space; other bytes stay as they are.
func oneLine(text string) string {
	if !hasControl(text) {
		return text
	}
	b := []byte(text)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}
