package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/gateway"
)

// slotConn is a connection that records what its session reports through
// imap.Slot.
type slotConn struct {
	net.Conn
	loggedIn, released         chan struct{}
	loggedInOnce, releasedOnce sync.Once
}

func (c *slotConn) LoggedIn(string) { c.loggedInOnce.Do(func() { close(c.loggedIn) }) }
func (c *slotConn) Release()        { c.releasedOnce.Do(func() { close(c.released) }) }

// TestSlotProbe: an imap session on a connection that implements imap.Slot
// reports its login and gives the slot back before LOGOUT is answered;
// the gateway's slot accounting over real sessions relies on both.
func TestSlotProbe(t *testing.T) {
	dir := t.TempDir()
	g := stdioGateway(t, filepath.Join(dir, "data"))
	ours, theirs := net.Pipe()
	sc := &slotConn{Conn: theirs, loggedIn: make(chan struct{}), released: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.ServeConn(sc, &auth.User{Name: "probe", Home: dir, UID: -1, GID: -1})
	}()
	defer func() { ours.Close(); <-done }()
	ours.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(ours)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	io.WriteString(ours, "a LOGOUT\r\n")
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("LOGOUT: %v", err)
		}
		if strings.HasPrefix(l, "a ") {
			break
		}
	}
	for name, c := range map[string]chan struct{}{"LoggedIn": sc.loggedIn, "Release before LOGOUT's OK": sc.released} {
		select {
		case <-c:
		default:
			t.Errorf("the session did not call %s", name)
		}
	}
}

// TestLogoutReconnect: with every session slot in use, a client that logs
// out and connects again at once is not refused: its slot was given back
// before LOGOUT was answered (issue 8, item 16).
func TestLogoutReconnect(t *testing.T) {
	tg := startGateway(t, "max-children = 2\n[[server]]\naddress = \"127.0.0.1:0\"\n")
	login := func() *client {
		c := dial(t, tg.addrs[0], "")
		if !strings.HasPrefix(c.greeting, "* OK") {
			t.Fatalf("greeting %q", c.greeting)
		}
		if l := c.cmd("a LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "a OK") {
			t.Fatalf("LOGIN: %q", l)
		}
		return c
	}
	login() // holds one slot throughout
	for i := 0; i < 20; i++ {
		c := login()
		if l := c.cmd("z LOGOUT"); !strings.HasPrefix(l, "z OK") {
			t.Fatalf("LOGOUT: %q", l)
		}
		// No pause: the next connection comes before this one is closed.
		again := dial(t, tg.addrs[0], "")
		if !strings.HasPrefix(again.greeting, "* OK") {
			t.Fatalf("round %d: reconnecting right after LOGOUT: %q", i+1, again.greeting)
		}
		// Its own LOGOUT gives its slot back too, so the next round
		// starts with one slot free again.
		if l := again.cmd("y LOGOUT"); !strings.HasPrefix(l, "y OK") {
			t.Fatalf("LOGOUT: %q", l)
		}
	}
}

// TestLoginTimeout: a connection that never logs in is closed after
// [[server]] login-timeout, not after the 30 minute idle timeout (issue 8,
// item 15). The imap package implements the timeout on the branch that
// implements imap.Slot; the test waits for that branch.
func TestLoginTimeout(t *testing.T) {
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\nlogin-timeout = \"1s\"\n")
	c := dial(t, tg.addrs[0], "")
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	// Busy but never logging in: the login timeout counts from the
	// connection, not from the last command.
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		if _, err = io.WriteString(c.conn, "n NOOP\r\n"); err == nil {
			for {
				var l string
				if l, err = c.r.ReadString('\n'); err != nil || strings.HasPrefix(l, "n ") {
					break
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err == nil {
		t.Fatal("a connection that never logged in stayed connected through 100 NOOPs over 10 seconds with login-timeout 1s")
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server did not close the connection: %v", err)
	}
}

// TestSessionIDsAcrossListeners: the conn= numbers in the log are unique
// across every listener of the gateway (issue 8, item 30). The imap
// package numbers with SessionID on the branch that implements imap.Slot.
func TestSessionIDsAcrossListeners(t *testing.T) {
	var logs lockedBuffer
	tg := startGatewayLogged(t, t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)),
		"[[server]]\naddress = \"127.0.0.1:0\"\n[[server]]\naddress = \"127.0.0.2:0\"\n")
	for i, addr := range []string{tg.addrs[0], tg.addrs[1], tg.addrs[0], tg.addrs[1]} {
		c := dial(t, addr, "")
		c.cmd(fmt.Sprintf("a%d LOGIN nobody-%d wrong", i, i))
	}
	ids := map[string]string{}
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, "login failed") {
			continue
		}
		conn, user := field(line, "conn"), ""
		for _, f := range strings.Fields(line) {
			if strings.Contains(f, "nobody-") {
				user = f
			}
		}
		if other, dup := ids[conn]; dup {
			t.Errorf("conn=%s is both %q and %q", conn, other, line)
		}
		ids[conn] = line + user
	}
	if len(ids) != 4 {
		t.Errorf("%d distinct conn= numbers for 4 failed logins:\n%s", len(ids), logs.String())
	}
}

// field returns the value of key=value in a text log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// lockedBuffer collects logs written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
