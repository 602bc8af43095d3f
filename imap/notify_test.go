package imap_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
)

func init() {
	fuzzSeeds = append(fuzzSeeds,
		"1 SELECT INBOX\r\n2 NOTIFY SET STATUS (selected (MessageNew (UID FLAGS BODY.PEEK[HEADER]) MessageExpunge FlagChange)) (personal (MailboxName SubscriptionChange)) (mailboxes (INBOX Trash) (MessageNew MessageExpunge))\r\n3 CREATE x\r\n4 NOTIFY NONE\r\n",
		"1 NOTIFY SET (selected (MessageNew))\r\n2 NOTIFY SET (subtree \"\" (FlagChange AnnotationChange))\r\n3 NOTIFY SET (inboxes NONE) (subscribed (MessageNew (UID)))\r\n4 NOTIFY\r\n5 NOTIFY SET\r\n6 NOTIFY SET (selected-delayed (MessageNew MessageExpunge))\r\n7 IDLE\r\nDONE\r\n",
	)
}

// expectLines reads lines until each of want has been seen in one, in
// any order, failing after a few seconds; nothing is sent meanwhile.
func expectLines(t *testing.T, c *rawConn, want ...string) []string {
	t.Helper()
	return expectLinesWithin(t, c, 5*time.Second, want...)
}

// expectLinesWithin is expectLines with a deadline of its own.
func expectLinesWithin(t testing.TB, c *rawConn, within time.Duration, want ...string) []string {
	t.Helper()
	var got []string
	left := append([]string(nil), want...)
	deadline := time.Now().Add(within)
	for len(left) > 0 {
		c.conn.SetReadDeadline(deadline)
		l, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", left, err, got)
		}
		l = strings.TrimRight(l, "\r\n")
		got = append(got, l)
		for i, w := range left {
			if strings.Contains(l, w) {
				left = append(left[:i], left[i+1:]...)
				break
			}
		}
	}
	return got
}

// expectQuiet checks that nothing arrives for a moment.
func expectQuiet(t *testing.T, c *rawConn) {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if l, err := c.r.ReadString('\n'); err == nil {
		t.Fatalf("unexpected %q", l)
	}
}

// TestNotifySelected: with NOTIFY on the selected mailbox, a message
// another session appends, its flags and its expunge reach this session
// at once, without IDLE or a command (RFC 5465 section 5), with
// MessageNew's fetch attributes; so does a message another program drops
// into the maildir.
func TestNotifySelected(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	if !contains(a.ok("c CAPABILITY"), " NOTIFY") {
		t.Fatal("NOTIFY not advertised")
	}
	a.ok("s SELECT INBOX")
	a.ok("n NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange))")
	b.appendMsg("INBOX", "", testMessage("hello", "x"))
	expectLines(t, a, "* 1 EXISTS", "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)]")
	b.ok("s SELECT INBOX")
	b.ok("st STORE 1 +FLAGS (\\Flagged)")
	expectLines(t, a, `* 1 FETCH (FLAGS (\Flagged`)
	b.ok("st STORE 1 +FLAGS (\\Deleted)")
	expectLines(t, a, `\Deleted`)
	b.ok("ex EXPUNGE")
	expectLines(t, a, "* 1 EXPUNGE")

	// Another program delivers into the maildir.
	msg := testMessage("dropped", "y")
	tmp := filepath.Join(e.root, "alice", "INBOX", "tmp", "1700000000.P1Q1.otherhost")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(msg, "\r\n", "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(e.root, "alice", "INBOX", "new", "1700000000.P1Q1.otherhost")); err != nil {
		t.Fatal(err)
	}
	expectLines(t, a, "* 1 EXISTS", "BODY[HEADER.FIELDS (SUBJECT)] {")
	// The session goes on: commands are answered as usual.
	a.ok("n NOOP")

	// NOTIFY NONE: news waits for a command again.
	a.ok("n NOTIFY NONE")
	b.appendMsg("INBOX", "", testMessage("later", "z"))
	expectQuiet(t, a)
	if u := a.ok("n NOOP"); !contains(u, "* 2 EXISTS") {
		t.Fatalf("NOOP after NOTIFY NONE: %q", u)
	}
}

