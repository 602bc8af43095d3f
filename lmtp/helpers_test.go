package lmtp_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/lmtp"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// testUsers are the users of every test environment; their password is
// "secret", for the IMAP sessions.
var testUsers = []string{"alice", "bob", "carol"}

// env is a storage core with testUsers, and an LMTP server on it.
type env struct {
	t      testing.TB
	root   string
	users  *auth.UsersFile
	store  *storage.Store
	layout *storage.Layout
	srv    *lmtp.Server
	addr   string // the LMTP server's TCP address
	errs   *injected
}

// envConfig changes how newEnv builds an environment.
type envConfig struct {
	root   string              // the users' directory, users file written; a new one when ""
	format string              // INBOX's format: "maildir" (default), "mbox", "mh", or "faulty"
	opts   func(*lmtp.Options) // changes the server's options
}

func quietLogger() *slog.Logger {
	if os.Getenv("MAILGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// Warnings and errors still go to stderr, which go test shows only
	// when the package fails: a session that ends in the middle of a
	// burst then says why.
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testDrivers returns the three real drivers and the fault-injecting one.
func testDrivers(log *slog.Logger, errs *injected) []storage.Driver {
	return []storage.Driver{maildir.New(), mh.New(),
		mbox.New(mbox.Options{Logger: log, RetrySleep: 50 * time.Millisecond}), &faultyDriver{errs: errs}}
}

// writeUsers writes the users file of an environment in root.
func writeUsers(t testing.TB, root string) {
	t.Helper()
	var lines []string
	for _, u := range testUsers {
		lines = append(lines, fmt.Sprintf("%s:{PLAIN}secret:::%s::", u, filepath.Join(root, u)))
	}
	usersFile := filepath.Join(root, "users")
	if err := os.WriteFile(usersFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// openEnvStore opens the users and storage of an environment in root,
// whose users file exists: another process may share them.
func openEnvStore(t testing.TB, root, format string) (*auth.UsersFile, *storage.Store, *storage.Layout, *injected) {
	t.Helper()
	if format == "" {
		format = "maildir"
	}
	usersFile := filepath.Join(root, "users")
	log := quietLogger()
	users, err := auth.LoadUsersFile(usersFile, root, &auth.UsersFileOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	errs := &injected{byUser: map[string]error{}, tries: map[string]int{}}
	store := storage.New(storage.Options{Drivers: testDrivers(log, errs), Logger: log})
	inbox := format + ":$home/INBOX"
	layout := &storage.Layout{
		Inbox:       inbox,
		DefaultType: "maildir",
		Other:       storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Delimiter: "/", Directory: "$home"}}},
		Shared:      storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "#shared/", Delimiter: "/", Directory: filepath.Join(root, "shared")}}},
		LookupHome: func(name string) (string, bool) {
			u, ok := users.Lookup(name)
			if !ok {
				return "", false
			}
			return u.Home, true
		},
	}
	if format == "faulty" {
		layout.DefaultType = "faulty"
	}
	return users, store, layout, errs
}

// lookupIn backs Options.Lookup with a users file, for the domains "" and
// example.org, as the gateway would for a single-domain host.
func lookupIn(users *auth.UsersFile) func(context.Context, string, string) (*auth.User, error) {
	return func(_ context.Context, local, domain string) (*auth.User, error) {
		if domain != "" && !strings.EqualFold(domain, "example.org") {
			return nil, nil
		}
		if u, ok := users.Lookup(local); ok {
			return u, nil
		}
		return nil, nil
	}
}

// accountIn backs Options.Account (and imap.Options.Account) with a store.
func accountIn(store *storage.Store, layout *storage.Layout) func(context.Context, *auth.User) (*storage.Account, error) {
	return func(_ context.Context, u *auth.User) (*storage.Account, error) {
		if err := os.MkdirAll(u.Home, 0o700); err != nil {
			return nil, err
		}
		return store.Account(storage.User{Name: u.Name, Home: u.Home}, layout), nil
	}
}

// newEnv starts an LMTP server on loopback TCP.
func newEnv(t testing.TB, cfg envConfig) *env {
	t.Helper()
	root := cfg.root
	if root == "" {
		root = t.TempDir()
		writeUsers(t, root)
	}
	users, store, layout, errs := openEnvStore(t, root, cfg.format)
	opts := &lmtp.Options{
		Logger:             quietLogger(),
		Lookup:             lookupIn(users),
		Account:            accountIn(store, layout),
		Hostname:           "mx.example.org",
		RecipientDelimiter: "+",
		DetailMailbox:      true,
		SpoolDir:           t.TempDir(),
	}
	if cfg.opts != nil {
		cfg.opts(opts)
	}
	srv := lmtp.New(opts)
	ln, err := lmtp.Listen(lmtp.ListenConfig{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("closing the server: %v", err)
		}
		store.Close()
	})
	return &env{t: t, root: root, users: users, store: store, layout: layout, srv: srv, addr: ln.Addr().String(), errs: errs}
}

