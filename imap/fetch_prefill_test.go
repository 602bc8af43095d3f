package imap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
)

// prefillMessages are the kinds of message the prefill tests put in a
// mailbox, by index modulo their count: what ENVELOPE and BODYSTRUCTURE
// must read right whichever goroutine reads them. lf says the file is
// dropped into cur/ with LF line ends, as another program delivers it,
// rather than appended.
var prefillMessages = []struct {
	lf  bool
	msg func(i int) string
}{
	{false, func(i int) string { return testMessage("plain "+strconv.Itoa(i), "body") }},
	{false, func(i int) string {
		return "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>, group: a@b, \"c d\" <c@d>;\r\n" +
			"To: undisclosed:;\r\nSubject: =?utf-8?b?w6l0w6k=?= " + strconv.Itoa(i) + "\r\n" +
			"Date: Tue, 2 Jan 2024 10:00:00 +0100\r\nIn-Reply-To: <p@x>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: application/octet-stream; name=\"f.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"
	}},
	{true, func(i int) string {
		return "From: lf@example.org\nSubject: lf " + strconv.Itoa(i) + "\nMessage-ID: <lf" + strconv.Itoa(i) + "@x>\n\nline one\nline two\n"
	}},
	{false, func(i int) string { return "Subject: no blank line " + strconv.Itoa(i) }},
	{true, func(i int) string {
		return "Subject: wrapped " + strconv.Itoa(i) + "\nContent-Type: message/rfc822\n\nFrom: inner@x\nSubject: inner " + strconv.Itoa(i) + "\n\ninner body\n"
	}},
}

// internalDate is the internal date of every message fillPrefillBox puts.
var internalDate = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// fillPrefillBox puts n messages of prefillMessages into mailbox name of
// user alice, appended through c or dropped into the maildir.
func fillPrefillBox(t *testing.T, e *testEnv, c *rawConn, name string, n int) {
	t.Helper()
	c.ok("c CREATE " + name)
	dir := filepath.Join(e.root, "alice", name)
	for i := 1; i <= n; i++ {
		k := prefillMessages[i%len(prefillMessages)]
		// Every message has the same internal date, so that SORT's
		// fallback to it for messages without a Date field orders
		// both mailboxes alike however long filling them took.
		msg := k.msg(i)
		if !k.lf {
			c.appendDated(name, "", internalDate.Format("02-Jan-2006 15:04:05 -0700"), msg)
			continue
		}
		// The name orders it after the messages appended before.
		// Written in tmp/ and dated there, so that the server never
		// sees it with another date.
		name := fmt.Sprintf("%d.M%dP1.test", 1700000000+i, i)
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, []byte(msg), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, internalDate, internalDate); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "cur", name+":2,S")); err != nil {
			t.Fatal(err)
		}
	}
}