// TestNotifyOtherMailboxes: mailboxes other than the selected one are
// told of as STATUS, at once (with STATUS, their state when NOTIFY SET
// is answered), including during IDLE and with nothing selected.
func TestNotifyOtherMailboxes(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	a.ok("c CREATE Lists")
	b.appendMsg("Lists", "", testMessage("one", "1"))
	u := a.ok("n NOTIFY SET STATUS (mailboxes Lists (MessageNew MessageExpunge)) (inboxes (MessageExpunge))")
	if !contains(u, "* STATUS Lists (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ") || !contains(u, "* STATUS INBOX (MESSAGES 0)") {
		t.Fatalf("initial STATUS: %q", u)
	}
	b.appendMsg("Lists", "", testMessage("two", "2"))
	expectLines(t, a, "* STATUS Lists (MESSAGES 2 UIDNEXT 3 UIDVALIDITY ")
	// INBOX is watched for expunges only.
	b.appendMsg("INBOX", "", testMessage("three", "3"))
	expectQuiet(t, a)
	b.ok("s SELECT INBOX")
	b.ok("st STORE 1 +FLAGS.SILENT (\\Deleted)")
	b.ok("ex EXPUNGE")
	expectLines(t, a, "* STATUS INBOX (MESSAGES 0)")

	// Another program delivers into the watched maildir.
	dirs, _ := filepath.Glob(filepath.Join(e.root, "alice", "*", "Lists", "new"))
	if len(dirs) == 0 {
		dirs, _ = filepath.Glob(filepath.Join(e.root, "alice", "Lists", "new"))
	}
	if len(dirs) != 1 {
		t.Fatalf("Lists maildir not found below %s", e.root)
	}
	tmp := filepath.Join(filepath.Dir(dirs[0]), "tmp", "1700000001.P2Q1.otherhost")
	os.WriteFile(tmp, []byte("Subject: dropped\n\nz\n"), 0o600)
	if err := os.Rename(tmp, filepath.Join(dirs[0], "1700000001.P2Q1.otherhost")); err != nil {
		t.Fatal(err)
	}
	expectLines(t, a, "* STATUS Lists (MESSAGES 3 UIDNEXT 4 ")

	// During IDLE.
	a.send("i IDLE")
	if l := a.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	b.appendMsg("Lists", "", testMessage("four", "4"))
	expectLines(t, a, "* STATUS Lists (MESSAGES 4 UIDNEXT 5 ")
	a.send("DONE")
	expectLines(t, a, "i OK")
}

// TestNotifyMailboxNames: another session's CREATE, DELETE and SUBSCRIBE
// reach a session that asked for MailboxName and SubscriptionChange as
// LIST responses (RFC 5465 sections 5.5 and 5.6); its own are not echoed.
func TestNotifyMailboxNames(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	a.ok("n NOTIFY SET (personal (MailboxName SubscriptionChange))")
	b.ok("c CREATE Projects")
	expectLines(t, a, `* LIST (\HasNoChildren) "/" Projects`)
	b.ok("c SUBSCRIBE Projects")
	expectLines(t, a, `* LIST (\HasNoChildren \Subscribed) "/" Projects`)
	b.ok("c RENAME Projects Archive")
	got := expectLines(t, a, `* LIST (\HasNoChildren \Subscribed) "/" Archive ("OLDNAME" (Projects))`)
	if contains(got, `\NonExistent`) {
		t.Errorf("RENAME told as a deletion: %q", got)
	}
	b.ok("c DELETE Archive")
	expectLines(t, a, `* LIST (\NonExistent \Subscribed) "/" Archive`) // the subscription stays
	if u := a.ok("c CREATE Mine"); contains(u, "* LIST") {
		t.Errorf("own CREATE echoed: %q", u)
	}
	expectQuiet(t, a)
}

// TestNotifyRefusals: what RFC 5465 refuses, and what is not served.
func TestNotifyRefusals(t *testing.T) {
	e := startServer(t, nil)
	a := e.raw()
	a.login("alice")
	for _, tc := range []struct{ cmd, want string }{
		{"NOTIFY SET (selected (MessageNew))", "BAD"},
		{"NOTIFY SET (selected (FlagChange))", "BAD"},
		{"NOTIFY SET (personal (MessageNew (UID)))", "BAD"},
		{"NOTIFY SET (personal (AnnotationChange))", "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]"},
		{"NOTIFY SET (nowhere (MessageNew))", "BAD"},
		{"NOTIFY SET (mailboxes () (MessageNew))", "BAD"},
		{"NOTIFY SET", "BAD"},
		{"NOTIFY FOO", "BAD"},
		{"NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (subtree (INBOX Nowhere) (MessageNew MessageExpunge FlagChange))", "OK"},
		{"NOTIFY SET (inboxes NONE)", "OK"},
		{"NOTIFY NONE", "OK"},
	} {
		if _, done := a.do("t " + tc.cmd); !strings.HasPrefix(done, "t "+tc.want) {
			t.Errorf("%s: %q, want %s", tc.cmd, done, tc.want)
		}
	}
	a.ok("n NOOP")
}

