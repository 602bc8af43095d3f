package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// echoFrontend is a program's own frontend, as an embedder writes one: it
// greets with "HELLO", echoes lines, and refuses with "NO reason".
type echoFrontend struct {
	mu     sync.Mutex
	lns    []net.Listener
	closed bool
}

func (f *echoFrontend) Serve(ln net.Listener) error {
	f.mu.Lock()
	f.lns = append(f.lns, ln)
	f.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go f.ServeConn(c)
	}
}

func (f *echoFrontend) ServeConn(c net.Conn) {
	defer c.Close()
	if slot, ok := c.(interface{ LoggedIn(string) }); ok {
		slot.LoggedIn("") // no login in this protocol
	}
	io.WriteString(c, "HELLO\n")
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		io.WriteString(c, line)
	}
}

func (f *echoFrontend) Refuse(c net.Conn, reason string) {
	io.WriteString(c, "NO "+reason+"\n")
	c.Close()
}

func (f *echoFrontend) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, ln := range f.lns {
		ln.Close()
	}
	return nil
}

// TestRegisterFrontend: a frontend registered by an embedding program is
// served beside IMAP, behind the same access list, refuses in its own
// words, and is closed when the gateway stops (issue 12, section 5).
func TestRegisterFrontend(t *testing.T) {
	f := &echoFrontend{}
	tg := startGatewayWith(t, t.TempDir(), slog.New(slog.DiscardHandler),
		"[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.2\"\n[[server]]\naddress = \"127.0.0.1:0\"\n",
		func(g *gateway.Gateway) int {
			if err := g.Register("echo", f, gateway.Listener{Address: "127.0.0.1:0"}); err != nil {
				t.Fatal(err)
			}
			if err := g.Register("bad", f, gateway.Listener{}); err == nil {
				t.Error("Register took a listener without an address")
			}
			return 1
		})
	if err := tg.g.Register("late", f, gateway.Listener{Address: "127.0.0.1:0"}); err == nil {
		t.Error("Register after Run succeeded")
	}
	echoAddr := tg.addrs[1]
	talk := func(from, send string) []string {
		t.Helper()
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", echoAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, send)
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		b, _ := io.ReadAll(c)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	if got := talk("127.0.0.1", "ping\n"); strings.Join(got, "|") != "HELLO|ping" {
		t.Errorf("the echo frontend said %q", got)
	}
	if got := talk("127.0.0.2", "ping\n"); strings.Join(got, "|") != "NO Access denied" {
		t.Errorf("a client the access list denies heard %q", got)
	}
	if c := dial(t, tg.addrs[0], ""); !strings.HasPrefix(c.greeting, "* OK") {
		t.Errorf("IMAP beside it: %q", c.greeting)
	}
	tg.stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		t.Error("the gateway did not close the registered frontend")
	}
}

// A listener with MaxConnections holds that many connections at once;
// the next waits, unanswered, until one of them closes. A refused
// client's connection gives its place back too.
func TestListenerMaxConnections(t *testing.T) {
	f := &echoFrontend{}
	const max = 3
	tg := startGatewayWith(t, t.TempDir(), slog.New(slog.DiscardHandler),
		"[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.2\"\n[[server]]\naddress = \"127.0.0.1:0\"\n",
		func(g *gateway.Gateway) int {
			if err := g.Register("echo", f, gateway.Listener{Address: "127.0.0.1:0", Unlimited: true, MaxConnections: max}); err != nil {
				t.Fatal(err)
			}
			return 1
		})
	addr := tg.addrs[1]
	open := func(from string) (net.Conn, *bufio.Reader) {
		t.Helper()
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	// Refused clients pass through the cap and leave it.
	for range 2 * max {
		c, r := open("127.0.0.2")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if line, _ := r.ReadString('\n'); line != "NO Access denied\n" {
			t.Fatalf("a denied client heard %q", line)
		}
	}
	checkConnectionCap(t, addr, max, nil, func(r *bufio.Reader) bool {
		line, err := r.ReadString('\n')
		return err == nil && line == "HELLO\n"
	})
}

// checkConnectionCap checks that the endpoint at addr holds max
// connections at once: max connections are answered and left idle; the
// next one's request then gets no answer, and gets it once one of the
// others closes. ask sends a connection's request (nil: it sends none,
// the endpoint speaks first); answered reads the answer and reports
// whether it came.
func checkConnectionCap(t *testing.T, addr string, max int, ask func(c net.Conn), answered func(r *bufio.Reader) bool) {
	t.Helper()
	open := func() (net.Conn, *bufio.Reader) {
		t.Helper()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if ask != nil {
			ask(c)
		}
		return c, bufio.NewReader(c)
	}
	within := func(c net.Conn, r *bufio.Reader, d time.Duration) bool {
		c.SetReadDeadline(time.Now().Add(d))
		defer c.SetReadDeadline(time.Time{})
		return answered(r)
	}
	var held []net.Conn
	for i := range max {
		c, r := open()
		if !within(c, r, 10*time.Second) {
			t.Fatalf("%s: connection %d of %d was not answered", addr, i+1, max)
		}
		held = append(held, c)
	}
	c, r := open()
	if within(c, r, 300*time.Millisecond) {
		t.Fatalf("%s: connection %d was answered beside %d idle ones; the cap is %d", addr, max+1, max, max)
	}
	held[0].Close()
	if !within(c, r, 10*time.Second) {
		t.Errorf("%s: the waiting connection was not answered after one of the others closed", addr)
	}
	for _, c := range held[1:] {
		c.Close()
	}
}

// The [proxy-auth] listeners take no session slot, but hold a bounded
// number of connections: a local user (or anyone the access list lets
// in) who opens hundreds of connections to the socketmap or auth_http
// endpoint does not run the daemon out of descriptors.
func TestProxyAuthCapsConnections(t *testing.T) {
	authAddr, smAddr := freeAddr(t), freeAddr(t)
	startGateway(t, fmt.Sprintf(`[[server]]
address = "127.0.0.1:0"
[proxy-auth]
listen = %q
socketmap-listen = %q
[[proxy-auth.node]]
name = "a"
imap = "127.0.0.1:1143"
lmtp = "127.0.0.1:24"
hash = true
`, authAddr, smAddr))
	const request = "node nobody@example.org"
	checkConnectionCap(t, smAddr, gateway.ProxyAuthMaxConns, func(c net.Conn) {
		fmt.Fprintf(c, "%d:%s,", len(request), request)
	}, func(r *bufio.Reader) bool {
		n := 0
		if _, err := fmt.Fscanf(r, "%d:", &n); err != nil {
			return false
		}
		_, err := r.Discard(n + 1)
		return err == nil
	})
	checkConnectionCap(t, authAddr, gateway.ProxyAuthMaxConns, func(c net.Conn) {
		fmt.Fprintf(c, "GET /auth HTTP/1.1\r\nHost: x\r\n\r\n")
	}, httpAnswered)
}

// httpAnswered reads one HTTP response from r, whatever its status, and
// reports whether it came whole.
func httpAnswered(r *bufio.Reader) bool {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err == nil
}
