package imap_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// testEnv is a running IMAP server on loopback with two users, alice and
// bob (password "secret"), whose homes are below root.
type testEnv struct {
	t     testing.TB
	addr  string
	root  string
	store *storage.Store
	srv   *imap.Server
	users *auth.UsersFile
}

func quietLogger() *slog.Logger {
	if os.Getenv("MAILGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// storeLinger is the test stores' Linger; the benchmarks set it to -1 so
// that a mailbox nobody has selected is read from disk again.
var storeLinger time.Duration

// startServer starts a server; tweak may change its options.
func startServer(t testing.TB, tweak func(*imap.Options)) *testEnv {
	t.Helper()
	return startServerLayout(t, nil, tweak)
}

// startServerLayout starts a server whose storage layout setLayout may
// change; root is the test's directory, where the homes are.
func startServerLayout(t testing.TB, setLayout func(root string, l *storage.Layout), tweak func(*imap.Options)) *testEnv {
	t.Helper()
	return startServerStore(t, nil, setLayout, tweak)
}

// startServerStore starts a server whose storage options storeOpts may
// change; root is the test's directory.
func startServerStore(t testing.TB, storeOpts func(root string, o *storage.Options), setLayout func(root string, l *storage.Layout), tweak func(*imap.Options)) *testEnv {
	t.Helper()
	root := t.TempDir()
	usersFile := filepath.Join(root, "users")
	var lines []string
	for _, u := range []string{"alice", "bob"} {
		lines = append(lines, fmt.Sprintf("%s:{PLAIN}secret:::%s::", u, filepath.Join(root, u)))
	}
	if err := os.WriteFile(usersFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := quietLogger()
	users, err := auth.LoadUsersFile(usersFile, root, &auth.UsersFileOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	so := storage.Options{Drivers: []storage.Driver{
		maildir.New(), mh.New(), mbox.New(mbox.Options{Logger: log, RetrySleep: 50 * time.Millisecond}),
	}, Logger: log, Linger: storeLinger}
	if storeOpts != nil {
		storeOpts(root, &so)
	}
	store := storage.New(so)
	layout := &storage.Layout{
		Inbox:       "maildir:$home/INBOX",
		DefaultType: "maildir",
		Other:       storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Delimiter: "/", Directory: "$home"}}},
		LookupHome: func(name string) (string, bool) {
			u, ok := users.Lookup(name)
			if !ok {
				return "", false
			}
			return u.Home, true
		},
	}
	if setLayout != nil {
		setLayout(root, layout)
	}
	opts := &imap.Options{
		Logger:        log,
		Authenticator: users,
		Account: func(_ context.Context, u *auth.User) (*storage.Account, error) {
			if err := os.MkdirAll(u.Home, 0o700); err != nil {
				return nil, err
			}
			return store.Account(storage.User{Name: u.Name, Home: u.Home}, layout), nil
		},
		ID: [][2]string{{"name", "mailgate"}, {"version", "test"}},
		// As the gateway sets it: clients see IMAP4rev2 advertised.
		IMAP4rev2: true,
	}
	if tweak != nil {
		tweak(opts)
	}
	srv := imap.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
		store.Close()
	})
	return &testEnv{t: t, addr: ln.Addr().String(), root: root, store: store, srv: srv, users: users}
}

// rawConn speaks IMAP line by line, for transcript-style tests.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	// wait bounds the read of each line; zero: 10 seconds. It only
	// keeps a broken test from hanging: a slow command may need more.
	wait time.Duration
}

func (e *testEnv) raw() *rawConn {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: e.t, conn: c, r: bufio.NewReader(c)}
	if g := rc.line(); !strings.HasPrefix(g, "* OK ") {
		e.t.Fatalf("greeting %q", g)
	}
	return rc
}

// line reads one response line without its CRLF.
func (c *rawConn) line() string {
	c.t.Helper()
	wait := c.wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	c.conn.SetReadDeadline(time.Now().Add(wait))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading response: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// send writes a command line (CRLF added).
func (c *rawConn) send(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

// do sends a tagged command and returns the untagged lines and the tagged
// completion.
func (c *rawConn) do(cmd string) (untagged []string, done string) {
	c.t.Helper()
	tag := strings.Fields(cmd)[0]
	c.send(cmd)
	for {
		l := c.line()
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l
		}
		untagged = append(untagged, l)
	}
}

// ok runs cmd and fails unless it completes with OK.
func (c *rawConn) ok(cmd string) []string {
	c.t.Helper()
	u, done := c.do(cmd)
	tag := strings.Fields(cmd)[0]
	if !strings.HasPrefix(done, tag+" OK") {
		c.t.Fatalf("%s: got %q (untagged %q)", cmd, done, u)
	}
	return u
}

// login logs the raw connection in.
func (c *rawConn) login(user string) {
	c.t.Helper()
	c.ok("l1 LOGIN " + user + " secret")
}

// appendMsg appends a message with a synchronising literal.
func (c *rawConn) appendMsg(mailbox, flags, msg string) string {
	c.t.Helper()
	return c.appendDated(mailbox, flags, "", msg)
}

// appendDated is appendMsg with an internal date (such as
// "02-Nov-2026 10:00:00 +0000"), or the server's clock when date is "".
func (c *rawConn) appendDated(mailbox, flags, date, msg string) string {
	c.t.Helper()
	if date != "" {
		date = strconv.Quote(date) + " "
	}
	c.send(fmt.Sprintf("ap APPEND %s (%s) %s{%d}", mailbox, flags, date, len(msg)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		c.t.Fatalf("APPEND: expected continuation, got %q", l)
	}
	io.WriteString(c.conn, msg+"\r\n")
	for {
		l := c.line()
		if strings.HasPrefix(l, "ap ") {
			if !strings.HasPrefix(l, "ap OK") {
				c.t.Fatalf("APPEND: %q", l)
			}
			return l
		}
	}
}

// testMessage returns a small message with a subject.
func testMessage(subject, body string) string {
	return "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject +
		"\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + body + "\r\n"
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

func strconvItoa(n int) string { return strconv.Itoa(n) }
