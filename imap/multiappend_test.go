package imap_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap"
)

// TestMultiAppend: one APPEND stores several messages, each with its own
// flags and date, with one APPENDUID naming their UIDs (RFC 3502, RFC
// 4315); when one of them cannot be stored, none is (imaptest's
// multiappend group, and RFC 3502 section 6.3.11).
func TestMultiAppend(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.MaxLiteral = 1000 })
	c := e.raw()
	c.login("alice")
	m1, m2, m3 := testMessage("one", "1"), testMessage("two", "2"), testMessage("three", "3")
	c.send(fmt.Sprintf("a APPEND INBOX (\\Seen) {%d}", len(m1)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	io.WriteString(c.conn, m1+fmt.Sprintf(" (\\Flagged $x) \" 5-Mar-2024 10:11:12 +0100\" {%d}\r\n", len(m2)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	io.WriteString(c.conn, m2+fmt.Sprintf(" {%d+}\r\n%s\r\n", len(m3), m3))
	if l := c.line(); !strings.HasPrefix(l, "a OK [APPENDUID ") || strings.Fields(l)[4] != "1:3]" {
		t.Fatalf("APPEND: %q", l)
	}
	c.ok("s SELECT INBOX")
	u := c.ok("f FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	want := []string{`FLAGS (\Seen \Recent)`, `FLAGS ($x \Flagged \Recent)`, `FLAGS (\Recent)`}
	fetches := 0
	for _, l := range u {
		if !strings.Contains(l, " FETCH ") {
			continue
		}
		if fetches < 3 && !strings.Contains(l, want[fetches]) {
			t.Errorf("message %d: %q, want %s", fetches+1, l, want[fetches])
		}
		if fetches == 1 && !strings.Contains(l, `"05-Mar-2024 09:11:12 +0000"`) {
			t.Errorf("message 2's date: %q", l)
		}
		fetches++
	}
	if fetches != 3 {
		t.Fatalf("FETCH: %q", u)
	}

	// The third message is too large: nothing of the command is stored.
	c.send(fmt.Sprintf("b APPEND INBOX {%d}", len(m1)))
	c.line()
	io.WriteString(c.conn, m1+fmt.Sprintf(" {%d}\r\n", len(m2)))
	c.line()
	io.WriteString(c.conn, m2+" {5000}\r\n")
	if l := c.line(); !strings.HasPrefix(l, "b NO [TOOBIG]") {
		t.Fatalf("too big: %q", l)
	}
	// The same with a literal cut off by a syntax error after two.
	c.send(fmt.Sprintf("c APPEND INBOX {%d+}\r\n%s {%d+}\r\n%s junk", len(m1), m1, len(m2), m2))
	if l := c.line(); !strings.HasPrefix(l, "c BAD") {
		t.Fatalf("junk: %q", l)
	}
	if u := c.ok("n NOOP"); len(u) != 0 {
		t.Errorf("the failed APPENDs stored something: %q", u)
	}
	if u := c.ok("st STATUS INBOX (MESSAGES)"); !contains(u, "MESSAGES 3") {
		t.Errorf("STATUS: %q", u)
	}
	if u := c.ok("cap CAPABILITY"); !strings.Contains(u[0], " MULTIAPPEND ") {
		t.Errorf("CAPABILITY: %q", u)
	}
}
