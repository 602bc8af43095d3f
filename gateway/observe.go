package gateway

import (
	"time"

	"github.com/mailgate/mailgate/imap"
)

// imapObserver is the IMAP frontend's imap.Observer: it enters each
// session in the gateway's SessionBook and counts it in the metrics.
type imapObserver struct {
	g        *Gateway
	frontend string
}

// SessionStarted implements imap.Observer.
func (o imapObserver) SessionStarted(info imap.SessionInfo) imap.SessionObserver {
	return &sessionWatch{
		entry:    o.g.book.Open(info.ID, o.frontend, info.Remote, info.Kick),
		metrics:  o.g.metrics,
		frontend: o.frontend,
	}
}

// sessionWatch hears one IMAP session for the book and the metrics.
type sessionWatch struct {
	entry    *BookEntry
	metrics  *metrics
	frontend string
}

func (w *sessionWatch) LoggedIn(user string) {
	w.entry.LoggedIn(user)
	w.metrics.login(w.frontend, "ok")
}

func (w *sessionWatch) LoginFailed(result string) { w.metrics.login(w.frontend, result) }

func (w *sessionWatch) Selected(mailbox string) { w.entry.Selected(mailbox) }

func (w *sessionWatch) Command(name string, took time.Duration, result string) {
	w.metrics.command(w.frontend, name, took, result)
}

func (w *sessionWatch) Ended() { w.entry.Close() }

// observer is the imap.Observer of the gateway's IMAP frontends: the
// book in a daemon, the daemon's ear in a session process.
func (g *Gateway) observer() imap.Observer {
	switch {
	case g.parent != nil:
		return childObserver{g.parent}
	case g.book != nil:
		return imapObserver{g: g, frontend: "imap"}
	}
	return nil
}

// childObserver tells the daemon, from a session process, what the book
// and the metrics need: the selected mailbox and each command.
type childObserver struct{ p *parentControl }

func (o childObserver) SessionStarted(info imap.SessionInfo) imap.SessionObserver {
	o.p.kicks.started(info.Kick)
	return o
}

func (o childObserver) LoggedIn(string)    {} // counted by the daemon at login
func (o childObserver) LoginFailed(string) {}
func (o childObserver) Ended()             {}

func (o childObserver) Selected(mailbox string) {
	o.p.ask(ctlRequest{Op: "selected", Name: cutName(mailbox)})
}

func (o childObserver) Command(name string, took time.Duration, result string) {
	// A client's unknown command may be long: the daemon counts it as
	// "other" anyway, and reads no request over maxSessionRequest.
	o.p.ask(ctlRequest{Op: "command", Name: commandLabel(name), Took: took, Result: result})
}
