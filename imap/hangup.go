package imap

import (
	"context"
	"time"
)

// A login's password check may wait: auth runs only so many costly
// verifications at once, and the others wait their turn for as long as
// their context lasts. A client that hangs up meanwhile must not keep its
// place in that queue, nor have its password verified when its turn
// comes, so the session watches the connection while the check runs. A
// reset counts; the end of the client's input does not, since a client
// that shut down only its sending side still reads the answer, and the
// check's context bounds its wait in any case.

// watchHangup watches the connection for the client hanging up, and then
// calls cancel, the end of the password check's context. The returned
// stop ends the watch; it must be called before the session reads from
// the connection again. A connection whose read cannot be cut short (a
// pipe in inetd mode has no deadlines) is not watched, nor one whose
// client has already sent more: either way the check runs to its end.
func (s *session) watchHangup(cancel context.CancelFunc) (stop func()) {
	if s.br.Ready() || s.conn.SetReadDeadline(s.readDeadline) != nil {
		return func() {}
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.br.Wait()
		if s.br.Broken() {
			cancel()
		}
	}()
	return func() {
		s.conn.SetReadDeadline(time.Now())
		<-watched
		// Our deadline's error is not the client's; what the client
		// sent, or its hanging up, is left for the next read.
		s.br.ClearTimeout()
		s.rearm()
	}
}