// account opens a test user's storage.
func (e *env) account(name string) *storage.Account {
	e.t.Helper()
	return accountOf(e.t, e.users, e.store, e.layout, name)
}

func accountOf(t testing.TB, users *auth.UsersFile, store *storage.Store, layout *storage.Layout, name string) *storage.Account {
	t.Helper()
	u, ok := users.Lookup(name)
	if !ok {
		t.Fatalf("no user %s", name)
	}
	a, err := accountIn(store, layout)(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// messages returns the contents of a user's mailbox in UID order.
func (e *env) messages(user, mailbox string) []string {
	e.t.Helper()
	return mailboxContents(e.t, e.account(user), mailbox)
}

func mailboxContents(t testing.TB, a *storage.Account, mailbox string) []string {
	t.Helper()
	v, err := a.Select(mailbox, true)
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	defer v.Close()
	var out []string
	for _, uid := range v.UIDs() {
		rc, _, err := v.Open(uid)
		if err != nil {
			t.Fatalf("open uid %d: %v", uid, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// client connects a go-smtp LMTP client and says LHLO.
func (e *env) client() *smtp.Client {
	e.t.Helper()
	return dialLMTP(e.t, "tcp", e.addr)
}

func dialLMTP(t testing.TB, network, addr string) *smtp.Client {
	t.Helper()
	nc, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(nc)
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.example.org"); err != nil {
		t.Fatalf("LHLO: %v", err)
	}
	return c
}

// send runs one transaction and returns the reply to each refused RCPT
// and, for the accepted ones, the reply to DATA.
func send(t testing.TB, c *smtp.Client, from string, rcpts []string, msg string) (rcptErr map[string]string, data map[string]string) {
	t.Helper()
	res, err := lmtptest.Send(c, from, rcpts, msg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rcpt, res.Data
}

// code formats an SMTP error as "550 5.1.1".
func code(err error) string { return lmtptest.Code(err) }

// raw is a line-by-line LMTP client, for transcript tests.
type raw struct {
	t        testing.TB
	conn     net.Conn
	r        *bufio.Reader
	greeting string
}

func (e *env) raw() *raw { return dialRaw(e.t, "tcp", e.addr) }

// lhlo connects a raw client that has said LHLO.
func (e *env) lhlo() *raw {
	r := e.raw()
	r.send("LHLO client.example.org")
	r.reply()
	return r
}

func dialRaw(t testing.TB, network, addr string) *raw {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &raw{t: t, conn: c, r: bufio.NewReader(c)}
	if r.greeting = r.line(); !strings.HasPrefix(r.greeting, "220 ") {
		t.Fatalf("greeting %q", r.greeting)
	}
	return r
}

// line reads one reply line without its CRLF.
func (r *raw) line() string {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	l, err := r.r.ReadString('\n')
	if err != nil {
		r.t.Fatalf("reading a reply: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// send writes lines, each with CRLF.
func (r *raw) send(lines ...string) {
	r.t.Helper()
	if _, err := io.WriteString(r.conn, strings.Join(lines, "\r\n")+"\r\n"); err != nil {
		r.t.Fatal(err)
	}
}

// reply reads one reply, its continuation lines included.
func (r *raw) reply() []string {
	r.t.Helper()
	var lines []string
	for {
		l := r.line()
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

// expect reads n single-line replies and checks each starts as wanted.
func (r *raw) expect(want ...string) {
	r.t.Helper()
	for _, w := range want {
		if got := r.reply(); !strings.HasPrefix(got[len(got)-1], w) {
			r.t.Fatalf("got %q; want %q...", got, w)
		}
	}
}

// testMessage is a small message with a unique subject.
func testMessage(subject string) string {
	return "From: sender@example.net\r\nTo: alice@example.org\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.net>\r\n\r\nHello.\r\n"
}

// bodyOf returns what follows the trace header fields LMTP added: the
// message as it was sent.
func bodyOf(t testing.TB, stored string) string {
	t.Helper()
	stored = strings.ReplaceAll(stored, "\r\n", "\n")
	for _, name := range []string{"Return-Path:", "Delivered-To:", "Received:"} {
		if !strings.HasPrefix(stored, name) {
			continue
		}
		i := strings.IndexByte(stored, '\n')
		for i >= 0 && i+1 < len(stored) && (stored[i+1] == '\t' || stored[i+1] == ' ') {
			j := strings.IndexByte(stored[i+1:], '\n')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		stored = stored[i+1:]
	}
	return stored
}

// sortedKeys returns a map's keys in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dirEntries lists the names in dir.
func dirEntries(t testing.TB, dir string) []string {
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

// dialClient connects a go-smtp LMTP client and says LHLO, outside a
// test's goroutine.
func dialClient(addr string) (*smtp.Client, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClientLMTP(nc)
	if err := c.Hello("client.example.org"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// sendOne delivers one message from s@example.net; it fails unless every
// recipient's reply is 250.
func sendOne(c *smtp.Client, rcpts []string, msg string) error {
	if err := c.Mail("s@example.net", nil); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	_, err = w.CloseWithLMTPResponse()
	return err
}
