package imap

import "strings"

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
	s.armTimeout()
	type lineResult struct {
		line string
		err  error
	}
	done := make(chan lineResult, 1)
	go func() {
		line, err := s.readLine()
		done <- lineResult{line, err}
	}()
	var wake <-chan struct{}
	for {
		if s.view != nil {
			wake = s.view.Wake()
			s.view.Poll(true, s)
			if err := s.e.Flush(); err != nil {
				return err
			}
		}
		select {
		case <-wake:
		case r := <-done:
			if r.err != nil {
				return r.err
			}
			if !strings.EqualFold(strings.TrimSpace(r.line), "DONE") {
				return bad("Expected DONE to end IDLE")
			}
			return nil
		}
	}
}
