package gateway_test

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// run starts a gateway on the configuration text (data-dir and one
// loopback server are added) and returns its address.
func run(t *testing.T, extra string) string {
	addr, _ := runDir(t, t.TempDir(), extra)
	return addr
}

// runDir is run with the data directory given; it also returns the first
// user's password.
func runDir(t *testing.T, dir, extra string) (string, string) {
	t.Helper()
	tg := startGatewayIn(t, dir, extra+"\n[[server]]\naddress = \"127.0.0.1:0\"\nmax-connections-per-address = 2\n")
	return tg.addrs[0], tg.password
}

func greeting(t *testing.T, addr string) (string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// Generous: a loaded machine with -race is slow to greet, and the
	// bound only keeps a broken test from hanging.
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line, c
}

func TestAccessList(t *testing.T) {
	addr := run(t, "[[acl]]\naction = \"deny\"\nfrom = \"127.0.0.0/8\"\n")
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Access denied") {
		t.Errorf("denied client got %q", g)
	}
}

// max-connections-per-address = 2 allows two connections from one
// address, of which one may be waiting to log in.
func TestConnectionsPerAddress(t *testing.T) {
	dir := t.TempDir()
	addr, password := runDir(t, dir, "")
	g, c := greeting(t, addr)
	if !strings.HasPrefix(g, "* OK") {
		t.Fatalf("connection 1: %q", g)
	}
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Too many connections from your address waiting to log in") {
		t.Errorf("second connection while the first waits to log in: %q", g)
	}
	// The rest needs sessions that say when they have logged in.
	r := bufio.NewReader(c)
	if l := command(t, c, r, "a LOGIN "+gateway.FirstUser+" "+quote(password)); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("second connection with the first logged in: %q", g)
	}
	if g, _ := greeting(t, addr); !strings.HasPrefix(g, "* BYE Too many connections from your address") {
		t.Errorf("third connection from one address: %q", g)
	}
}

// With no mailbox-pattern, INBOX is the user's mbox file in the mail
// spool, in the format imap4d and mail delivery programs use.
func TestSpoolInboxIsMbox(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, "spool")
	os.MkdirAll(spool, 0o755)
	addr, password := runDir(t, dir, "[mailbox]\nmail-spool = \""+spool+"\"\nmailbox-pattern = \"\"\n")
	c := firstUserClient(t, addr, password)
	msg := "From: a@example.org\r\nSubject: spool\r\n\r\nFrom the spool\r\n"
	w := c.Append("INBOX", int64(len(msg)), nil)
	w.Write([]byte(msg))
	w.Close()
	if _, err := w.Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(spool, gateway.FirstUser))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"From ", "X-IMAPbase:", "X-UID: 1", "Subject: spool", ">From the spool"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("spool file lacks %q:\n%s", want, data)
		}
	}
}