// fetchValues returns the FETCH lines of untagged without their
// sequence numbers, sorted: the messages' values, whatever order the
// mailbox gave them (files dropped into cur/ get their UIDs when the
// server finds them).
func fetchValues(untagged []string) []string {
	var out []string
	for _, l := range untagged {
		if _, v, ok := strings.Cut(l, " FETCH "); ok {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// TestFetchPrefillAnswersAsInLine checks that the values a large FETCH
// derives in parallel (prefill) are those one message at a time derives:
// two mailboxes hold the same messages; one is fetched whole (above
// imap.MinParallelReads), the other one message at a time, so that neither
// comes from the cache. The values the prefill cached on the way (search
// fields, sort keys) must answer SEARCH and SORT as the messages do.
func TestFetchPrefillAnswersAsInLine(t *testing.T) {
	const n = 3*imap.MinParallelReads + 7 // more than one batch's worth, not a multiple
	const items = "(ENVELOPE BODY BODYSTRUCTURE)"
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	fillPrefillBox(t, e, c, "whole", n)
	fillPrefillBox(t, e, c, "each", n)

	// Files another program dropped are found a moment later.
	waitCount(t, c, c.ok("s1 SELECT whole"), n)
	before := imap.Prefilled()
	whole := fetchValues(c.ok("f1 FETCH 1:* " + items))
	if got := imap.Prefilled() - before; got < n {
		t.Errorf("the FETCH derived %d values ahead, want at least %d", got, n)
	}
	if len(whole) != n {
		t.Fatalf("FETCH 1:* answered %d messages, want %d", len(whole), n)
	}
	waitCount(t, c, c.ok("s2 SELECT each"), n)
	var each []string
	for i := 1; i <= n; i++ {
		each = append(each, fetchValues(c.ok(fmt.Sprintf("f%d FETCH %d %s", i, i, items)))...)
	}
	slices.Sort(each)
	compareValues(t, whole, each)

	// The search fields and sort keys cached by the prefill answer as
	// those derived for SEARCH and SORT themselves: the same subjects,
	// in the same order, in both mailboxes.
	for _, cmd := range []string{"SEARCH FROM zoe", "SEARCH SUBJECT lf", "SORT (SUBJECT) UTF-8 ALL", "SORT (FROM SUBJECT) UTF-8 ALL", "SORT (REVERSE DATE SUBJECT) UTF-8 ALL"} {
		a, b := keyedAnswer(t, c, "whole", cmd), keyedAnswer(t, c, "each", cmd)
		if i := firstDifference(a, b); i >= 0 {
			t.Errorf("%s: after a prefill and in line, answers differ first at %d of %d/%d: %.200q against %.200q", cmd, i, len(a), len(b), at(a, i), at(b, i))
		}
		if len(a) == 0 {
			t.Errorf("%s found nothing", cmd)
		}
	}
}

// keyedAnswer runs a SEARCH or SORT in box and returns the envelopes of
// what it found, in its order (literals joined to their lines, see
// joined): an answer that two mailboxes with the same
// messages in another UID order give alike (every message has a subject
// of its own, so that SORT has no ties to break by sequence number).
func keyedAnswer(t *testing.T, c *rawConn, box, cmd string) []string {
	t.Helper()
	c.ok("s SELECT " + box)
	var seqs []string
	for _, l := range c.ok("q " + cmd) {
		if f := strings.Fields(l); len(f) >= 2 && (f[1] == "SEARCH" || f[1] == "SORT") {
			seqs = f[2:]
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	keyOf := map[string]string{}
	for _, l := range joined(c.ok("g FETCH " + strings.Join(seqs, ",") + " (ENVELOPE)")) {
		seq := strings.Fields(l)[1]
		keyOf[seq] = l[strings.Index(l, " FETCH "):]
	}
	out := make([]string, len(seqs))
	for i, s := range seqs {
		out[i] = keyOf[s]
	}
	return out
}

// TestFetchPrefillFilesGone removes some messages' files behind the
// server's back (another program expunged them) after SELECT: a large
// FETCH ENVELOPE must still answer every other message rightly, and the
// removed ones as Dovecot does (placeholders or left out), with OK.
func TestFetchPrefillFilesGone(t *testing.T) {
	const n = 2 * imap.MinParallelReads
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for i := 1; i <= n; i++ {
		c.appendMsg("INBOX", "", testMessage("gone"+strconv.Itoa(i), "x"))
	}
	c.ok("s SELECT INBOX")
	files, err := filepath.Glob(filepath.Join(e.root, "alice", "INBOX", "cur", "*"))
	if err != nil || len(files) != n {
		t.Fatalf("files %d, %v", len(files), err)
	}
	removed := 0
	for i, f := range files {
		if i%7 == 3 {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
			removed++
		}
	}
	u, done := c.do("f FETCH 1:* (UID ENVELOPE)")
	if !strings.HasPrefix(done, "f OK") {
		t.Fatalf("FETCH: %q", done)
	}
	got := 0
	for _, l := range u {
		if !strings.Contains(l, " FETCH ") {
			continue
		}
		m := regexp.MustCompile(`"gone(\d+)"`).FindStringSubmatch(l)
		if m == nil {
			if !strings.Contains(l, imap.LostEnvelope) {
				t.Errorf("neither an envelope nor the placeholder: %q", l)
			}
			continue
		}
		got++
		if !strings.Contains(l, "<gone"+m[1]+"@example.org>") {
			t.Errorf("envelope of another message: %q", l)
		}
	}
	if got != n-removed {
		t.Errorf("%d envelopes, want %d (untagged %q)", got, n-removed, u)
	}
}

// TestFetchPrefillRaces runs large first FETCHes of derived items from two
// sessions while a third changes flags and expunges: under -race, the
// readers share the cache and the folder with the writer. Each answer
// must complete and hold only the right envelopes.
func TestFetchPrefillRaces(t *testing.T) {
	const n = 4 * imap.MinParallelReads
	e := startServer(t, nil)
	w := e.raw()
	w.login("alice")
	for _, box := range []string{"r1", "r2", "r3"} {
		w.ok("c CREATE " + box)
		for i := 1; i <= n; i++ {
			w.appendMsg(box, "", testMessage(box+"m"+strconv.Itoa(i), "x"))
		}
	}
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		c := e.raw()
		c.login("alice")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, box := range []string{"r1", "r2", "r3"} {
				c.ok("s SELECT " + box)
				u, done := c.do("f FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
				if !strings.HasPrefix(done, "f OK") {
					t.Errorf("FETCH in %s: %q", box, done)
					return
				}
				for _, l := range u {
					if strings.Contains(l, "ENVELOPE") && !strings.Contains(l, imap.LostEnvelope) && !strings.Contains(l, `"`+box+"m") {
						t.Errorf("FETCH in %s: %q", box, l)
					}
				}
			}
		}()
	}
	for _, box := range []string{"r1", "r2", "r3"} {
		w.ok("s SELECT " + box)
		w.ok("st STORE 1:* +FLAGS (\\Flagged)")
		w.ok("sd STORE 1:10 +FLAGS (\\Deleted)")
		w.ok("x EXPUNGE")
	}
	wg.Wait()
}

// firstDifference returns the first index where a and b differ, or -1
// when they are equal.
func firstDifference(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) || i >= len(a) || i >= len(b) {
			return i
		}
	}
	return -1
}

// at returns s[i], or "" past its end.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// compareValues fails at the first difference of two sorted answers.
func compareValues(t *testing.T, whole, each []string) {
	t.Helper()
	if i := firstDifference(whole, each); i >= 0 {
		t.Fatalf("first difference, at %d of %d/%d:\nprefill  %.300s\nin line  %.300s", i, len(whole), len(each), at(whole, i), at(each, i))
	}
}
