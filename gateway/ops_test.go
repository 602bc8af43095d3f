package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// quote returns s as an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// command sends one tagged command and returns its tagged reply, failing
// the test when none comes.
func command(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	lines := commandLines(t, c, r, line)
	return lines[len(lines)-1]
}

// commandLines sends one tagged command and returns every line of its
// reply, the tagged one last.
func commandLines(t *testing.T, c net.Conn, r *bufio.Reader, line string) []string {
	t.Helper()
	tag, _, _ := strings.Cut(line, " ")
	// Generous: a LOGIN checks a bcrypt hash, which takes 5 s under
	// -race on a loaded machine; the bound only keeps a broken test from
	// hanging.
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := io.WriteString(c, line+"\r\n"); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v after %q", line, err, lines)
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			return lines
		}
	}
}

// testGateway is a gateway running on a configuration of the test's.
type testGateway struct {
	g        *gateway.Gateway
	stop     func()   // ends Run and waits for it, once
	addrs    []string // of each [[server]], in order
	dir      string   // the data directory
	password string   // of gateway.FirstUser
}

// startGateway runs a gateway on text, with data-dir set to a new
// directory, until the end of the test. text must list its [[server]]
// tables, on port 0.
func startGateway(t *testing.T, text string) *testGateway {
	t.Helper()
	return startGatewayIn(t, t.TempDir(), text)
}

// startGatewayIn is startGateway with the data directory given.
func startGatewayIn(t *testing.T, dataDir, text string) *testGateway {
	t.Helper()
	return startGatewayLogged(t, dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)), text)
}

// startGatewayLogged is startGatewayIn with the gateway's logger given.
func startGatewayLogged(t *testing.T, dataDir string, log *slog.Logger, text string) *testGateway {
	t.Helper()
	return startGatewayWith(t, dataDir, log, text, nil)
}

