package imap

import (
	"errors"
	"time"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

// Observer hears how the server's sessions go: the host's list of live
// sessions (who, kick) and its metrics. This package knows nothing of
// either. Its methods are called from the sessions' goroutines and must
// not block.
type Observer interface {
	// SessionStarted is called as a session begins; what it returns
	// hears the rest of that session (nil: nothing).
	SessionStarted(info SessionInfo) SessionObserver
}

// SessionInfo describes a session as it begins.
type SessionInfo struct {
	// ID is the session's number in the logs (conn=).
	ID uint64
	// Remote is the client's address, as the connection gives it.
	Remote string
	// Kick ends the session from any goroutine: a command under way is
	// answered, then the client reads "* BYE " and reason.
	Kick func(reason string)
}

// SessionObserver hears one session's events, from the goroutine serving
// it.
type SessionObserver interface {
	// LoggedIn is called once the user is known, before the session
	// opens its mailboxes (or moves to a process of its own).
	LoggedIn(user string)
	// LoginFailed is called for each refused login: result is
	// "failed" (wrong credentials or a refused user), "blocked" (the
	// throttle), "unavailable" (no back-end could answer) or "limit"
	// (max-sessions-per-user).
	LoginFailed(result string)
	// Selected is called when a mailbox is selected, and with "" when
	// none is any more.
	Selected(mailbox string)
	// Command is called when a command has been answered: its name
	// (UID commands as "UID FETCH"), how long it took, and the answer's
	// type (OK, NO or BAD). A command the server does not know is
	// reported too, answered BAD, with the name the client gave: see
	// KnownCommand.
	Command(name string, took time.Duration, result string)
	// Ended is called once, when the session has ended.
	Ended()
}

// startObserving tells the server's Observer that s begins.
func (s *session) startObserving() {
	if s.opts.Observer == nil {
		return
	}
	s.obs = s.opts.Observer.SessionStarted(SessionInfo{ID: s.id, Remote: s.remoteText, Kick: s.kick})
}

// kick ends the session with "* BYE reason"; any goroutine may call it.
func (s *session) kick(reason string) {
	reason = sanitize(reason)
	s.byeReason.Store(&reason)
	s.shutdown()
}

// kickReason returns the reason kick gave, or "".
func (s *session) kickReason() string {
	if r := s.byeReason.Load(); r != nil {
		return *r
	}
	return ""
}

// Kick ends every session of the server as SessionInfo.Kick does: a
// command under way is answered, then the client reads "* BYE " and
// reason. The server goes on accepting.
func (srv *Server) Kick(reason string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for sess := range srv.conns {
		sess.kick(reason)
	}
}

// observeCommand reports a command's answer to the observer.
func (s *session) observeCommand(name string, uid bool, start time.Time, err error) {
	if s.obs == nil || err == errIdling {
		return
	}
	if uid {
		name = "UID " + name
	}
	result := "OK"
	var st *status
	var c *closing
	var h *handingOff
	switch {
	case err == nil:
	case errors.As(err, &h):
		// A login answered OK whose session goes on in a process of
		// its own.
	case errors.As(err, &c):
		if st, _ = c.reply.(*status); st != nil {
			result = st.typ
		}
	case errors.As(err, &st):
		result = st.typ
	case wire.IsSyntax(err):
		result = "BAD"
	default:
		result = "NO"
	}
	s.obs.Command(name, time.Since(start), result)
}
