package imap

import (
	"errors"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

// errIdling tells the dispatcher that IDLE has begun: the session's loop
// waits for DONE (idleStart) and answers the command then (idleDone).
var errIdling = errors.New("idling")

// cmdIdle: RFC 2177. Updates are sent as they happen until the client
// sends DONE.
func (s *session) cmdIdle(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	s.e.Raw("+ idling\r\n")
	if err := s.e.Flush(); err != nil {
		return err
	}
	s.idleTag = tag
	return errIdling
}

// idleStart sends what changed so far and leaves the wait to a new
// goroutine, idle, which starts with a small stack and holds no buffer.
// News from the mailbox interrupts its read (idleWake) rather than
// needing a second goroutine. The caller must touch the session no more
// after a nil return.
func (s *session) idleStart() error {
	if s.selectedGone() {
		return errSelectedGone // gone.go
	}
	if s.view != nil {
		// The session waits for news now: a mailbox that nobody
		// watched is watched from here on (storage's unwatched.go).
		s.view.Watch()
		s.view.Poll(true, s)
		s.flushVanished()
		if len(s.contexts) > 0 {
			s.updateContexts()
		}
		if err := s.e.Flush(); err != nil {
			return err
		}
		if s.conn.SetReadDeadline(s.readDeadline) != nil {
			// A pipe without deadlines (inetd mode on pipes): the read
			// cannot be cut short, so news needs a goroutine of its own.
			// The idle look wakes it through the view (gone.go).
			s.armGoneCheck()
			input := make(chan struct{}, 1)
			go s.idleInput(input)
			go s.idlePipe(input)
			return nil
		}
		s.rearm()
		s.woken.Store(false)
		s.view.SetNotify(s.idleWake)
		s.armGoneCheck() // gone.go
		if s.notify == nil {
			s.armHibernation()
		}
	}
	if s.notify != nil {
		// NOTIFY's news interrupts the wait too (notify.go).
		if s.view == nil {
			s.rearm()
			s.woken.Store(false)
		}
		s.notify.arm()
	}
	go s.idle()
	return nil
}

// idleInput waits for the client to send something (or for the connection
// to fail) and tells idlePipe. It touches only s.br.
func (s *session) idleInput(input chan<- struct{}) {
	s.br.Wait()
	input <- struct{}{}
}

// idlePipe is idle for connections without deadlines: it waits for the
// client's input or for news, which it writes while idleInput still reads.
func (s *session) idlePipe(input chan struct{}) {
	defer s.recovered()
	select {
	case <-input:
		s.loop()
	case <-s.view.Wake():
		if s.endIfGone() {
			return
		}
		s.view.Poll(true, s)
		s.flushVanished()
		if len(s.contexts) > 0 {
			s.updateContexts()
		}
		if err := s.e.Flush(); err != nil {
			s.ending(err)
			s.finish()
			return
		}
		go s.idlePipe(input)
	}
}

// idleWake is called by storage, with the mailbox locked, when news for
// the view is queued: it cuts the idling read short.
func (s *session) idleWake() {
	s.woken.Store(true)
	s.conn.SetReadDeadline(time.Now())
}

// interrupted reports whether the wait that just ended was cut short by
// the session itself (idleWake, the hibernation timer declined) rather
// than by the client, the autologout timer or shutdown; it then forgets
// the read's timeout, so that the wait can go on.
//
// The woken flag alone cannot tell: idleWake sets it and then sets the
// deadline, with the mailbox locked, while idle clears it and rearms the
// read without that lock. When idle clears the flag between the two
// steps, the deadline of that wake lands after the rearm, and the next
// wait times out with the flag clear although the client's time is far
// from up (idle's poll, which waits for the lock, has sent the news).
// Such a timeout is ours too: the autologout is only when the client's
// time has run out.
func (s *session) interrupted() bool {
	if s.stopping.Load() {
		return false
	}
	ours := s.woken.Load() || s.readDeadline.IsZero() || time.Now().Before(s.readDeadline)
	return ours && (s.br.ClearTimeout() || !s.br.Ready())
}

// idle waits for the client's next bytes. When the wait was cut short by
// idleWake, it pushes the news and waits again, in a new goroutine, so
// that what this one grew while writing is not kept while idling.
func (s *session) idle() {
	defer s.recovered()
	s.br.Wait()
	if s.sleepy.Load() && !s.stopping.Load() && s.br.ClearTimeout() {
		// The hibernation timer: hand the session over, unless news or
		// the holder say otherwise.
		s.disarmHibernation()
		if s.hibernate() {
			return
		}
		s.rearm()
		s.armHibernation()
		s.woken.Store(true)
	}
	if s.interrupted() {
		// Clear the flag before polling, so that news queued after the
		// poll interrupts the next wait.
		s.woken.Store(false)
		s.rearm()
		if s.endIfGone() {
			return
		}
		if s.view != nil {
			s.view.Poll(true, s)
			s.flushVanished()
			if len(s.contexts) > 0 {
				s.updateContexts()
			}
		}
		s.notifySend(false, true, false)
		if err := s.e.Flush(); err != nil {
			s.ending(err)
			s.finish()
			return
		}
		go s.idle()
		return
	}
	s.loop()
}

// idleDone reads the line that ends IDLE and answers the command.
func (s *session) idleDone() error {
	tag := s.idleTag
	s.idleTag = ""
	s.disarmHibernation()
	s.disarmGoneCheck()
	if s.notify != nil {
		s.notify.disarm()
		s.rearm()
	}
	if s.view != nil {
		// No more interruptions; undo one that came after the loop armed
		// the timeout, so that the rest of the line can be read.
		s.view.SetNotify(nil)
		s.rearm()
	}
	line, err := s.d.Line()
	switch {
	case errors.Is(err, wire.ErrLineTooLong):
		err = bad("Expected DONE to end IDLE; the line was too long")
	case err == nil && !strings.EqualFold(strings.TrimSpace(line), "DONE"):
		err = bad("Expected DONE to end IDLE")
	}
	cmd, _ := lookupCommand("IDLE", false)
	return s.complete(tag, "IDLE", cmd, false, err)
}
