package imap_test

// Review tests of fetcher.prefill (a first FETCH derives ENVELOPE, BODY
// and BODYSTRUCTURE in parallel). Each drives the real server on loopback.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// reviewKinds are messages another program or a careless client may
// leave: line ends of every sort, no end of header, a header larger than
// what StoredHeader reads (1 MiB) and than MH's Status: scan (256 KiB),
// 8-bit and NUL bytes, nested message/rfc822.
var reviewKinds = []func(i int) string{
	func(i int) string { // CR-only line ends (old Mac)
		return fmt.Sprintf("From: cr%d@example.org\rSubject: cr only %d\rDate: Mon, 2 Nov 2026 10:00:00 +0000\r\rbody\rline\r", i, i)
	},
	func(i int) string { // mixed
		return fmt.Sprintf("From: mixed%d@example.org\r\nSubject: mixed %d\nTo: a@b\r\nCc: c@d\rX: y\n\r\nbody\nline\r\n", i, i)
	},
	func(i int) string { // no end of header, no final line end
		return fmt.Sprintf("Subject: no header end %d\r\nFrom: nohdr%d@example.org", i, i)
	},
	func(i int) string { // a header larger than 1 MiB, the Subject after it
		var b strings.Builder
		b.WriteString(fmt.Sprintf("From: huge%d@example.org\r\nX-Big: x", i))
		for b.Len() < 1<<20+4096 {
			b.WriteString("\r\n aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		}
		b.WriteString(fmt.Sprintf("\r\nSubject: after huge %d\r\n\r\nbody\r\n", i))
		return b.String()
	},
	func(i int) string { // 8-bit header and body
		return fmt.Sprintf("From: J\xf6rg <eight%d@example.org>\r\nSubject: caf\xc3\xa9 \xff %d\r\nContent-Type: text/plain; charset=\"iso-8859-1\"\r\n\r\nna\xefve\r\n", i, i)
	},
	func(i int) string { // nested message/rfc822 holding a multipart
		return fmt.Sprintf("From: outer%d@example.org\r\nSubject: outer %d\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n"+
			"From: inner@example.org\r\nSubject: inner %d\r\nContent-Type: multipart/alternative; boundary=\"q\"\r\n\r\n"+
			"--q\r\nContent-Type: text/plain\r\n\r\nplain\r\n--q\r\nContent-Type: text/html; name*0=\"a\"; name*1=\"b.html\"\r\n\r\n<p>h</p>\r\n--q--\r\n", i, i, i)
	},
	func(i int) string { // empty header
		return fmt.Sprintf("\r\nno header at all %d\r\n", i)
	},
}

// nulMessage has NUL bytes in its header and body: a client cannot
// APPEND it (a literal holds no NUL), another program can deliver it.
func nulMessage(i int) string {
	return fmt.Sprintf("From: nul%d@example.org\nSubject: nul\x00byte %d\nContent-Type: application/octet-stream\n\nbin\x00ary\n", i, i)
}

// waitCount runs NOOP in c until the selected mailbox has n messages
// (files another program dropped are found asynchronously).
func waitCount(t *testing.T, c *rawConn, selected []string, n int) {
	t.Helper()
	re := regexp.MustCompile(`^\* (\d+) EXISTS`)
	deadline := time.Now().Add(10 * time.Second)
	last := -1
	for _, l := range selected {
		if m := re.FindStringSubmatch(l); m != nil {
			last, _ = strconv.Atoi(m[1])
		}
	}
	for time.Now().Before(deadline) && last != n {
		for _, l := range c.ok("w NOOP") {
			if m := re.FindStringSubmatch(l); m != nil {
				last, _ = strconv.Atoi(m[1])
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last == n {
		return
	}
	t.Fatalf("the mailbox has %d messages, want %d", last, n)
}

// reviewFill appends n messages of reviewKinds to box through c.
func reviewFill(t *testing.T, c *rawConn, box string, n int) {
	t.Helper()
	c.ok("c CREATE " + box)
	for i := 1; i <= n; i++ {
		c.appendDated(box, "", "02-Nov-2026 10:00:00 +0000", reviewKinds[i%len(reviewKinds)](i))
	}
}

// TestReviewPrefillDriversAsInLine: for maildir, MH and mbox, a FETCH of
// many messages (prefill) and FETCHes of one message at a time (in line)
// of the same odd messages answer alike, and the search fields and sort
// keys the prefill cached answer SEARCH and SORT alike.
func TestReviewPrefillDriversAsInLine(t *testing.T) {
	const n = 2*imap.MinParallelReads + 9
	const items = "(ENVELOPE BODY BODYSTRUCTURE)"
	for _, typ := range []string{"maildir", "mh", "mbox"} {
		t.Run(typ, func(t *testing.T) {
			e := startServerLayout(t, func(root string, l *storage.Layout) { l.DefaultType = typ }, nil)
			c := e.raw()
			c.wait = 60 * time.Second
			c.login("alice")
			reviewFill(t, c, "whole", n)
			reviewFill(t, c, "each", n)
			c.ok("s1 SELECT whole")
			before := imap.Prefilled()
			whole := fetchJoined(c.ok("f1 FETCH 1:* " + items))
			if got := imap.Prefilled() - before; got < 2*imap.MinParallelReads {
				t.Errorf("prefill derived %d values, want at least %d", got, 2*imap.MinParallelReads)
			}
			c.ok("s2 SELECT each")
			var each []string
			for i := 1; i <= n; i++ {
				each = append(each, fetchJoined(c.ok(fmt.Sprintf("f%d FETCH %d %s", i, i, items)))...)
			}
			slices.Sort(each)
			compareValues(t, whole, each)
			for _, cmd := range []string{"SEARCH SUBJECT huge", "SEARCH FROM mixed", "SEARCH SUBJECT caf", "SEARCH HEADER X y",
				"SORT (SUBJECT) UTF-8 ALL", "SORT (FROM) UTF-8 ALL", "SORT (REVERSE DATE SUBJECT) UTF-8 ALL"} {
				a, b := keyedAnswer(t, c, "whole", cmd), keyedAnswer(t, c, "each", cmd)
				if !slices.Equal(a, b) {
					t.Errorf("%s: after a prefill %d answers, in line %d", cmd, len(a), len(b))
				}
			}
		})
	}
}

// joined joins the lines of responses that literals split (a line that
// does not start with "* " continues the one before).
func joined(untagged []string) []string {
	var out []string
	for _, l := range untagged {
		if strings.HasPrefix(l, "* ") || len(out) == 0 {
			out = append(out, l)
			continue
		}
		out[len(out)-1] += "\n" + l
	}
	return out
}

// fetchJoined is fetchValues of responses with literals.
func fetchJoined(untagged []string) []string { return fetchValues(joined(untagged)) }

// TestReviewPrefillNULAndNonRegular: files another program left in a
// maildir's cur/ (NUL bytes; after SELECT, a message replaced by a FIFO,
// a directory, a symbolic link, an unreadable file, a truncated file)
// give the same answer to a large FETCH as to FETCHes of one message, in
// time, with OK.
func TestReviewPrefillNULAndNonRegular(t *testing.T) {
	const n = 2 * imap.MinParallelReads
	e := startServer(t, nil)
	c := e.raw()
	c.wait = 30 * time.Second
	c.login("alice")
	dir := filepath.Join(e.root, "alice", "INBOX", "cur")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		msg := testMessage("odd"+strconv.Itoa(i), "x")
		if i%4 == 0 {
			msg = nulMessage(i)
		}
		name := filepath.Join(dir, fmt.Sprintf("%d.M%dP1.review:2,S", 1700000000+i, i))
		if err := os.WriteFile(name, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	waitCount(t, c, c.ok("s SELECT INBOX"), n)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	slices.Sort(files)
	for i, f := range files {
		var err error
		switch i % 9 {
		case 1:
			if err = os.Remove(f); err == nil {
				err = syscall.Mkfifo(f, 0o600)
			}
		case 3:
			if err = os.Remove(f); err == nil {
				err = os.Mkdir(f, 0o700)
			}
		case 5:
			if err = os.Remove(f); err == nil {
				err = os.Symlink("/etc/passwd", f)
			}
		case 7:
			err = os.Truncate(f, 10)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	wholeU, done := c.do("f FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)")
	if !strings.HasPrefix(done, "f OK") {
		t.Fatalf("FETCH: %q", done)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("FETCH took %v", d)
	}
	whole := fetchJoined(wholeU)
	// The same mailbox one message at a time: what the prefill could not
	// derive was not cached, so that these derive it again in line; what
	// it derived is served from the cache, and must be what the files
	// hold now.
	c2 := e.raw()
	c2.login("alice")
	c2.ok("s SELECT INBOX")
	var each []string
	for i := 1; i <= n; i++ {
		u, d := c2.do(fmt.Sprintf("f%d FETCH %d (UID ENVELOPE BODYSTRUCTURE)", i, i))
		if !strings.Contains(d, "OK") {
			t.Fatalf("FETCH %d: %q", i, d)
		}
		each = append(each, fetchJoined(u)...)
	}
	slices.Sort(each)
	compareValues(t, whole, each)
}

// TestReviewPrefillChangedSince: FETCH ... (CHANGEDSINCE m) derives
// ahead only what it answers, and UID FETCH with VANISHED of a range
// partly expunged answers as before.
func TestReviewPrefillChangedSince(t *testing.T) {
	const n = 3 * imap.MinParallelReads
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for i := 1; i <= n; i++ {
		c.appendMsg("INBOX", "", testMessage("cs"+strconv.Itoa(i), "x"))
	}
	c.ok("e ENABLE QRESYNC")
	u := c.ok("s SELECT INBOX")
	var hms string
	for _, l := range u {
		if m := regexp.MustCompile(`HIGHESTMODSEQ (\d+)`).FindStringSubmatch(l); m != nil {
			hms = m[1]
		}
	}
	c.ok("st STORE 1:100 +FLAGS.SILENT (\\Flagged)")
	c.ok("sd STORE 150:160 +FLAGS.SILENT (\\Deleted)")
	c.ok("x EXPUNGE")
	before := imap.Prefilled()
	got := c.ok("f UID FETCH 1:* (ENVELOPE) (CHANGEDSINCE " + hms + " VANISHED)")
	if d := imap.Prefilled() - before; d != 100 {
		t.Errorf("prefill derived %d values, want the 100 changed ones", d)
	}
	fetches := 0
	for _, l := range got {
		if strings.Contains(l, " FETCH ") {
			fetches++
		}
	}
	if fetches != 100 {
		t.Errorf("%d FETCH responses, want 100", fetches)
	}
}

// TestReviewPrefillCacheFileSaved: what a prefill derived is in the cache
// file when the mailbox closes: a new session's FETCH derives nothing.
func TestReviewPrefillCacheFileSaved(t *testing.T) {
	storeLinger = -1
	t.Cleanup(func() { storeLinger = 0 })
	const n = 2 * imap.MinParallelReads
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for i := 1; i <= n; i++ {
		c.appendMsg("INBOX", "", testMessage("save"+strconv.Itoa(i), "x"))
	}
	c.ok("s SELECT INBOX")
	first := fetchJoined(c.ok("f FETCH 1:* (ENVELOPE BODYSTRUCTURE)"))
	c.ok("u UNSELECT")
	if _, err := os.Stat(filepath.Join(e.root, "alice", "INBOX", ".mailgate-cache")); err != nil {
		t.Fatalf("no cache file after the mailbox closed: %v", err)
	}
	c.ok("s2 SELECT INBOX")
	before := imap.Prefilled()
	again := fetchJoined(c.ok("f2 FETCH 1:* (ENVELOPE BODYSTRUCTURE)"))
	if d := imap.Prefilled() - before; d != 0 {
		t.Errorf("the second FETCH derived %d values: the cache file lacked them", d)
	}
	compareValues(t, first, again)
}

// TestReviewPrefillDisconnect: a client that goes away in the middle of
// a large first FETCH leaves no goroutine behind.
func TestReviewPrefillDisconnect(t *testing.T) {
	const n = 1000
	e := startServer(t, nil)
	fillMaildir(t, e, n)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.send("f FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
	c.line() // the first response: the FETCH is under way
	c.conn.Close()
	// No reader of the prefill, and no session, may be left.
	deadline := time.Now().Add(10 * time.Second)
	var stacks string
	for time.Now().Before(deadline) {
		buf := make([]byte, 4<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "readInParallel") && !strings.Contains(stacks, "cmdFetch") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("goroutines left 10 s after the client went away:\n%s", stacks)
}

// TestReviewPrefillUIDValidityReset: another program resets a maildir
// (new UIDVALIDITY, new messages under the old UIDs, as after a restore
// from backup or a re-creation) while a large FETCH's prefill is reading
// it. What the prefill derived from the old files must not be cached for
// the new messages: a later session must see the new envelopes.
// The prefill is kept reading by one large message (a sparse file) for
// long enough for the reset to be noticed.
func TestReviewPrefillUIDValidityReset(t *testing.T) {
	const n = 70
	const bigSize = 1 << 30
	e := startServer(t, nil)
	dir := filepath.Join(e.root, "alice", "INBOX")
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	props := func(validity int) {
		t.Helper()
		p := fmt.Sprintf("uidnext: %d\nuid-validity: %d\nversion: 3.15\n", n+2, validity)
		if err := os.WriteFile(filepath.Join(dir, ".mu-prop"), []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	big := "From: big@example.org\nSubject: big\nContent-Type: text/plain\n\n"
	bigName := fmt.Sprintf("1700000000.Mbig.review,S=%d,W=%d,u=1:2,S", bigSize, bigSize)
	write(bigName, big)
	if err := os.Truncate(filepath.Join(dir, "cur", bigName), bigSize); err != nil {
		t.Fatal(err)
	}
	msg := func(gen string, i int) string {
		return fmt.Sprintf("From: %s@example.org\nSubject: %s %d\nMessage-ID: <%s%d@x>\n\nbody\n", gen, gen, i, gen, i)
	}
	for i := 1; i <= n; i++ {
		write(fmt.Sprintf("%d.M%dP1.old,u=%d:2,S", 1700000000+i, i, i+1), msg("old", i))
	}
	props(1700000000)

	a := e.raw()
	a.wait = 120 * time.Second
	a.login("alice")
	waitCount(t, a, a.ok("s SELECT INBOX"), n+1)
	start := time.Now()
	a.send("f FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
	time.Sleep(300 * time.Millisecond) // the old envelopes are derived; the big file is being read

	// Another program resets the mailbox: the old files go, new ones
	// take their UIDs under a new UIDVALIDITY.
	files, _ := filepath.Glob(filepath.Join(dir, "cur", "*.old,*"))
	for _, f := range files {
		os.Remove(f)
	}
	for i := 1; i <= n; i++ {
		write(fmt.Sprintf("%d.M%dP1.new,u=%d:2,S", 1800000000+i, i, i+1), msg("new", i))
	}
	props(1800000000)
	c := e.raw()
	c.login("alice")
	deadline := time.Now().Add(20 * time.Second)
	for {
		u := c.ok("st STATUS INBOX (UIDVALIDITY)")
		if contains(u, "UIDVALIDITY 1800000000") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reset was not noticed: %q", u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	noticed := time.Since(start)
	// a's FETCH ends when the big file is read (or at once: the session
	// may be told to go).
	for {
		l := a.line()
		if strings.HasPrefix(l, "f ") || strings.HasPrefix(l, "* BYE") {
			break
		}
	}
	t.Logf("reset noticed after %v, first FETCH done after %v", noticed, time.Since(start))
	if time.Since(start) < noticed+100*time.Millisecond {
		t.Skip("the big message was read before the reset was noticed: the race was not run")
	}

	c.ok("s SELECT INBOX")
	for _, l := range joined(c.ok("f FETCH 2:* (UID ENVELOPE)")) {
		if strings.Contains(l, `"old `) {
			t.Errorf("an envelope of a message of the old UIDVALIDITY answers for a new one: %.200s", l)
		}
	}
}
