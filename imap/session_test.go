package imap_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
)

func TestGreetingCapabilityLogout(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	u := c.ok("a CAPABILITY")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* CAPABILITY IMAP4rev1 ") {
		t.Fatalf("CAPABILITY: %q", u)
	}
	for _, want := range []string{"LITERAL+", "IDLE", "NAMESPACE", "ID", "UIDPLUS", "MOVE", "UNSELECT", "AUTH=PLAIN"} {
		if !strings.Contains(u[0], " "+want) {
			t.Errorf("CAPABILITY lacks %s: %q", want, u[0])
		}
	}
	u = c.ok("b LOGOUT")
	if len(u) != 1 || u[0] != "* BYE Logging out" {
		t.Fatalf("LOGOUT: %q", u)
	}
}

// Malformed commands get BAD and the session goes on (RFC 3501 7.1.3).
func TestBadCommandsKeepSession(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	for _, cmd := range []string{
		"a1 FROBNICATE",
		"a2 LOGIN",
		"a3 SELECT",
		"a4 FETCH 1 FLAGS", // not selected
		"a5 LOGIN \"unterminated",
		"a6 NOOP extra",
		"a7 UID NOOP",
	} {
		_, done := c.do(cmd)
		tag := strings.Fields(cmd)[0]
		if !strings.HasPrefix(done, tag+" BAD") {
			t.Errorf("%s: got %q, want BAD", cmd, done)
		}
	}
	c.send("")
	if l := c.line(); !strings.HasPrefix(l, "* BAD") {
		t.Errorf("empty line: %q", l)
	}
	c.ok("z NOOP")
}

func TestEOFEndsSession(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.conn.(interface{ CloseWrite() error }).CloseWrite()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	n, err := c.r.Read(buf)
	if err == nil {
		t.Fatalf("session answered %q after EOF instead of closing", buf[:n])
	}
}

func TestAppendKeepsFlagsAndDate(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	msg := testMessage("one", "hello")
	c.send(`ap APPEND INBOX (\Flagged $Forwarded) "05-Mar-2024 10:11:12 +0100" {` + strconv.Itoa(len(msg)) + `}`)
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation: %q", l)
	}
	c.conn.Write([]byte(msg + "\r\n"))
	if l := c.line(); !strings.HasPrefix(l, "ap OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", l)
	}
	st := c.ok("s STATUS INBOX (MESSAGES RECENT UNSEEN UIDNEXT)")
	if st[0] != "* STATUS INBOX (MESSAGES 1 RECENT 1 UNSEEN 1 UIDNEXT 2)" {
		t.Errorf("STATUS: %q", st)
	}
	sel := c.ok("b SELECT INBOX")
	for _, want := range []string{"* 1 EXISTS", "* 1 RECENT", "* OK [UIDNEXT 2]", `\*)]`, "$Forwarded", "* OK [UNSEEN 1]"} {
		if !contains(sel, want) {
			t.Errorf("SELECT lacks %q: %q", want, sel)
		}
	}
	f := c.ok("c FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)")
	// The instant is kept; the zone it is shown in is the server's choice.
	want := `* 1 FETCH (FLAGS ($Forwarded \Flagged \Recent) INTERNALDATE "05-Mar-2024 09:11:12 +0000" RFC822.SIZE ` + strconv.Itoa(len(msg)) + `)`
	if len(f) != 1 || f[0] != want {
		t.Errorf("FETCH:\n got %q\nwant %q", f, want)
	}
}

func TestStoreWithoutParenthesesAndKeywords(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for i := 0; i < 3; i++ {
		c.appendMsg("INBOX", "", testMessage("m"+strconv.Itoa(i), "x"))
	}
	c.ok("s SELECT INBOX")
	u := c.ok(`a STORE 1,3 +FLAGS \Deleted`)
	if len(u) != 2 || !strings.Contains(u[0], `\Deleted`) || !strings.HasPrefix(u[1], "* 3 FETCH") {
		t.Errorf("STORE: %q", u)
	}
	// New keywords are announced, even to a silent STORE (issue 8,
	// item 22); no FETCH comes.
	u = c.ok(`b STORE 2 +FLAGS.SILENT ($label1 $Forwarded)`)
	if len(u) != 2 || !strings.HasPrefix(u[0], `* FLAGS (`) || !strings.Contains(u[0], "$label1") ||
		!strings.HasPrefix(u[1], `* OK [PERMANENTFLAGS (`) {
		t.Errorf("STORE .SILENT answered %q", u)
	}
	u = c.ok(`c FETCH 2 FLAGS`)
	if !strings.Contains(u[0], "$label1") || !strings.Contains(u[0], "$Forwarded") {
		t.Errorf("keywords lost: %q", u)
	}
	_, done := c.do(`d STORE 2 +FLAGS (\Recent)`)
	if !strings.HasPrefix(done, "d BAD") {
		t.Errorf(`STORE \Recent: %q`, done)
	}
	u = c.ok("e EXPUNGE")
	// Messages 1 and 3 go: after "* 1 EXPUNGE" the old 3 is number 2.
	if len(u) != 2 || u[0] != "* 1 EXPUNGE" || u[1] != "* 2 EXPUNGE" {
		t.Errorf("EXPUNGE: %q", u)
	}
}

