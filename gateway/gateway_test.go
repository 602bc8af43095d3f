package gateway_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// run starts a gateway on the configuration text (data-dir and one
// loopback server are added) and returns its address.
func run(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	text := "data-dir = \"" + dir + "\"\n" + extra + "\n[[server]]\naddress = \"127.0.0.1:0\"\nmax-connections-per-address = 2\n"
	cfg, err := config.Parse([]byte(text), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.EnsureUser(cfg.UsersFile()); err != nil {
		t.Fatal(err)
	}
	ready := make(chan net.Addr, 1)
	g, err := gateway.New(cfg, gateway.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready:  func(a net.Addr) { ready <- a },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("gateway did not stop")
		}
	})
	select {
	case a := <-ready:
		return a.String()
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not start")
	}
	return ""
}

func greeting(t *testing.T, addr string) (string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line, c
}

func TestAccessList(t *testing.T) {
	addr := run(t, "[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.0/8\"\n")
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Access denied") {
		t.Errorf("denied client got %q", g)
	}
}

func TestConnectionsPerAddress(t *testing.T) {
	addr := run(t, "")
	for i := 0; i < 2; i++ {
		if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* OK") {
			t.Fatalf("connection %d: %q", i+1, g)
		}
	}
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Too many connections") {
		t.Errorf("third connection from one address: %q", g)
	}
}

func TestUnsupportedSettingsAreRefused(t *testing.T) {
	for _, extra := range []string{
		"preauth = \"ident\"",
		"[lmtp]\nlisten = [\"127.0.0.1:2424\"]",
		"[auth]\nauthentication = [\"system\"]",
		"[mailbox]\nmailbox-pattern = \"\"",
	} {
		dir := t.TempDir()
		cfg, err := config.Parse([]byte("data-dir = \""+dir+"\"\n"+extra+"\n"), "test.toml")
		if err != nil {
			t.Fatalf("%q: %v", extra, err)
		}
		_, err = gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err == nil || !strings.Contains(err.Error(), "not implemented yet") {
			t.Errorf("%q: %v, want a 'not implemented yet' error", extra, err)
		}
	}
}