// startGatewayWith is startGatewayLogged with setup, when not nil, run
// between New and Run (to register frontends); it returns how many
// listeners it added, whose addresses follow the [[server]] ones.
func startGatewayWith(t *testing.T, dataDir string, log *slog.Logger, text string, setup func(*gateway.Gateway) int) *testGateway {
	t.Helper()
	tg := &testGateway{dir: dataDir}
	cfg, err := config.Parse([]byte("data-dir = "+quote(tg.dir)+"\n"+text), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if tg.password, err = gateway.EnsureUser(cfg.UsersFile()); err != nil {
		t.Fatal(err)
	}
	ready := make(chan net.Addr, len(cfg.Servers)+10)
	tg.g, err = gateway.New(cfg, gateway.Options{
		Logger: log,
		Ready:  func(a net.Addr) { ready <- a },
	})
	if err != nil {
		t.Fatal(err)
	}
	listeners := len(cfg.Servers)
	if setup != nil {
		listeners += setup(tg.g)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tg.g.Run(ctx) }()
	var once sync.Once
	tg.stop = func() {
		once.Do(func() {
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
	}
	t.Cleanup(tg.stop)
	for range listeners {
		select {
		case a := <-ready:
			tg.addrs = append(tg.addrs, a.String())
		case err := <-done:
			t.Fatalf("Run: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("gateway did not start")
		}
	}
	return tg
}

// client is a raw IMAP connection.
type client struct {
	t        *testing.T
	conn     net.Conn
	r        *bufio.Reader
	greeting string
}

// dial connects to addr from the loopback address from ("" for any) and
// reads the greeting.
func dial(t *testing.T, addr, from string) *client {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return greeted(t, c, addr)
}

// greeted returns a client on c, which it closes at the end of the test,
// after reading the greeting of the server at addr.
func greeted(t *testing.T, c net.Conn, addr string) *client {
	t.Helper()
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, conn: c, r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := cl.r.ReadString('\n')
	if err != nil {
		t.Fatalf("greeting from %s: %v", addr, err)
	}
	cl.greeting = strings.TrimRight(l, "\r\n")
	return cl
}

func (c *client) cmd(line string) string {
	c.t.Helper()
	return command(c.t, c.conn, c.r, line)
}

// TestThrottleAcrossListeners: an address blocked on one [[server]] is
// blocked on every other one too, right password or not (issue 8, item 9).
func TestThrottleAcrossListeners(t *testing.T) {
	tg := startGateway(t, `
[auth]
login-failure-limit = 2
address-failure-limit = 2
login-delay = "1ms"
login-max-delay = "1ms"
[[server]]
address = "127.0.0.1:0"
[[server]]
address = "127.0.0.2:0"
`)
	a := dial(t, tg.addrs[0], "")
	for i := 0; i < 2; i++ {
		if l := a.cmd(fmt.Sprintf("f%d LOGIN %s wrong", i, gateway.FirstUser)); !strings.HasPrefix(l, fmt.Sprintf("f%d NO", i)) {
			t.Fatalf("wrong password on the first listener: %q", l)
		}
	}
	if len(tg.g.Throttle().Blocks()) == 0 {
		t.Fatal("two failures with limits of 2 blocked nothing")
	}
	b := dial(t, tg.addrs[1], "")
	if l := b.cmd("r LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "r NO") {
		t.Errorf("the right password on the second listener during the block: %q, want NO", l)
	}
	// Lifted, the same login works.
	if n := tg.g.Throttle().Unblock(netip.MustParseAddr("127.0.0.1"), ""); n == 0 {
		t.Fatal("Unblock lifted nothing")
	}
	if l := b.cmd("s LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "s OK") {
		t.Errorf("the right password after unblock: %q", l)
	}
}

// TestIdleStrangersLeaveRoom: twenty connections from one address that
// never log in take at most half of max-connections-per-address, and a
// client from another address still connects and logs in (issue 8, item
// 15).
func TestIdleStrangersLeaveRoom(t *testing.T) {
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n") // max-children 20, 20 per address
	var greeted, refused int
	for i := 0; i < 20; i++ {
		c := dial(t, tg.addrs[0], "127.0.0.1")
		switch {
		case strings.HasPrefix(c.greeting, "* OK"):
			greeted++
		case strings.HasPrefix(c.greeting, "* BYE Too many connections from your address waiting to log in"):
			refused++
		default:
			t.Fatalf("connection %d: %q", i+1, c.greeting)
		}
	}
	if greeted != 10 || refused != 10 {
		t.Errorf("20 idle connections from one address: %d greeted, %d refused; want 10 and 10", greeted, refused)
	}
	other := dial(t, tg.addrs[0], "127.0.0.2")
	if !strings.HasPrefix(other.greeting, "* OK") {
		t.Fatalf("a client from another address: %q", other.greeting)
	}
	if l := other.cmd("a LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "a OK") {
		t.Errorf("LOGIN from another address: %q", l)
	}
}

// TestLegacyDataDirHome: a user whose home is in the data directory, as
// earlier versions left it (INBOX and every folder directly in the home),
// keeps INBOX and folders where they are (issue 8, item 29).
func TestLegacyDataDirHome(t *testing.T) {
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	home := filepath.Join(tg.dir, gateway.FirstUser)
	for _, d := range []string{"INBOX/cur", "INBOX/new", "INBOX/tmp", "Archive/cur", "Archive/new", "Archive/tmp"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	msg := "Subject: old\r\n\r\nkept\r\n"
	if err := os.WriteFile(filepath.Join(home, "INBOX/cur/1700000000.M1P1.host:2,S"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dial(t, tg.addrs[0], "")
	if l := c.cmd("a LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	list := commandLines(t, c.conn, c.r, `b LIST "" "*"`)
	if !slices.ContainsFunc(list, func(l string) bool { return strings.HasSuffix(l, " Archive") || strings.HasSuffix(l, ` "Archive"`) }) {
		t.Errorf("LIST does not show the folder in the home: %q", list)
	}
	sel := commandLines(t, c.conn, c.r, "c SELECT INBOX")
	if !slices.Contains(sel, "* 1 EXISTS") {
		t.Errorf("SELECT INBOX does not find the message in <home>/INBOX: %q", sel)
	}
	if _, err := os.Stat(filepath.Join(home, "Mail")); err == nil {
		t.Errorf("a Mail directory was created in a data-directory home")
	}
}

// TestPreauthHomeIsNotMail: a system account's session (--preauth) lists
// nothing of its home and creates nothing in it but the Mail directory
// where its mailboxes live (issue 8, item 29).
func TestPreauthHomeIsNotMail(t *testing.T) {
	dir := t.TempDir()
	g := stdioGateway(t, filepath.Join(dir, "data"))
	// A home as root's was: a module cache, dot files, and a directory
	// that looks like a maildir.
	home := filepath.Join(dir, "home")
	for i := 0; i < 300; i++ {
		os.MkdirAll(filepath.Join(home, "go", "pkg", "mod", fmt.Sprintf("m%03d", i)), 0o755)
		os.WriteFile(filepath.Join(home, fmt.Sprintf("file%03d.txt", i)), []byte("x"), 0o644)
	}
	for _, d := range []string{".cache", "project/cur", "project/new", "project/tmp"} {
		os.MkdirAll(filepath.Join(home, d), 0o755)
	}
	before := dirNames(t, home)

	ours, theirs := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.ServeConn(theirs, &auth.User{Name: "someone", Home: home, UID: -1, GID: -1})
	}()
	defer func() { ours.Close(); <-done }()
	r := bufio.NewReader(ours)
	ours.SetDeadline(time.Now().Add(20 * time.Second))
	if l, _ := r.ReadString('\n'); !strings.HasPrefix(l, "* PREAUTH") {
		t.Fatalf("greeting %q", l)
	}
	list := commandLines(t, ours, r, `a LIST "" "*"`)
	for _, l := range list[:len(list)-1] {
		if !strings.HasSuffix(l, " INBOX") {
			t.Errorf("LIST shows %q; want INBOX alone", l)
		}
	}
	for _, cmd := range []string{"b SELECT INBOX", "c CREATE Drafts", "d LOGOUT"} {
		lines := commandLines(t, ours, r, cmd)
		if tag, _, _ := strings.Cut(cmd, " "); !strings.HasPrefix(lines[len(lines)-1], tag+" OK") {
			t.Errorf("%s: %q", cmd, lines)
		}
	}
	after := dirNames(t, home)
	if added := slices.DeleteFunc(after, func(n string) bool { return slices.Contains(before, n) }); !slices.Equal(added, []string{"Mail"}) {
		t.Errorf("the session added %q to the home; want only Mail", added)
	}
	for _, d := range []string{"Mail/INBOX", "Mail/Drafts"} {
		if _, err := os.Stat(filepath.Join(home, d)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// stdioGateway returns a gateway on the default configuration with the
// data directory given, as inetd mode builds it, for ServeConn; it is
// closed at the end of the test.
func stdioGateway(t *testing.T, dataDir string) *gateway.Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte("data-dir = "+quote(dataDir)+"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := gateway.EnsureUsersFile(cfg.UsersFile()); err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// dirNames lists a directory's entries by name, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestIDBeforeLogin: by default ID tells a client that has not logged in
// the name and version, and not the system or its kernel (issue 8, item
// 13).
func TestIDBeforeLogin(t *testing.T) {
	tg := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	c := dial(t, tg.addrs[0], "")
	lines := commandLines(t, c.conn, c.r, "a ID NIL")
	want := `* ID ("name" "mailgate" "version" ` + quote(gateway.Version) + `)`
	if len(lines) != 2 || lines[0] != want {
		t.Errorf("ID before login: %q, want %q", lines, want)
	}
}

// TestControlSocket: the control socket lists the blocks and lifts them;
// it refuses what it does not understand.
func TestControlSocket(t *testing.T) {
	tg := startGateway(t, `
[auth]
login-failure-limit = 1
address-failure-limit = 1
login-delay = "1ms"
login-max-delay = "1ms"
[[server]]
address = "127.0.0.1:0"
`)
	socket := gateway.ControlSocket(tg.dir)
	fi, err := os.Stat(socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode %v, want 0600", fi.Mode().Perm())
	}
	rows, _, err := gateway.ControlRequest(socket, "blocks")
	if err != nil || len(rows) != 0 {
		t.Fatalf("blocks before any failure: %q, %v", rows, err)
	}
	c := dial(t, tg.addrs[0], "")
	c.cmd("a LOGIN " + gateway.FirstUser + " wrong")
	rows, _, err = gateway.ControlRequest(socket, "blocks")
	if err != nil || len(rows) == 0 || rows[0][0] != "127.0.0.1" || len(rows[0]) != 5 {
		t.Fatalf("blocks after a failure at limit 1: %q, %v", rows, err)
	}
	if _, err := time.Parse(time.RFC3339, rows[0][2]); err != nil {
		t.Errorf("until %q: %v", rows[0][2], err)
	}
	for _, tc := range []struct {
		verb string
		args []string
		want string
	}{
		{"frob", nil, `unknown request "frob"`},
		{"unblock", []string{"not-an-address"}, `"not-an-address" is not an IP address`},
		{"unblock", nil, "usage: unblock"},
		{"unblock", []string{"*", "bob"}, "takes no user name"},
		{"blocks", []string{"x"}, "usage: blocks"},
	} {
		_, _, err := gateway.ControlRequest(socket, tc.verb, tc.args...)
		var ce *gateway.ControlError
		if !errors.As(err, &ce) || !strings.Contains(ce.Text, tc.want) {
			t.Errorf("%s %q: %v, want a refusal saying %q", tc.verb, tc.args, err, tc.want)
		}
	}
	_, text, err := gateway.ControlRequest(socket, "unblock", "127.0.0.1")
	if err != nil || text == "0" {
		t.Fatalf("unblock 127.0.0.1: %q, %v", text, err)
	}
	if rows, _, err := gateway.ControlRequest(socket, "blocks"); err != nil || len(rows) != 0 {
		t.Errorf("blocks after unblock: %q, %v", rows, err)
	}
	if l := c.cmd("b LOGIN " + gateway.FirstUser + " " + quote(tg.password)); !strings.HasPrefix(l, "b OK") {
		t.Errorf("LOGIN after unblock: %q", l)
	}
	// A line longer than a request may be.
	conn, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, "blocks\t"+strings.Repeat("x", 10000)+"\n")
	if l, _ := bufio.NewReader(conn).ReadString('\n'); !strings.HasPrefix(l, "ERR\t") {
		t.Errorf("an over-long request: %q, want ERR", l)
	}
}

// TestControlRefusesOtherUsers: the control socket answers root and its
// own user only, even when the socket file's mode would let another user
// connect (SO_PEERCRED).
func TestControlRefusesOtherUsers(t *testing.T) {
	python := pythonAsNobody(t)
	base := tempDirOfMode(t, 0o755)
	tg := startGatewayIn(t, filepath.Join(base, "data"), "[[server]]\naddress = \"127.0.0.1:0\"\n")
	os.Chmod(tg.dir, 0o755)
	socket := gateway.ControlSocket(tg.dir)
	// Only for this test: let the file's mode allow anyone.
	if err := os.Chmod(socket, 0o666); err != nil {
		t.Fatal(err)
	}
	script := `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"blocks\n")
print(s.recv(4096).decode(), end="")`
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", script, socket)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python as uid 65534: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "ERR\tpermission denied") {
		t.Errorf("uid 65534 got %q from the control socket, want ERR permission denied", out)
	}
	// Root still gets its answer.
	if _, _, err := gateway.ControlRequest(socket, "blocks"); err != nil {
		t.Errorf("root: %v", err)
	}
}