func TestExamineIsReadOnly(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("ro", "body"))
	_, done := c.do("a EXAMINE INBOX")
	if !strings.HasPrefix(done, "a OK [READ-ONLY]") {
		t.Fatalf("EXAMINE: %q", done)
	}
	for _, cmd := range []string{`b STORE 1 +FLAGS \Seen`, "c EXPUNGE", "d MOVE 1 INBOX"} {
		_, done := c.do(cmd)
		if !strings.Contains(done, " NO ") {
			t.Errorf("%s in EXAMINE: %q", cmd, done)
		}
	}
	c.ok("e FETCH 1 BODY[TEXT]")
	u := c.ok("f FETCH 1 FLAGS")
	if strings.Contains(u[0], `\Seen`) {
		t.Errorf("FETCH BODY[] in EXAMINE set \\Seen: %q", u)
	}
	// And \Recent survives for the next SELECT.
	u = c.ok("g SELECT INBOX")
	if !contains(u, "* 1 RECENT") {
		t.Errorf("EXAMINE took \\Recent away: %q", u)
	}
}

func TestMoveUsesClientSequenceNumbers(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.ok("a CREATE Archive")
	for i := 0; i < 4; i++ {
		c.appendMsg("INBOX", "", testMessage("m"+strconv.Itoa(i), "x"))
	}
	c.ok("s SELECT INBOX")
	u := c.ok("b MOVE 2:3 Archive")
	want := []string{"* OK [COPYUID", "* 2 EXPUNGE", "* 2 EXPUNGE"}
	if len(u) != 3 {
		t.Fatalf("MOVE: %q", u)
	}
	for i, w := range want {
		if !strings.HasPrefix(u[i], w) {
			t.Errorf("MOVE line %d: %q, want %q", i, u[i], w)
		}
	}
	u = c.ok("c MOVE 1 INBOX") // to the same mailbox
	if !contains(u, "* 1 EXPUNGE") || !contains(u, "EXISTS") {
		t.Errorf("MOVE to the same mailbox: %q", u)
	}
	u = c.ok("d COPY 1 INBOX")
	if !contains(u, "* 3 EXISTS") {
		t.Errorf("COPY to the same mailbox: %q", u)
	}
}

// Sequence numbers follow the client's view: a message another session
// added is not visible (not even as "*") before its EXISTS.
func TestSequenceNumbersFollowClientView(t *testing.T) {
	e := startServer(t, nil)
	a := e.raw()
	a.login("alice")
	a.appendMsg("INBOX", "", testMessage("first", "x"))
	a.ok("s SELECT INBOX")
	b := e.raw()
	b.login("alice")
	b.appendMsg("INBOX", "", testMessage("second", "y"))
	time.Sleep(50 * time.Millisecond)
	u := a.ok("f FETCH * UID")
	if u[0] != "* 1 FETCH (UID 1)" {
		t.Fatalf("FETCH *: %q", u)
	}
	if !contains(u, "* 2 EXISTS") {
		t.Errorf("no EXISTS after FETCH: %q", u)
	}
	// An expunge by b is held back during FETCH and sent after NOOP.
	b.ok("s SELECT INBOX")
	b.ok(`st STORE 1 +FLAGS.SILENT \Deleted`)
	b.ok("x EXPUNGE")
	u = a.ok("g FETCH 1:* UID")
	if contains(u, "EXPUNGE") {
		t.Errorf("EXPUNGE sent during FETCH: %q", u)
	}
	u = a.ok("h NOOP")
	if !contains(u, "* 1 EXPUNGE") {
		t.Errorf("NOOP did not report the expunge: %q", u)
	}
}

