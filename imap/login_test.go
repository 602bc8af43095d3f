package imap_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
)

// capture sends the server's logs, at every level, to a buffer.
func capture(o *imap.Options) *dvLockedBuffer {
	b := &dvLockedBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return b
}

// countingAuth counts the password checks that reach the users file.
type countingAuth struct {
	auth.Authenticator
	checks atomic.Int64
}

func (c *countingAuth) Authenticate(ctx context.Context, name, password string) (*auth.User, error) {
	c.checks.Add(1)
	return c.Authenticator.Authenticate(ctx, name, password)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// loginWays are the ways a client sends a password; each returns the
// tagged reply.
var loginWays = []struct {
	name string
	do   func(c *rawConn, user, password string) string
}{
	{"LOGIN", func(c *rawConn, user, password string) string {
		_, done := c.do("x LOGIN " + user + " " + password)
		return done
	}},
	{"AUTHENTICATE PLAIN with initial response", func(c *rawConn, user, password string) string {
		_, done := c.do("x AUTHENTICATE PLAIN " + b64("\x00"+user+"\x00"+password))
		return done
	}},
	{"AUTHENTICATE PLAIN", func(c *rawConn, user, password string) string {
		c.send("x AUTHENTICATE PLAIN")
		if l := c.line(); l != "+ " {
			c.t.Fatalf("AUTHENTICATE PLAIN: %q", l)
		}
		c.send(b64("\x00" + user + "\x00" + password))
		return c.tagged("x")
	}},
	{"AUTHENTICATE LOGIN", func(c *rawConn, user, password string) string {
		c.send("x AUTHENTICATE LOGIN")
		if l := c.line(); l != "+ "+b64("Username:") {
			c.t.Fatalf("AUTHENTICATE LOGIN: %q", l)
		}
		c.send(b64(user))
		if l := c.line(); l != "+ "+b64("Password:") {
			c.t.Fatalf("AUTHENTICATE LOGIN: %q", l)
		}
		c.send(b64(password))
		return c.tagged("x")
	}},
}

// tagged reads lines up to the one tagged tag, and returns it.
func (c *rawConn) tagged(tag string) string {
	c.t.Helper()
	for {
		if l := c.line(); strings.HasPrefix(l, tag+" ") {
			return l
		}
	}
}

const authFailed = "x NO [AUTHENTICATIONFAILED] Authentication failed"

// Issue 8, item 8: while a user name or an address is blocked, the right
// password gets the same answer as a wrong one, through every mechanism,
// and the password is not even checked.
func TestBlockedLoginIsNotChecked(t *testing.T) {
	for _, scope := range []string{"user", "address"} {
		t.Run(scope, func(t *testing.T) {
			throttle := auth.NewThrottle(&auth.ThrottleOptions{Limit: 3, AddressLimit: 100,
				Delay: time.Millisecond, MaxDelay: 5 * time.Millisecond, BlockFor: time.Hour, Logger: quietLogger()})
			if scope == "address" {
				throttle = auth.NewThrottle(&auth.ThrottleOptions{Limit: 100, AddressLimit: 3,
					Delay: time.Millisecond, MaxDelay: 5 * time.Millisecond, BlockFor: time.Hour, Logger: quietLogger()})
			}
			counter := &countingAuth{}
			e := startServer(t, func(o *imap.Options) {
				o.Throttle = throttle
				counter.Authenticator = o.Authenticator
				o.Authenticator = counter
			})
			c := e.raw()
			for _, user := range []string{"alice", "alice", "alice"} {
				if done := loginWays[0].do(c, user, "wrong"); done != authFailed {
					t.Fatalf("wrong password: %q", done)
				}
			}
			if len(throttle.Blocks()) == 0 {
				t.Fatal("three failures did not block")
			}
			checked := counter.checks.Load()
			for _, way := range loginWays {
				for _, password := range []string{"secret", "wrong"} {
					c := e.raw() // a connection may fail only so often
					if done := way.do(c, "alice", password); done != authFailed {
						t.Errorf("%s with password %q during the block: %q", way.name, password, done)
					}
				}
			}
			if n := counter.checks.Load(); n != checked {
				t.Errorf("%d passwords were checked during the block", n-checked)
			}
			c = e.raw()
			_, done := c.do("x LOGIN bob secret")
			if scope == "user" && !strings.HasPrefix(done, "x OK") {
				t.Errorf("bob, not blocked, could not log in from the same address: %q", done)
			}
			if scope == "address" && done != authFailed {
				t.Errorf("bob logged in from a blocked address: %q", done)
			}
		})
	}
}

// Issue 8, item 10: the last failure a connection may have gets its tagged
// NO, then one BYE, then the connection closes; failures through every
// mechanism count alike, per address and user name.
func TestLoginFailures(t *testing.T) {
	throttle := auth.NewThrottle(&auth.ThrottleOptions{Limit: 4, Delay: time.Millisecond,
		MaxDelay: 5 * time.Millisecond, BlockFor: time.Hour, Logger: quietLogger()})
	e := startServer(t, func(o *imap.Options) { o.Throttle = throttle })
	c := e.raw()
	for _, way := range loginWays {
		if done := way.do(c, "alice", "wrong"); done != authFailed {
			t.Fatalf("%s: %q", way.name, done)
		}
	}
	blocks := throttle.Blocks()
	if len(blocks) != 1 || blocks[0].User != "alice" || blocks[0].Failures != 4 ||
		blocks[0].Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("after four failures in four mechanisms, blocks %+v", blocks)
	}
	c.send("x LOGIN bob wrong")
	if l := c.line(); l != authFailed {
		t.Fatalf("fifth failure: %q", l)
	}
	if l := c.line(); l != "* BYE Too many failed logins" {
		t.Fatalf("after the fifth failure: %q", l)
	}
	if rest, err := io.ReadAll(c.r); len(rest) > 0 || err != nil {
		t.Fatalf("after BYE: %q, %v", rest, err)
	}
}

