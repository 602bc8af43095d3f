package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// TestSessionBook: the book follows a session through login and SELECT,
// and Kick ends it with the reason given.
func TestSessionBook(t *testing.T) {
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	book := tg.g.Sessions()
	c := dial(t, tg.addrs[0], "")
	if l := c.cmd("a LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	if l := c.cmd("b SELECT INBOX"); !strings.HasPrefix(l, "b OK") {
		t.Fatalf("SELECT: %q", l)
	}
	list := book.List()
	if len(list) != 1 {
		t.Fatalf("book: %+v, want one session", list)
	}
	r := list[0]
	if r.User != gateway.FirstUser || r.Mailbox != "INBOX" || r.Frontend != "imap" || r.State() != "selected" ||
		!strings.HasPrefix(r.Remote, "127.0.0.1:") || time.Since(r.Since) > time.Minute {
		t.Errorf("book entry %+v", r)
	}
	if k := book.Kick("nobody", "x"); len(k) != 0 {
		t.Errorf("kick nobody: %+v", k)
	}
	if k := book.Kick("127.0.0.1", "Disconnected by the administrator"); len(k) != 1 {
		t.Fatalf("kick 127.0.0.1: %+v", k)
	}
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil || strings.TrimRight(l, "\r\n") != "* BYE Disconnected by the administrator" {
		t.Errorf("after kick: %q, %v", l, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(book.List()) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if list := book.List(); len(list) != 0 {
		t.Errorf("book after the session ended: %+v", list)
	}
}
