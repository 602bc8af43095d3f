package gateway_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
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