// Issue 8, item 25: login-disabled refuses LOGIN only.
func TestLoginDisabledLeavesAuthenticate(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.LoginDisabled = true })
	c := e.raw()
	u := c.ok("a CAPABILITY")
	if !strings.Contains(u[0], " LOGINDISABLED") || !strings.Contains(u[0], " AUTH=PLAIN") {
		t.Errorf("CAPABILITY with login-disabled: %q", u[0])
	}
	if _, done := c.do("b LOGIN alice secret"); !strings.HasPrefix(done, "b NO") {
		t.Errorf("LOGIN with login-disabled: %q", done)
	}
	c.ok("c AUTHENTICATE PLAIN " + b64("\x00alice\x00secret"))
}

// Issue 8, item 15: a client that has not logged in is cut off when its
// login time is up, however busy it keeps the connection; one that has
// logged in is not.
func TestLoginTimeout(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.LoginTimeout = 300 * time.Millisecond })
	t.Run("a NOOP at a time", func(t *testing.T) {
		c := e.raw()
		c.t = t
		for i := 0; ; i++ {
			if i == 400 {
				t.Fatal("still connected after 400 NOOPs")
			}
			c.send("n NOOP")
			l := c.line()
			if strings.HasPrefix(l, "* BYE") {
				checkLoginTimeoutBye(t, c, l)
				return
			}
			if l != "n OK Completed" {
				t.Fatalf("NOOP: %q", l)
			}
			time.Sleep(25 * time.Millisecond)
		}
	})
	t.Run("a byte at a time", func(t *testing.T) {
		c := e.raw()
		c.t = t
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(25 * time.Millisecond):
					c.conn.Write([]byte("x"))
				}
			}
		}()
		checkLoginTimeoutBye(t, c, c.line())
	})
	t.Run("logged in", func(t *testing.T) {
		c := e.raw()
		c.t = t
		c.login("alice")
		time.Sleep(600 * time.Millisecond) // twice the login time
		c.ok("n NOOP")
	})
}

