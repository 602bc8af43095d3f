package imap

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/storage"
)

// Handoff moves sessions to other processes once their user is known:
// the gateway's process per session, which runs each with its user's
// uid. The server keeps the part before login (greeting, STARTTLS,
// password checks and the login throttle); the session process serves
// the rest with Server.Resume.
type Handoff interface {
	// Takes reports whether the session of u continues in another
	// process, having prepared what that process needs (its home); an
	// error refuses the login as one whose mailboxes cannot be opened.
	Takes(u *auth.User) (bool, error)
	// Continue serves the rest of the session elsewhere and returns when
	// it has ended. The tagged OK of the login has been sent.
	Continue(h *HandedOff)
}

// HandedOff is a session that leaves this process.
type HandedOff struct {
	// State is what the session process needs to go on.
	State SessionState
	// Conn is the client's connection: a *tls.Conn when TLS is up (its
	// traffic must then be relayed: TLS state cannot move between
	// processes), else the plain connection, whose descriptor can move.
	Conn net.Conn
	// Slot is the host's session slot, or nil.
	Slot Slot
	// Stop is closed when the server shuts down or the session is
	// kicked: the session process should say goodbye and end.
	Stop <-chan struct{}
	// Kicked returns, once Stop is closed, the reason a kick gave
	// (SessionInfo.Kick), or "" when the server shuts down.
	Kicked func() string
}

// SessionState is what a session carries when it moves to another
// process. It is encoded as JSON between the processes.
type SessionState struct {
	// ID is the session's number in the logs (conn=).
	ID uint64 `json:"id"`
	// User is who logged in.
	User auth.User `json:"user"`
	// ReadOnly marks an ANONYMOUS login.
	ReadOnly bool `json:"read_only,omitempty"`
	// TLS says whether the client's connection is encrypted (by the
	// process that relays it).
	TLS bool `json:"tls,omitempty"`
	// Remote is the client's address, as the connection gave it.
	Remote string `json:"remote"`
	// Pending is what the client sent ahead, not read yet.
	Pending []byte `json:"pending,omitempty"`

	// A session woken from hibernation: the mailbox it had selected, how,
	// what its client knows of it, and the tag of the IDLE it was in.
	Mailbox         string             `json:"mailbox,omitempty"`
	MailboxReadOnly bool               `json:"mailbox_read_only,omitempty"`
	View            *storage.ViewState `json:"view,omitempty"`
	IdleTag         string             `json:"idle_tag,omitempty"`
}

// errHandedOff ends a session whose rest was served elsewhere.
var errHandedOff = errors.New("session continued in another process")

// handingOff is authenticated's result when the session is to move.
type handingOff struct{ user *auth.User }

func (*handingOff) Error() string { return "handing the session off" }

// handOff answers the login (tag "": greets with PREAUTH) and moves the
// session to another process, returning when it has ended there.
func (s *session) handOff(tag string, u *auth.User) error {
	s.user = u
	s.state = stateAuth
	// The host hears of the login before the client does, as for a
	// session that stays (login): a "mailgate kick" of the user sent
	// the moment the client is answered finds the session.
	if s.slot != nil {
		s.slot.LoggedIn(u.Name)
	}
	if s.obs != nil {
		s.obs.LoggedIn(u.Name)
	}
	if tag == "" {
		s.e.Raw("* PREAUTH [CAPABILITY ").Raw(s.capabilities()).Raw("] IMAP4rev1 logged in as ").Raw(sanitize(u.Name)).CRLF()
	} else {
		s.respond(tag, ok("CAPABILITY "+s.capabilities(), "Logged in"))
	}
	if err := s.e.Flush(); err != nil {
		return err
	}
	s.log.Info("imap: logged in; the session continues in a process of its own", "read-only", s.readOnly)
	s.opts.Handoff.Continue(&HandedOff{
		State: SessionState{ID: s.id, User: *u, ReadOnly: s.readOnly, TLS: s.tls,
			Remote: s.remoteText, Pending: s.br.Take()},
		Conn:   plainConn(s.conn),
		Slot:   s.slot,
		Stop:   s.stop,
		Kicked: s.kickReason,
	})
	return errHandedOff
}

// Resume serves on c a session that another process started and handed
// over, already logged in as st.User, and returns when it has ended.
// slot, if not nil, is told when the session ends (Release).
func (s *Server) Resume(c net.Conn, st *SessionState, slot Slot) {
	if len(st.Pending) > 0 {
		c = &pendingConn{Conn: c, pending: st.Pending}
	}
	sess := newSession(s, c, slot)
	sess.id = st.ID
	sess.tls = st.TLS
	sess.remoteText = st.Remote
	sess.remote = parseRemote(st.Remote)
	done := make(chan struct{})
	sess.done = done
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[sess] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	sess.startObserving()
	go sess.resume(st)
	<-done
}

// resume opens the user's mailboxes and serves the session's commands.
func (s *session) resume(st *SessionState) {
	defer s.recovered()
	s.readOnly = st.ReadOnly
	u := st.User
	start := time.Now()
	if err := s.login(context.Background(), &u); err != nil {
		s.log.Error("imap: opening mail store", "err", err)
		s.e.Raw("* BYE Your mailboxes cannot be opened right now\r\n").Flush()
		s.finish()
		return
	}
	opened := time.Now()
	if st.Mailbox != "" && st.View != nil {
		if err := s.resumeSelected(st); err != nil {
			s.log.Info("imap: the mailbox cannot be resumed", "mailbox", st.Mailbox, "err", err)
			s.e.Raw("* BYE ").Raw(resumeFailure(err)).CRLF().Flush()
			s.finish()
			return
		}
	}
	s.log.Debug("imap: session resumed in its own process", "pid", pid(),
		"login", opened.Sub(start), "select", time.Since(opened))
	s.loop()
}

// pid is this process's id, as the logs show it.
func pid() string { return strconv.Itoa(os.Getpid()) }

// pendingConn is a connection whose first bytes were read by another
// process: they are read first.
type pendingConn struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
}

func (c *pendingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// CloseWrite ends the sending side, when the connection below can.
func (c *pendingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
