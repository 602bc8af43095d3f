package imap

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// A session whose selected mailbox goes (deleted or renamed by any
// session of this process, removed, moved or made anew by another
// program: storage's gone.go) cannot go on with it: its messages are no
// more, and RFC 3501 section 2.3.1.1 forbids a UIDVALIDITY change while
// the mailbox is selected. As Dovecot does, the session ends with BYE
// where it would next tell the client of the mailbox:
//   - at the start of a command that reads or changes the selected
//     mailbox, or tells of its changes (touchesSelected: FETCH, STORE,
//     SEARCH, NOOP, IDLE...): BYE, and the command does not run, so no
//     tagged answer;
//   - after such a command's answer, when the mailbox went while it ran;
//     and after the answer of the session's own DELETE of it (Dovecot's
//     cmd-delete.c disconnects then);
//   - during IDLE and NOTIFY's wait: storage wakes the view's session
//     when the mailbox goes, which then says BYE rather than the news.
//     Every goneCheckEvery the session asks storage to look whether the
//     mailbox is still at its path (View.CheckGone), as Dovecot checks
//     an idling mailbox every mailbox_idle_check_interval (30 s): the
//     watch of a maildir's new/ and cur/ hears nothing of a move of the
//     maildir itself.
//
// Other commands run: a client may leave the mailbox with SELECT,
// EXAMINE, UNSELECT or LOGOUT, and LIST, CREATE, RENAME or DELETE other
// mailboxes meanwhile, as it may with Dovecot (whose own RENAME of the
// selected mailbox, say, is answered OK, and its next NOOP BYE). No
// command hears of a gone mailbox's changes (complete skips its Poll).
//
// A RENAME of INBOX moves its messages and leaves INBOX where it is: its
// sessions hear EXPUNGEs and go on.

// errSelectedGone ends a session whose selected mailbox is gone; ending
// says the goodbye (sayGone).
var errSelectedGone = errors.New("the selected mailbox is gone")

// selectedGone reports whether the session has a mailbox selected that
// is gone.
func (s *session) selectedGone() bool {
	return s.view != nil && s.view.GoneWhy() != storage.NotGone
}

// endIfGone ends the session with BYE when its selected mailbox is
// gone, as a wait for news (IDLE, NOTIFY) wakes; it reports whether it
// did, and the caller then touches the session no more.
func (s *session) endIfGone() bool {
	if !s.selectedGone() {
		return false
	}
	s.ending(errSelectedGone)
	s.finish()
	return true
}

// touchesSelected reports whether the command named name reads or
// changes the selected mailbox or tells of its changes, which a session
// whose mailbox is gone does not do (see the top of gone.go).
func touchesSelected(name string, cmd command) bool {
	switch name {
	case "NOOP", "IDLE":
		return true
	case "UNSELECT":
		return false // leaves it
	}
	return cmd.states == selectedOnly
}

// byeAfter reports whether the session ends after answering the command
// named name: its selected mailbox went while the command touched it,
// or the command deleted it.
func (s *session) byeAfter(name string, cmd command) bool {
	if s.view == nil {
		return false
	}
	why := s.view.GoneWhy()
	return why != storage.NotGone && (touchesSelected(name, cmd) || name == "DELETE" && why == storage.GoneDeleted)
}

// sayGone logs why the selected mailbox is gone and says goodbye.
func (s *session) sayGone() {
	why := s.view.GoneWhy()
	s.log.Info("imap: the selected mailbox is gone; closing the session", "mailbox", s.mailbox, "reason", why.String())
	s.e.Raw("* BYE ").Raw(goneText(why)).CRLF().Flush()
	// The client may be sending a command meanwhile: the goodbye must
	// not be lost to a reset of the connection.
	s.linger = true
}

// goneText is what the BYE says for why. Dovecot's wording for a DELETE:
// "Selected mailbox was deleted, have to disconnect."
func goneText(why storage.GoneReason) string {
	switch why {
	case storage.GoneDeleted:
		return "Selected mailbox was deleted, have to disconnect."
	case storage.GoneRenamed:
		return "Selected mailbox was renamed, have to disconnect."
	case storage.GoneReset:
		return "Selected mailbox was made anew (its UIDVALIDITY changed), have to disconnect."
	default:
		return "Selected mailbox was removed or moved by another program, have to disconnect."
	}
}

// goneCheckEvery is how often, in nanoseconds, an idling session asks
// whether its mailbox is still at its path (View.CheckGone); the tests
// shorten it.
var goneCheckEvery atomic.Int64

func init() { goneCheckEvery.Store(int64(30 * time.Second)) }

// armGoneCheck starts the look every goneCheckEvery while the session
// waits for its client with a mailbox selected; news of a mailbox gone
// wakes the wait through the view (idleWake, NOTIFY's poke).
func (s *session) armGoneCheck() {
	if s.view == nil {
		return
	}
	v, every := s.view, time.Duration(goneCheckEvery.Load())
	s.goneMu.Lock()
	defer s.goneMu.Unlock()
	var t *time.Timer
	t = time.AfterFunc(every, func() {
		v.CheckGone()
		s.goneMu.Lock()
		if s.goneTimer == t {
			t.Reset(every)
		}
		s.goneMu.Unlock()
	})
	s.goneTimer = t
}

// disarmGoneCheck stops the look; once it returns, the timer starts no
// new one.
func (s *session) disarmGoneCheck() {
	s.goneMu.Lock()
	defer s.goneMu.Unlock()
	if s.goneTimer != nil {
		s.goneTimer.Stop()
		s.goneTimer = nil
	}
}