// checkLoginTimeoutBye checks the goodbye of a login timeout, and that
// nothing follows it.
func checkLoginTimeoutBye(t *testing.T, c *rawConn, l string) {
	t.Helper()
	if !strings.HasPrefix(l, "* BYE Login timeout") {
		t.Fatalf("at the login timeout: %q", l)
	}
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	// A reset is as good as an end: the client may have written after
	// the server closed.
	if rest, _ := io.ReadAll(c.r); len(rest) > 0 {
		t.Fatalf("after BYE: %q", rest)
	}
}

// slotConn is a connection whose host counts sessions: it records, in
// order, what the session writes and what it tells its slot.
type slotConn struct {
	net.Conn
	mu     sync.Mutex
	events []string
}

func (c *slotConn) record(ev string) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
}

func (c *slotConn) Write(p []byte) (int, error) {
	c.record("write " + string(p))
	return c.Conn.Write(p)
}

func (c *slotConn) LoggedIn(user string) { c.record("logged in " + user) }
func (c *slotConn) Release()             { c.record("release") }

// index returns where the first event starting with prefix (or, for a
// write, containing it) is, or -1.
func (c *slotConn) index(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, ev := range c.events {
		if strings.HasPrefix(ev, prefix) || strings.HasPrefix(ev, "write ") && strings.Contains(ev, prefix) {
			return i
		}
	}
	return -1
}

func (c *slotConn) count(ev string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if e == ev {
			n++
		}
	}
	return n
}

// serveSlot serves one connection through ServeConn, wrapped in a
// slotConn, and returns the client's side, the slotConn and a channel
// closed when the session has ended.
func serveSlot(t *testing.T, e *testEnv, preauth *auth.User) (*rawConn, *slotConn, chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // if the test ends before Accept
	sc := &slotConn{}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		// The listener closes only after Accept: closing it earlier (when
		// serveSlot returns) resets a connection still in its backlog,
		// which a loaded machine showed as "connection reset".
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		sc.Conn = c
		e.srv.ServeConn(sc, preauth)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, r: bufio.NewReader(conn)}, sc, ended
}

// Issue 8, items 15 and 16: the session tells its slot when it has logged
// in, and gives the slot back after "* BYE" and before the tagged OK of
// LOGOUT, so that a client that reconnects at once finds it free.
func TestSlotLoggedInAndReleasedBeforeLogoutOK(t *testing.T) {
	e := startServer(t, nil)
	c, sc, ended := serveSlot(t, e, nil)
	if g := c.line(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	c.login("alice")
	if sc.index("logged in alice") < 0 {
		t.Errorf("LoggedIn was not called: %q", sc.events)
	}
	c.ok("x LOGOUT")
	<-ended
	bye, release, ok := sc.index("* BYE Logging out"), sc.index("release"), sc.index("x OK")
	if bye < 0 || release < 0 || ok < 0 || !(bye < release && release < ok) {
		t.Errorf("BYE at %d, Release at %d, OK at %d; want them in this order: %q", bye, release, ok, sc.events)
	}
	if n := sc.count("release"); n != 1 {
		t.Errorf("Release called %d times", n)
	}

	// A session that starts preauthenticated counts as logged in, and
	// one that the client drops gives its slot back too.
	alice := &auth.User{Name: "alice", Home: e.root + "/alice"}
	c, sc, ended = serveSlot(t, e, alice)
	if g := c.line(); !strings.HasPrefix(g, "* PREAUTH") {
		t.Fatalf("greeting %q", g)
	}
	c.conn.Close()
	<-ended
	if sc.index("logged in alice") < 0 || sc.count("release") != 1 {
		t.Errorf("preauth session: %q", sc.events)
	}
}

// Issue 8, item 30: the session numbers in the logs come from
// Options.SessionID when it is set.
func TestSessionIDFromOptions(t *testing.T) {
	var logs *dvLockedBuffer
	var next atomic.Uint64
	next.Store(1000)
	e := startServer(t, func(o *imap.Options) {
		logs = capture(o)
		o.SessionID = func() uint64 { return next.Add(1) }
	})
	c := e.raw()
	c.login("alice")
	if !strings.Contains(logs.String(), `msg="imap: logged in" conn=1001 `) {
		t.Errorf("log without conn=1001:\n%s", logs)
	}
}
