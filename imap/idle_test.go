package imap_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
)

// idle starts IDLE on c and checks the continuation request.
func (c *rawConn) idle(tag string) {
	c.t.Helper()
	c.send(tag + " IDLE")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		c.t.Fatalf("IDLE: %q", l)
	}
}

// expect reads lines until one equals want, failing on a tagged line.
func (c *rawConn) expect(want string) {
	c.t.Helper()
	for {
		l := c.line()
		if l == want {
			return
		}
		if !strings.HasPrefix(l, "* ") {
			c.t.Fatalf("waiting for %q: got %q", want, l)
		}
	}
}

func TestIdleEndsOnlyWithDone(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	// IDLE without a selected mailbox is valid and waits all the same.
	c.idle("a")
	c.send("NOOP")
	if l := c.line(); !strings.HasPrefix(l, "a BAD") {
		t.Fatalf("a line other than DONE: %q", l)
	}
	c.ok("b NOOP")
	// DONE in the same packet as IDLE, and in any case.
	c.send("c IDLE\r\ndone")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	if l := c.line(); !strings.HasPrefix(l, "c OK") {
		t.Fatalf("DONE sent with IDLE: %q", l)
	}
	// DONE sent a byte at a time.
	c.ok("s SELECT INBOX")
	c.idle("d")
	for _, b := range "DONE\r\n" {
		if _, err := c.conn.Write([]byte(string(b))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if l := c.line(); !strings.HasPrefix(l, "d OK") {
		t.Fatalf("DONE a byte at a time: %q", l)
	}
}

func TestIdlePushesEveryChange(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	b.appendMsg("INBOX", "", testMessage("one", "x"))
	a.ok("s SELECT INBOX")
	b.ok("s SELECT INBOX")
	// A change made before IDLE is sent when it starts.
	b.ok(`f STORE 1 +FLAGS (\Flagged)`)
	a.idle("i")
	a.expect(`* 1 FETCH (FLAGS (\Flagged \Recent))`)
	for n := 2; n <= 4; n++ {
		b.appendMsg("INBOX", "", testMessage("more", "x"))
		a.expect("* " + strconvItoa(n) + " EXISTS")
	}
	b.ok(`g STORE 2 +FLAGS.SILENT (\Deleted)`)
	b.ok("h EXPUNGE")
	a.expect("* 2 EXPUNGE")
	a.send("DONE")
	a.expect("i OK Completed")
	u := a.ok("n FETCH 1:* UID")
	if len(u) != 3 {
		t.Errorf("after IDLE, FETCH 1:* UID: %q", u)
	}
}

func TestIdleEndsAtShutdownAndTimeout(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.Timeout = 300 * time.Millisecond })
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.idle("i")
	start := time.Now()
	if l := c.line(); l != "* BYE Autologout; idle for too long" {
		t.Fatalf("after the idle timeout: %q", l)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("autologout after %v", d)
	}

	e = startServer(t, nil)
	c = e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.idle("i")
	d := e.raw()
	d.login("alice")
	done := make(chan error)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- e.srv.Close(ctx)
	}()
	if l := c.line(); l != "* BYE Server shutting down" {
		t.Fatalf("IDLE at shutdown: %q", l)
	}
	if l := d.line(); l != "* BYE Server shutting down" {
		t.Fatalf("waiting for a command at shutdown: %q", l)
	}
	if err := <-done; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestIdleOutlivesALateWake: idleWake sets its flag and then cuts the
// read short, in two steps, while the idling goroutine may clear the flag
// in between (it polls with the mailbox lock, which idleWake holds, only
// after clearing it). The read then times out with the flag clear, long
// before the client's time is up: that must be taken for news, not for
// the autologout. The test puts the session in that state directly, by
// cutting the server side's read short after the session was woken and
// had answered.
func TestIdleOutlivesALateWake(t *testing.T) {
	e := startServer(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
		e.srv.ServeConn(c, nil)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	a := &rawConn{t: t, conn: conn, r: bufio.NewReader(conn)}
	if g := a.line(); !strings.HasPrefix(g, "* OK ") {
		t.Fatalf("greeting %q", g)
	}
	b := e.raw()
	a.login("alice")
	b.login("alice")
	a.ok("s SELECT INBOX")
	a.idle("i")
	for n := 1; n <= 3; n++ {
		b.appendMsg("INBOX", "", testMessage("late wake", "x"))
		// The session has rearmed its read and written the news; now
		// the deadline of a wake whose flag it already cleared.
		a.expect("* " + strconvItoa(n) + " EXISTS")
		server.SetReadDeadline(time.Now())
	}
	b.appendMsg("INBOX", "", testMessage("after", "x"))
	a.expect("* 4 EXISTS")
	a.send("DONE")
	a.expect("i OK Completed")
	a.ok("n NOOP")
}
