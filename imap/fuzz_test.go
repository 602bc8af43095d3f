package imap_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// panicCatcher is a slog handler that records error logs about panics.
type panicCatcher struct {
	mu     sync.Mutex
	panics []string
}

func (p *panicCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicCatcher) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panicked") {
		var stack string
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "panic" || a.Key == "stack" {
				stack += a.Value.String() + "\n"
			}
			return true
		})
		p.mu.Lock()
		p.panics = append(p.panics, stack)
		p.mu.Unlock()
	}
	return nil
}
func (p *panicCatcher) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicCatcher) WithGroup(string) slog.Handler      { return p }

// scriptConn feeds a fixed input to a session and discards its output.
type scriptConn struct {
	r *bytes.Reader
}

func (c *scriptConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *scriptConn) Write(b []byte) (int, error) { return len(b), nil }
func (c *scriptConn) Close() error                { return nil }
func (c *scriptConn) LocalAddr() net.Addr         { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 143} }
func (c *scriptConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzSeeds are command sequences real clients send, plus hostile ones.
var fuzzSeeds = []string{
	"a CAPABILITY\r\nb NOOP\r\nc LOGOUT\r\n",
	"a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)\r\n",
	"1 SELECT INBOX\r\n2 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
	"1 SELECT INBOX\r\n2 UID STORE 1:3 +FLAGS (\\Seen $Forwarded)\r\n3 UID EXPUNGE 1\r\n4 EXPUNGE\r\n",
	"1 SELECT INBOX\r\n2 STORE 1,3 +FLAGS \\Deleted\r\n3 CLOSE\r\n",
	"1 APPEND INBOX (\\Seen) \" 5-Mar-2024 10:11:12 +0100\" {20}\r\nSubject: x\r\n\r\nhello\r\n",
	"1 APPEND INBOX {5+}\r\nhello\r\n2 APPEND INBOX {99999999999}\r\n",
	"1 APPEND INBOX (\\Seen) {5+}\r\nhello (\\Draft) \" 5-Mar-2024 10:11:12 +0100\" ~{6+}\r\nhe\x00lo\n {3+}\r\nabc\r\n2 APPEND INBOX {1+}\r\na {1+}\r\nb x\r\n",
	"1 SELECT INBOX\r\n2 SEARCH CHARSET UTF-8 OR (FROM a SUBJECT b) NOT (UNSEEN LARGER 10) SENTSINCE 1-Jan-2020\r\n",
	"1 SELECT INBOX\r\n2 UID SEARCH UID 1:* TEXT hello\r\n3 FETCH 1 BODY[1.2.MIME]<0.10>\r\n",
	"1 LIST \"\" \"*\"\r\n2 LSUB \"\" \"%\"\r\n3 CREATE a/b/\r\n4 RENAME a x\r\n5 DELETE x\r\n",
	"1 LIST \"~\" \"%\"\r\n2 LIST \"~bob/\" \"*\"\r\n3 SELECT ~bob/INBOX\r\n",
	"1 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n2 NAMESPACE\r\n3 ID (\"name\" \"x\")\r\n",
	"1 SELECT INBOX\r\n2 IDLE\r\nDONE\r\n3 MOVE 1 Trash\r\n4 COPY 1:* INBOX\r\n",
	"1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n",
	"1 ENABLE CONDSTORE\r\n2 UNSELECT\r\n3 EXAMINE INBOX\r\n4 STORE 1 FLAGS ()\r\n",
	"* FETCH\r\n1 FETCH 0 FLAGS\r\n2 FETCH 4294967296 UID\r\n3 SELECT &Jjo-\r\n4 SELECT &AGE-\r\n",
	"1 SELECT INBOX\r\n2 FETCH 1 (BODY[HEADER.FIELDS (\"From\" {4}\r\nDate)])\r\n",
	"1 SELECT INBOX\r\n2 SEARCH RETURN (MIN MAX COUNT ALL SAVE) CHARSET UTF-8 SEEN\r\n3 FETCH $ UID\r\n4 UID SEARCH UID $ NOT $\r\n5 UID COPY $ INBOX\r\n",
	"1 SELECT INBOX\r\n2 SEARCH RETURN () 1:*\r\n3 SEARCH RETURN (SAVE MIN\r\n4 SEARCH RETURN (COUNT) $:3\r\n5 STORE $,1 +FLAGS x\r\n",
	"1 ENABLE UTF8=ACCEPT IMAP4rev2\r\n2 CREATE \"Entwürfe/日本\"\r\n3 LIST \"\" \"*ü*\"\r\n4 SELECT \"Entwürfe\"\r\n5 SEARCH CHARSET UTF-8 ALL\r\n6 SELECT INBOX\r\n7 STATUS \"Entw\xfc\" (MESSAGES MAILBOXID)\r\n",
	"1 ENABLE UTF8=ACCEPT\r\n2 APPEND INBOX UTF8 (~{12+}\r\nSubject: \xc3\xa9\r\n\r\n) UTF8 ({1+}\r\nx\r\n3 APPEND INBOX UTF8 ~{1}\r\n4 APPEND INBOX UTF9 ({1+}\r\nx)\r\n",
	"1 ENABLE IMAP4rev2\r\n2 SELECT INBOX\r\n3 FETCH 1:* (FLAGS EMAILID THREADID)\r\n4 UID SEARCH EMAILID E1\r\n5 LSUB \"\" *\r\n",
	"1 ENABLE QRESYNC\r\n2 SELECT INBOX (QRESYNC (1 5 1:9 (1:3 1,5,9)))\r\n3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)\r\n4 STORE 1:2 (UNCHANGEDSINCE 4) +FLAGS.SILENT (\\Seen)\r\n5 UID EXPUNGE 1\r\n",
	"1 SELECT INBOX (CONDSTORE)\r\n2 SEARCH RETURN (MIN MAX) MODSEQ \"/flags/\\\\seen\" all 2\r\n3 SEARCH OR MODSEQ 1 NOT MODSEQ 9 ALL\r\n4 STATUS INBOX (HIGHESTMODSEQ)\r\n5 FETCH 1 (MODSEQ) (CHANGEDSINCE 18446744073709551615)\r\n",
	"1 SELECT INBOX\r\n2 FETCH 1:* (BINARY.PEEK[1]<0.5> BINARY.SIZE[2] BINARY[] BINARY.SIZE[1.2.3])\r\n3 FETCH 1 BINARY[1.MIME]\r\n",
	"1 SELECT INBOX\r\n2 SORT (REVERSE DATE SUBJECT DISPLAYFROM) UTF-8 ALL\r\n3 UID SORT RETURN (MIN MAX COUNT ALL SAVE) (ARRIVAL CC TO FROM SIZE DISPLAYTO) US-ASCII OR FROM a $\r\n4 SORT (REVERSE REVERSE SIZE) UTF-8 ALL\r\n5 SORT () UTF-8 ALL\r\n6 SORT (DATE) KOI8-R ALL\r\n7 SORT (DATE) UTF-8\r\n",
	"1 SELECT INBOX\r\n2 THREAD REFERENCES UTF-8 ALL\r\n3 UID THREAD ORDEREDSUBJECT US-ASCII SUBJECT x\r\n4 THREAD REFS UTF-8 ALL\r\n5 THREAD REFERENCES\r\n6 THREAD REFERENCES {5}\r\nUTF-8 1:*\r\n",
	"1 SELECT INBOX\r\n2 SORT RETURN (UPDATE ALL) (SUBJECT) UTF-8 SEEN\r\n3 UID SORT RETURN (UPDATE COUNT MIN) (REVERSE DATE) UTF-8 ALL\r\n4 STORE 1:* +FLAGS \\Seen\r\n5 STORE 2 +FLAGS \\Deleted\r\n6 EXPUNGE\r\n7 SORT RETURN (UPDATE) (SIZE) UTF-8 ALL\r\n8 CANCELUPDATE \"2\"\r\n9 IDLE\r\nDONE\r\n",
	"1 SELECT INBOX\r\n2 SEARCH RETURN (UPDATE ALL) SEEN\r\n3 UID SEARCH RETURN (CONTEXT MIN COUNT UPDATE) ALL\r\n4 STORE 1:* +FLAGS \\Seen\r\n5 EXPUNGE\r\n6 CANCELUPDATE \"2\" \"x\"\r\n7 SEARCH RETURN (PARTIAL -1:-5 UPDATE) ALL\r\n8 IDLE\r\nDONE\r\n",
	"1 SEARCH " + strings.Repeat("NOT ", 200) + "ALL\r\n",
	"1 SEARCH " + strings.Repeat("(", 100) + "ALL" + strings.Repeat(")", 100) + "\r\n",
}

func FuzzSession(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	root := f.TempDir()
	catcher := &panicCatcher{}
	log := slog.New(catcher)
	usersFile := filepath.Join(root, "users")
	os.WriteFile(usersFile, []byte("alice:{PLAIN}secret:::"+filepath.Join(root, "alice")+"::\nbob:{PLAIN}secret:::"+filepath.Join(root, "bob")+"::\n"), 0o600)
	users, err := auth.LoadUsersFile(usersFile, root, &auth.UsersFileOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	store := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()}, Logger: log})
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir",
		Other: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Delimiter: "/", Directory: "$home"}}},
		LookupHome: func(n string) (string, bool) {
			if u, ok := users.Lookup(n); ok {
				return u.Home, true
			}
			return "", false
		}}
	srv := imap.New(&imap.Options{
		Logger:        log,
		Authenticator: users,
		Account: func(_ context.Context, u *auth.User) (*storage.Account, error) {
			os.MkdirAll(u.Home, 0o700)
			return store.Account(storage.User{Name: u.Name, Home: u.Home}, layout), nil
		},
		MaxLine:    4096,
		MaxLiteral: 1 << 16,
		IMAP4rev2:  true,
	})
	alice, _ := users.Lookup("alice")
	// Give INBOX some messages to work on.
	seed := "1 APPEND INBOX {" + itoaTest(len(testMessage("s", "x"))) + "+}\r\n" + testMessage("s", "x") + "\r\n"
	srv.ServeConn(&scriptConn{r: bytes.NewReader([]byte(strings.Repeat(seed, 3)))}, alice)
	inbox := filepath.Join(alice.Home, "INBOX")
	reset := "1 SELECT INBOX\r\n2 STORE 1:* +FLAGS.SILENT (\\Deleted)\r\n3 CLOSE\r\n" + strings.Repeat(seed, 3)

	f.Fuzz(func(t *testing.T, input string) {
		// Inputs such as COPY 1:* INBOX double INBOX each time: keep it
		// small, so that every input runs in about the same time.
		if cur, _ := os.ReadDir(filepath.Join(inbox, "cur")); len(cur) > 50 {
			srv.ServeConn(&scriptConn{r: bytes.NewReader([]byte(reset))}, alice)
		}
		catcher.mu.Lock()
		catcher.panics = nil
		catcher.mu.Unlock()
		var pre *auth.User
		if len(input) > 0 && input[0]&1 == 1 {
			pre = alice // half of the inputs start logged in
		}
		done := make(chan struct{})
		go func() {
			srv.ServeConn(&scriptConn{r: bytes.NewReader([]byte(input))}, pre)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("session did not end at EOF for input %q", input)
		}
		catcher.mu.Lock()
		defer catcher.mu.Unlock()
		if len(catcher.panics) > 0 {
			t.Fatalf("session panicked on %q:\n%s", input, catcher.panics[0])
		}
	})
}

func itoaTest(n int) string { return strconv.Itoa(n) }
