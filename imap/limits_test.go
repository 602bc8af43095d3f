package imap_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// waitNoSessions waits until the server serves no session.
func waitNoSessions(t *testing.T, e *testEnv, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for e.srv.Sessions() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still open after %v", e.srv.Sessions(), within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Issue 8, item 1: an APPEND whose literal does not arrive in full
// stores nothing, in maildir and in mbox.
func TestAppendCutShortStoresNothing(t *testing.T) {
	for _, typ := range []string{"maildir", "mbox"} {
		t.Run(typ, func(t *testing.T) {
			e := startServerLayout(t, func(_ string, l *storage.Layout) {
				l.Inbox = typ + ":$home/INBOX"
				l.DefaultType = typ
			}, nil)
			c := e.raw()
			c.login("alice")
			msg := testMessage("cut", strings.Repeat("body line\r\n", 100))
			c.send("a APPEND INBOX {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg[:418])
			c.conn.Close()
			waitNoSessions(t, e, 10*time.Second)

			c = e.raw()
			c.login("alice")
			if u := c.ok("s STATUS INBOX (MESSAGES)"); len(u) != 1 || u[0] != "* STATUS INBOX (MESSAGES 0)" {
				t.Errorf("after an APPEND cut short: %q", u)
			}
			if typ == "maildir" {
				for _, sub := range []string{"tmp", "new", "cur"} {
					if files, _ := os.ReadDir(filepath.Join(e.root, "alice", "INBOX", sub)); len(files) > 0 {
						t.Errorf("%s/ holds %d files", sub, len(files))
					}
				}
			}
		})
	}
}

// readToEnd reads what is left of a connection the server closes, and
// fails if it is not closed in time.
func (c *rawConn) readToEnd() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(c.r)
	if os.IsTimeout(err) {
		c.t.Fatalf("the server did not close the connection (read %q)", rest)
	}
	return string(rest)
}

// flood writes to the server until the connection fails or stop is
// closed, as a client sending a huge literal does.
func (c *rawConn) flood(stop chan struct{}) {
	chunk := []byte(strings.Repeat("x", 64<<10))
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.conn.Write(chunk); err != nil {
				return
			}
		}
	}()
}

// Issue 8, item 18: a non-synchronising literal far over the limits is
// answered at once and the connection closed (RFC 7888 section 4);
// within the slack it is read, dropped and refused, and the session goes
// on; synchronising ones are refused before the client sends them.
func TestOversizedLiterals(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.MaxLiteral = 1000 })
	c := e.raw()
	c.login("alice")
	c.send("a APPEND INBOX {2000+}\r\n" + strings.Repeat("y", 2000))
	if l := c.line(); !strings.HasPrefix(l, "a NO [TOOBIG]") {
		t.Errorf("APPEND a little over APPENDLIMIT: %q", l)
	}
	c.send("b APPEND INBOX {99999999999}")
	if l := c.line(); !strings.HasPrefix(l, "b NO [TOOBIG]") {
		t.Errorf("synchronising APPEND far over APPENDLIMIT: %q", l)
	}
	c.send("c CREATE {70000+}\r\n" + strings.Repeat("z", 70000))
	if l := c.line(); !strings.HasPrefix(l, "c BAD") {
		t.Errorf("string literal a little over the line limit: %q", l)
	}
	c.ok("d NOOP")

	for _, tc := range []struct {
		name, cmd, want string
	}{
		{"APPEND", "x APPEND INBOX {99999999999+}", "x NO [TOOBIG]"},
		{"string", "x CREATE {99999999999+}", "x NO [TOOBIG]"},
		{"skipped", "x NOOP {99999999999+}", ""},
		{"line", "x NOOP ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.raw()
			c.t = t
			c.login("alice")
			if tc.name == "line" {
				io.WriteString(c.conn, tc.cmd) // the flood goes on with the line
			} else {
				c.send(tc.cmd)
			}
			stop := make(chan struct{})
			defer close(stop)
			c.flood(stop)
			if tc.want != "" {
				if l := c.line(); !strings.HasPrefix(l, tc.want) {
					t.Fatalf("tagged reply: %q", l)
				}
			}
			if l := c.line(); !strings.HasPrefix(l, "* BYE [TOOBIG]") {
				t.Fatalf("goodbye: %q", l)
			}
			if rest := c.readToEnd(); rest != "" {
				t.Errorf("after BYE: %q", rest)
			}
		})
	}
}

// Issue 8, item 19: the rest of an over-long line is dropped before it is
// answered, in command lines, AUTHENTICATE responses and IDLE's DONE: one
// BAD, and the next command is read in step.
func TestOverlongLinesDropped(t *testing.T) {
	e := startServer(t, nil)
	long := strings.Repeat("QUFB", 70000/4)
	for _, tc := range []struct {
		name  string
		start func(c *rawConn)
		line  string
	}{
		{"command", func(c *rawConn) {}, "x NOOP " + long},
		{"AUTHENTICATE", func(c *rawConn) {
			c.send("x AUTHENTICATE PLAIN")
			if l := c.line(); l != "+ " {
				t.Fatalf("AUTHENTICATE: %q", l)
			}
		}, long},
		{"IDLE", func(c *rawConn) {
			c.login("alice")
			c.idle("x")
		}, long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.raw()
			c.t = t
			tc.start(c)
			c.send(tc.line + "\r\ny NOOP")
			var got []string
			for {
				l := c.line()
				got = append(got, l)
				if strings.HasPrefix(l, "y ") {
					break
				}
			}
			if len(got) != 2 || !strings.HasPrefix(got[0], "x BAD") || got[1] != "y OK Completed" {
				for i := range got {
					got[i] = got[i][:min(len(got[i]), 60)]
				}
				t.Errorf("after a %d-byte line: %q (lines cut at 60 bytes)", len(tc.line), got)
			}
		})
	}
}

// Issue 8, item 14: a client that stops reading is disconnected once a
// write has waited WriteTimeout, and its session ends.
func TestWriteTimeoutEndsSession(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.WriteTimeout = 200 * time.Millisecond })
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("big", strings.Repeat(strings.Repeat("b", 998)+"\r\n", 2000)))
	c.ok("s SELECT INBOX")
	// About 80 MB of answers, more than any socket buffers hold; the
	// client reads none of it.
	c.send(strings.Repeat("f FETCH 1 BODY.PEEK[]\r\n", 40))
	waitNoSessions(t, e, 60*time.Second)
}
