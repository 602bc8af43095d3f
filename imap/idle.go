package imap

import (
	"errors"
	"strings"
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

// idleStart sends what changed so far and leaves the wait to two new
// goroutines: idleInput waits for the client's DONE, idle for the
// mailbox's changes. Both start with small stacks and hold no buffer
// while they wait; the caller must touch the session no more after a nil
// return.
func (s *session) idleStart() error {
	if s.view != nil {
		s.view.Poll(true, s)
		if err := s.e.Flush(); err != nil {
			return err
		}
	}
	input := make(chan struct{}, 1)
	go s.idleInput(input)
	go s.idle(input)
	return nil
}

// idleInput waits for the client to send something (or for the connection
// to fail) and tells the idling goroutine. It touches only s.br.
func (s *session) idleInput(input chan<- struct{}) {
	s.br.Wait()
	input <- struct{}{}
}

// idle waits for the client's input or for a change in the mailbox. A
// change is pushed at once, and the wait goes on in a new goroutine, so
// that what this one grew while writing is not kept while idling.
func (s *session) idle(input chan struct{}) {
	defer s.recovered()
	var wake <-chan struct{}
	if s.view != nil {
		wake = s.view.Wake()
	}
	select {
	case <-input:
		s.loop()
	case <-wake:
		s.view.Poll(true, s)
		if err := s.e.Flush(); err != nil {
			s.ending(err)
			s.finish()
			return
		}
		go s.idle(input)
	}
}

// idleDone reads the line that ends IDLE and answers the command.
func (s *session) idleDone() error {
	tag := s.idleTag
	s.idleTag = ""
	line, err := s.readLine()
	if err == nil && !strings.EqualFold(strings.TrimSpace(line), "DONE") {
		err = bad("Expected DONE to end IDLE")
	}
	cmd, _ := lookupCommand("IDLE", false)
	return s.complete(tag, "IDLE", cmd, false, err)
}