func TestIdleSeesOtherSessionsAndPrograms(t *testing.T) {
	e := startServer(t, nil)
	a := e.raw()
	a.login("alice")
	a.ok("s SELECT INBOX")
	a.send("i IDLE")
	if l := a.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	b := e.raw()
	b.login("alice")
	b.appendMsg("INBOX", "", testMessage("pushed", "x"))
	if l := a.line(); l != "* 1 EXISTS" {
		t.Fatalf("IDLE after APPEND: %q", l)
	}
	a.line() // RECENT
	// Another program delivers into the maildir.
	start := time.Now()
	dir := filepath.Join(e.root, "alice", "INBOX")
	tmp := filepath.Join(dir, "tmp", "ext.1")
	os.WriteFile(tmp, []byte(testMessage("external", "from procmail")), 0o600)
	os.Rename(tmp, filepath.Join(dir, "new", "1700000000.ext.host"))
	if l := a.line(); l != "* 2 EXISTS" {
		t.Fatalf("IDLE after a file was dropped into new/: %q", l)
	}
	t.Logf("the dropped file took %v to show under IDLE", time.Since(start))
	a.line()
	a.send("DONE")
	if l := a.line(); !strings.HasPrefix(l, "i OK") {
		t.Fatalf("DONE: %q", l)
	}
	u := a.ok("f FETCH 2 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if !contains(u, "UID 2") {
		t.Errorf("FETCH of the new message: %q", u)
	}
}

func TestCreateDeleteHierarchy(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.ok("a CREATE a/")
	u := c.ok(`b LIST "" "*"`)
	if !contains(u, `(\Noselect \HasNoChildren) "/" a`) {
		t.Errorf("LIST after CREATE a/: %q", u)
	}
	c.ok("c DELETE a/")
	c.ok("d CREATE x/y")
	u = c.ok(`e LIST "" "%"`)
	if !contains(u, `(\Noselect \HasChildren) "/" x`) || contains(u, "x/y") {
		t.Errorf(`LIST "" "%%": %q`, u)
	}
	_, done := c.do("f DELETE INBOX")
	if !strings.HasPrefix(done, "f NO") {
		t.Errorf("DELETE INBOX: %q", done)
	}
	_, done = c.do("g CREATE ../escape")
	if !strings.HasPrefix(done, "g NO") {
		t.Errorf("CREATE ../escape: %q", done)
	}
	for _, bad := range []string{"&Jjo", "&AGE-", "a//b", "/etc/passwd", "a/../../b", "\"x\ty\"", "\".hidden\""} {
		_, done := c.do("n CREATE " + bad)
		if !strings.HasPrefix(done, "n NO") && !strings.HasPrefix(done, "n BAD") {
			t.Errorf("CREATE %s: %q", bad, done)
		}
	}
	c.ok("h RENAME x Moved")
	u = c.ok(`i LIST "" "*"`)
	if !contains(u, `"/" Moved/y`) {
		t.Errorf("RENAME did not take the children: %q", u)
	}
}

func TestLsubShowsNoselectParents(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.ok("a CREATE p/q")
	c.ok("b SUBSCRIBE p/q")
	c.ok("c SUBSCRIBE gone")
	u := c.ok(`d LSUB "" "%"`)
	if !contains(u, `* LSUB (\Noselect) "/" p`) || !contains(u, `* LSUB (\Noselect) "/" gone`) {
		t.Errorf("LSUB %%: %q", u)
	}
	u = c.ok(`e LSUB "" "*"`)
	if !contains(u, `* LSUB () "/" p/q`) {
		t.Errorf("LSUB *: %q", u)
	}
	// "*" reaches p/q itself: its unsubscribed parent is not listed.
	if contains(u, `* LSUB (\Noselect) "/" p`) {
		t.Errorf("LSUB * lists the unsubscribed parent p: %q", u)
	}
	// "p/%" reaches p/q; "p" does not match it.
	u = c.ok(`f LSUB "" "p/%"`)
	if len(u) != 1 || !contains(u, `* LSUB () "/" p/q`) {
		t.Errorf("LSUB p/%%: %q", u)
	}
}

func TestIDInEveryState(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	long := strings.Repeat("v", 1000)
	u := c.ok(`a ID ("name" "test" "version" "` + long + `")`)
	if len(u) != 1 || u[0] != `* ID ("name" "mailgate" "version" "test")` {
		t.Errorf("ID: %q", u)
	}
	c.login("alice")
	c.ok("b ID NIL")
	c.ok("s SELECT INBOX")
	c.ok("c ID NIL")
}

