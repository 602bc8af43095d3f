package imap_test

import (
	"regexp"
	"strings"
	"testing"
)

var (
	mailboxIDRe = regexp.MustCompile(`MAILBOXID \(([A-Za-z0-9_-]+)\)`)
	emailIDRe   = regexp.MustCompile(`EMAILID \(([A-Za-z0-9_-]+)\)`)
	threadIDRe  = regexp.MustCompile(`THREADID \(([A-Za-z0-9_-]+)\)`)
)

// firstMatch returns the first submatch of re in lines, or "".
func firstMatch(re *regexp.Regexp, lines ...string) string {
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	return ""
}

// OBJECTID (RFC 8474): MAILBOXID from CREATE, SELECT and STATUS agree and
// survive RENAME; a mailbox deleted and made again gets a new one;
// EMAILID stays across COPY and MOVE; SEARCH EMAILID finds the message.
func TestObjectID(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " OBJECTID") {
		t.Fatalf("capabilities %q", caps)
	}
	_, done := c.do("c1 CREATE box")
	created := firstMatch(mailboxIDRe, done)
	if created == "" || !strings.HasPrefix(done, "c1 OK [MAILBOXID (") {
		t.Fatalf("CREATE: %q", done)
	}
	status := func(tag, name string) string {
		t.Helper()
		return firstMatch(mailboxIDRe, c.ok(tag+" STATUS "+name+" (MESSAGES MAILBOXID)")...)
	}
	if got := status("s1", "box"); got != created {
		t.Fatalf("STATUS MAILBOXID %q, CREATE said %q", got, created)
	}
	inbox := status("s2", "INBOX")
	if inbox == "" || inbox == created {
		t.Fatalf("INBOX MAILBOXID %q (box %q)", inbox, created)
	}
	c.ok("c2 RENAME box renamed")
	if got := status("s3", "renamed"); got != created {
		t.Fatalf("after RENAME: %q, want %q", got, created)
	}
	if got := firstMatch(mailboxIDRe, c.ok("c3 EXAMINE renamed")...); got != created {
		t.Fatalf("EXAMINE MAILBOXID %q, want %q", got, created)
	}
	c.ok("c4 UNSELECT")
	c.ok("c5 DELETE renamed")
	_, done = c.do("c6 CREATE renamed")
	if again := firstMatch(mailboxIDRe, done); again == "" || again == created {
		t.Fatalf("re-created mailbox has MAILBOXID %q (the deleted one had %q)", again, created)
	}

	c.appendMsg("INBOX", "", testMessage("one", "first"))
	c.appendMsg("INBOX", "", testMessage("two", "second"))
	c.ok("c7 SELECT INBOX")
	u := c.ok("c8 FETCH 1:2 (EMAILID THREADID)")
	if len(u) != 2 || firstMatch(threadIDRe, u[0]) == "" {
		t.Fatalf("FETCH: %q", u)
	}
	id1, id2 := firstMatch(emailIDRe, u[0]), firstMatch(emailIDRe, u[1])
	if id1 == "" || id2 == "" || id1 == id2 {
		t.Fatalf("EMAILIDs %q and %q", id1, id2)
	}
	if u := c.ok("c9 UID SEARCH EMAILID " + id2); !contains(u, "* SEARCH 2") {
		t.Fatalf("SEARCH EMAILID: %q", u)
	}
	if u := c.ok("c10 SEARCH THREADID T1"); !contains(u, "* SEARCH") || contains(u, "* SEARCH 1") {
		t.Fatalf("SEARCH THREADID: %q", u)
	}
	c.ok("c11 COPY 1 renamed")
	c.ok("c12 MOVE 2 renamed")
	c.ok("c13 SELECT renamed")
	u = c.ok("c14 FETCH 1:2 (EMAILID)")
	if got := []string{firstMatch(emailIDRe, u[0]), firstMatch(emailIDRe, u[1])}; got[0] != id1 || got[1] != id2 {
		t.Fatalf("after COPY and MOVE: %q, want %q %q", got, id1, id2)
	}
}

// TestThreadID: messages that name the same first ancestor share a
// THREADID (RFC 8474 section 5.2), others have their own, messages with
// the same content (one EMAILID) have the same one even without any
// Message-ID, it survives COPY, and SEARCH THREADID finds the thread.
func TestThreadID(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	for _, m := range []string{
		sortMessage("x@y", "Hello", "", "a@x", ""),
		sortMessage("x@y", "Re: Hello", "", "b@x", "<a@x>"),
		sortMessage("x@y", "Re: Hello", "", "c@x", "<a@x> <b@x>"),
		sortMessage("x@y", "Other", "", "d@x", ""),
		"Subject: no ids\r\n\r\nsame\r\n",
		"Subject: no ids\r\n\r\nsame\r\n",
		"Subject: no ids\r\n\r\nother\r\n",
	} {
		c.appendMsg("INBOX", "", m)
	}
	c.ok("s SELECT INBOX")
	u := c.ok("f FETCH 1:* (THREADID)")
	ids := make([]string, len(u))
	for i, l := range u {
		if ids[i] = firstMatch(threadIDRe, l); ids[i] == "" {
			t.Fatalf("FETCH THREADID: %q", u)
		}
	}
	if ids[0] != ids[1] || ids[0] != ids[2] || ids[3] == ids[0] || ids[4] != ids[5] || ids[4] == ids[6] || ids[4] == ids[0] {
		t.Errorf("THREADIDs %q: want 1-3 alike, 4 apart, 5 and 6 alike, 7 apart", ids)
	}
	if u := c.ok("q SEARCH THREADID " + ids[0]); !contains(u, "* SEARCH 1 2 3") {
		t.Errorf("SEARCH THREADID: %q", u)
	}
	c.ok("c COPY 2 INBOX")
	if u := c.ok("f FETCH 8 (THREADID)"); firstMatch(threadIDRe, u[0]) != ids[0] {
		t.Errorf("THREADID of a copy: %q, want %s", u, ids[0])
	}
}