// BenchmarkNotifyLatency measures how long a message appended by one
// session takes to reach another session that has NOTIFY on its
// selected mailbox, from the APPEND's tagged OK to the EXISTS read.
func BenchmarkNotifyLatency(b *testing.B) {
	e := startServer(b, nil)
	a, w := e.raw(), e.raw()
	a.login("alice")
	w.login("alice")
	a.ok("s SELECT INBOX")
	a.ok("n NOTIFY SET (selected (MessageNew MessageExpunge))")
	msg := testMessage("bench", "x")
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.appendMsg("INBOX", "", msg)
		start := time.Now()
		for {
			if l := a.line(); strings.HasSuffix(l, " EXISTS") {
				break
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-after-OK/op")
}

// BenchmarkNotifyWatched measures a command's round trip (NOOP) for a
// session whose NOTIFY watches 500 mailboxes of 20 messages each, none
// of which changes: the watched mailboxes should cost nothing then.
func BenchmarkNotifyWatched(b *testing.B) {
	e := startServer(b, nil)
	a := e.raw()
	a.login("alice")
	const boxes, msgs = 499, 20 // and INBOX
	fillWatched(b, e, boxes, msgs)
	// Opening 500 mailboxes may take longer than line's deadline.
	a.send("n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))")
	expectLinesWithin(b, a, time.Minute, "n OK")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.ok("n NOOP")
	}
}

// fillWatched makes the maildirs w0 to w(boxes-1) of alice with msgs
// messages each, as another program would.
func fillWatched(t testing.TB, e *testEnv, boxes, msgs int) {
	t.Helper()
	for i := 0; i < boxes; i++ {
		dir := filepath.Join(e.root, "alice", "w"+strconvItoa(i))
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for j := 0; j < msgs; j++ {
			name := filepath.Join(dir, "cur", "17000000"+strconvItoa(10+j)+".P1Q"+strconvItoa(j)+".otherhost:2,S")
			if err := os.WriteFile(name, []byte(strings.ReplaceAll(testMessage("m", "x"), "\r\n", "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestNotifyWatchedUnchanged: a session watching many mailboxes reads
// none of them while none changes, one when one changes, and a watched
// mailbox deleted and made again by another session is still watched:
// its new UIDVALIDITY is told.
func TestNotifyWatchedUnchanged(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	const boxes = 60
	fillWatched(t, e, boxes, 3)
	a.ok("n NOTIFY SET (personal (MessageNew MessageExpunge FlagChange))")
	before := imap.WatchedLooks()
	for i := 0; i < 20; i++ {
		if u := a.ok("n NOOP"); len(u) > 0 {
			t.Fatalf("NOOP with nothing changed: %q", u)
		}
	}
	if n := imap.WatchedLooks() - before; n != 0 {
		t.Fatalf("20 NOOPs with nothing changed read %d watched mailboxes", n)
	}
	b.appendMsg("w7", "", testMessage("new", "n"))
	expectLines(t, a, "* STATUS w7 (MESSAGES 4 UIDNEXT 5 UIDVALIDITY ")
	a.ok("n NOOP")
	if n := imap.WatchedLooks() - before; n < 1 || n > 2 {
		t.Fatalf("one change read %d watched mailboxes", n)
	}

	b.ok("d DELETE w9")
	b.ok("c CREATE w9")
	b.appendMsg("w9", "", testMessage("again", "a"))
	expectLines(t, a, "* STATUS w9 (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")
}

// TestNotifySelectedDelayedExpunge: with selected-delayed, an expunge by
// another session waits for a command (RFC 5465 section 6) and does not
// keep waking the session meanwhile: it was woken again and again, at
// once, and never read the client's next command.
func TestNotifySelectedDelayedExpunge(t *testing.T) {
	a, b := twoInInbox(t)
	a.ok("n NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
	b.ok("s SELECT INBOX")
	b.ok(`d STORE 2 +FLAGS.SILENT (\Deleted)`)
	b.ok("x EXPUNGE")
	// The STORE may be told at once (unless the expunge came first);
	// the expunge may not.
	a.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	for {
		l, err := a.r.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(l, `* 2 FETCH (FLAGS (\Deleted`) {
			t.Fatalf("between commands: %q", l)
		}
	}
	// New mail is still told between commands.
	b.appendMsg("INBOX", "", testMessage("new", "n"))
	expectLines(t, a, "* 4 EXISTS")
	if u := a.ok("n NOOP"); !contains(u, "* 2 EXPUNGE") {
		t.Errorf("NOOP: %q", u)
	}
}

// TestNotifyChangeWhileWriting: a watched mailbox that changes after a
// session's last look, while it finishes writing and before it waits for
// its client again, is told at once, not at the client's next command.
func TestNotifyChangeWhileWriting(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	fillWatched(t, e, 10, 3)
	a.ok("n NOTIFY SET (personal (MessageNew MessageExpunge))")
	var once sync.Once
	defer imap.SetAfterNotifySend(func() {
		once.Do(func() { b.appendMsg("w7", "", testMessage("meanwhile", "m")) })
	})()
	a.ok("n NOOP")
	expectLines(t, a, "* STATUS w7 (MESSAGES 4 UIDNEXT 5 UIDVALIDITY ")
}