func TestLimits(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.MaxLine = 8192; o.MaxLiteral = 100 })
	c := e.raw()
	_, done := c.do("a NOOP " + strings.Repeat("x", 10000))
	if !strings.HasPrefix(done, "a BAD") && !strings.HasPrefix(done, "* BAD") {
		t.Errorf("long line: %q", done)
	}
	c.login("alice")
	c.send("b APPEND INBOX {1000}")
	if l := c.line(); !strings.HasPrefix(l, "b NO [TOOBIG]") {
		t.Errorf("APPEND too big: %q", l)
	}
	c.send("c APPEND INBOX {200+}\r\n" + strings.Repeat("y", 200))
	if l := c.line(); !strings.HasPrefix(l, "c NO [TOOBIG]") && !strings.HasPrefix(l, "c BAD") {
		t.Errorf("APPEND LITERAL+ too big: %q", l)
	}
	c.ok("d NOOP")
}

func TestSearch(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", `\Seen`, testMessage("apples", "red fruit"))
	c.appendMsg("INBOX", "", testMessage("pears", "green fruit"))
	c.appendMsg("INBOX", `\Flagged`, "From: carol@example.com\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nDate: 1 Jan 2020 00:00:00 +0000\r\n\r\n"+strings.Repeat("z", 3000)+"\r\n")
	c.ok("s SELECT INBOX")
	for _, tc := range []struct{ query, want string }{
		{"SEARCH ALL", "* SEARCH 1 2 3"},
		{"SEARCH TEXT fruit", "* SEARCH 1 2"},
		{"SEARCH TEXT apples", "* SEARCH 1"}, // in the Subject header
		{"SEARCH BODY green", "* SEARCH 2"},
		{"SEARCH UNSEEN", "* SEARCH 2 3"},
		{"SEARCH FROM carol", "* SEARCH 3"},
		{"SEARCH SUBJECT café", "* SEARCH 3"},
		{"SEARCH LARGER 1000", "* SEARCH 3"},
		{"SEARCH SMALLER 1000", "* SEARCH 1 2"},
		{"SEARCH SENTBEFORE 1-Jan-2021", "* SEARCH 3"},
		{"SEARCH SENTON 2-Nov-2026", "* SEARCH 1 2"},
		{"SEARCH OR FLAGGED SEEN", "* SEARCH 1 3"},
		{"SEARCH NOT 2:*", "* SEARCH 1"},
		{"UID SEARCH UID 2:*", "* SEARCH 2 3"},
		{"SEARCH CHARSET UTF-8 TEXT red", "* SEARCH 1"},
		{"SEARCH NEW", "* SEARCH 2 3"},
	} {
		u := c.ok("q " + tc.query)
		if len(u) != 1 || u[0] != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, u, tc.want)
		}
	}
	_, done := c.do("r SEARCH CHARSET KOI8-X TEXT a")
	if !strings.HasPrefix(done, "r NO [BADCHARSET") {
		t.Errorf("unknown charset: %q", done)
	}
}

func TestUIDExpungeAndFetchSections(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	mp := "From: a@b\r\nSubject: mp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\n\r\npart one\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Subject: inner\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n--YY\r\nContent-Type: text/plain\r\n\r\ninner one\r\n--YY\r\nContent-Type: text/html\r\n\r\n<p>inner two</p>\r\n--YY--\r\n" +
		"\r\n--XX--\r\n"
	c.appendMsg("INBOX", "", mp)
	c.appendMsg("INBOX", `\Deleted`, testMessage("del", "x"))
	c.appendMsg("INBOX", `\Deleted`, testMessage("keep", "x"))
	c.ok("s SELECT INBOX")
	u := c.ok("a UID EXPUNGE 2")
	if len(u) != 1 || u[0] != "* 2 EXPUNGE" {
		t.Errorf("UID EXPUNGE: %q", u)
	}
	u = c.ok("b FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.1] BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[2.1.MIME] BODY.PEEK[]<0.4>)")
	joined := strings.Join(u, "\n")
	for _, want := range []string{"part one", "inner one", "Subject: inner", "From"} {
		if !strings.Contains(joined, want) {
			t.Errorf("FETCH sections lack %q:\n%s", want, joined)
		}
	}
}
