package imap

import (
	"errors"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// Hibernator lets a session process that sits in IDLE end, leaving its
// connection and the little state it needs with an unprivileged holder
// (the daemon), as Dovecot's imap-hibernate does: an idle connection then
// costs the holder a few kilobytes instead of a process. The holder starts
// a new session process with the state (Server.Resume) when the client
// speaks or the mailbox changes.
type Hibernator interface {
	// HibernateAfter is how long a session idles before it hibernates;
	// 0 never.
	HibernateAfter() time.Duration
	// Hibernate hands the session over, to be woken by input on the
	// connection or by a change of a file or directory in watch. Once the
	// holder has agreed (and stopped passing the client's bytes on), it
	// calls drain, which returns what the client sent that this process
	// has not read: the holder keeps it for the next session process.
	// It reports whether the holder took the session; the session then
	// ends without a word to the client or its slot. An error means the
	// holder may have stopped passing the client's bytes on and cannot be
	// told otherwise: the session ends with BYE rather than idle deaf.
	Hibernate(st *SessionState, watch []string, drain func() []byte) (bool, error)
}

// hibernateDue is called by the hibernation timer: it cuts the idling
// read short, as idleWake does for news, unless IDLE ended meanwhile.
func (s *session) hibernateDue() {
	s.hibernateMu.Lock()
	defer s.hibernateMu.Unlock()
	if s.hibernateTimer == nil {
		return
	}
	s.sleepy.Store(true)
	s.conn.SetReadDeadline(time.Now())
}

// armHibernation starts the timer after which an idling session
// hibernates, when the server has a Hibernator.
func (s *session) armHibernation() {
	h := s.opts.Hibernator
	if h == nil || s.view == nil || s.compressed {
		// A compressed session keeps its inflate state: it idles here
		// (compress.go).
		return
	}
	if d := h.HibernateAfter(); d > 0 {
		s.hibernateMu.Lock()
		s.sleepy.Store(false)
		s.hibernateTimer = time.AfterFunc(d, s.hibernateDue)
		s.hibernateMu.Unlock()
	}
}

// disarmHibernation stops the timer: IDLE is over, or hibernation is
// under way. Once it returns, the timer cuts no read short.
func (s *session) disarmHibernation() {
	s.hibernateMu.Lock()
	defer s.hibernateMu.Unlock()
	if s.hibernateTimer != nil {
		s.hibernateTimer.Stop()
		s.hibernateTimer = nil
	}
	s.sleepy.Store(false)
}

// hibernate tries to hand the idling session to the Hibernator. It
// reports true when the session has ended here; false when news came
// first or the holder declined, and the session goes on idling.
func (s *session) hibernate() bool {
	s.view.SetNotify(nil)
	s.disarmGoneCheck() // the holder watches the mailbox's path
	st, ok := s.view.State()
	if !ok {
		s.view.SetNotify(s.idleWake)
		s.armGoneCheck()
		return false
	}
	state := &SessionState{ID: s.id, User: *s.user, ReadOnly: s.readOnly, TLS: s.tls, Remote: s.remoteText,
		Mailbox: s.mailbox, MailboxReadOnly: s.view.ReadOnly(), IdleTag: s.idleTag, View: st}
	took, err := s.opts.Hibernator.Hibernate(state, []string{s.view.Path()}, s.drain)
	if err != nil {
		s.log.Error("imap: hibernation failed half-way; ending the session", "err", err)
		s.e.Raw("* BYE Server unavailable; reconnect\r\n").Flush()
		s.finish()
		return true
	}
	if !took {
		// The state did not fit a request line (a view of thousands of
		// scattered ranges), or the daemon declined: stay awake.
		s.log.Debug("imap: session stays awake: its hibernation was not taken", "uid-ranges", len(st.UIDs), "flag-sets", len(st.Flags))
		s.view.SetNotify(s.idleWake)
		s.armGoneCheck()
		return false
	}
	s.log.Debug("imap: session hibernated")
	s.finished = true
	s.view.Close()
	// Only this process's descriptor closes: the holder keeps the
	// connection open, so no goodbye and no shutdown of it.
	s.conn.Close()
	s.srv.ended(s)
	return true
}

// resumeSelected puts a session woken from hibernation back in the
// mailbox and the IDLE it left; the first Poll tells what changed since.
func (s *session) resumeSelected(st *SessionState) error {
	var v *storage.View
	var err error
	pause := resumePause
	for try := 1; ; try++ {
		v, err = s.account.SelectState(st.Mailbox, st.MailboxReadOnly, st.View)
		if err == nil || try == resumeTries || !resumeTransient(err) {
			break
		}
		// A mailbox that cannot be opened for a moment (an mbox lock
		// a delivery holds, EMFILE) is tried again: a BYE would have
		// the client reconnect and resync for nothing.
		time.Sleep(pause)
		pause *= 2
	}
	if err != nil {
		return err
	}
	s.view, s.mailbox, s.state = v, st.Mailbox, stateSelected
	s.idleTag = st.IdleTag
	if s.idleTag != "" {
		// The IDLE command line was read by the process that hibernated.
		s.d.MarkEnded()
	}
	return nil
}

// drain reads, without waiting, what the client sent that the session
// has not read.
func (s *session) drain() []byte {
	c := plainConn(s.conn)
	var out []byte
	if pc, ok := c.(*pendingConn); ok {
		pc.mu.Lock()
		out = append(out, pc.pending...)
		pc.pending = nil
		pc.mu.Unlock()
		c = pc.Conn
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return out
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return out
	}
	// No deadline: with one already past, the read would not be tried.
	c.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	for len(out) < 1<<20 {
		n := 0
		rc.Read(func(fd uintptr) bool {
			n, _ = syscall.Read(int(fd), buf) // non-blocking: EAGAIN when nothing is there
			return true
		})
		if n <= 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	return out
}

// resumeTries and resumePause bound how a session woken from hibernation
// tries again a mailbox it cannot open: 5 tries, 50 ms apart and then
// twice as long each time (0.75 s in all).
const (
	resumeTries = 5
	resumePause = 50 * time.Millisecond
)

// resumeTransient reports whether err, from the reopening of a
// hibernated session's mailbox, may pass: not a mailbox that went or
// changed its UIDVALIDITY, nor the store shutting down.
func resumeTransient(err error) bool {
	return !errors.Is(err, storage.ErrUIDValidityChanged) && !errors.Is(err, storage.ErrNoMailbox) &&
		!errors.Is(err, storage.ErrClosed)
}

// resumeFailure is what the BYE of a session that could not be put back
// in its mailbox says, by why (err from resumeSelected).
func resumeFailure(err error) string {
	switch {
	case errors.Is(err, storage.ErrUIDValidityChanged):
		return "The mailbox changed while you were away; select it again"
	case errors.Is(err, storage.ErrNoMailbox):
		return "Selected mailbox was deleted or moved while you were away, have to disconnect."
	}
	return "The mailbox cannot be opened right now; try again later"
}
