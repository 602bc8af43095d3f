package imap_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap"
)

// The transcript masks passwords and AUTHENTICATE data as imap4d does,
// whatever form they take, and shows literals as their size only.
func TestTranscriptMasksSecrets(t *testing.T) {
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) { logs = capture(o); o.Transcript = true })

	c := e.raw()
	c.send("a LOGIN alice {6}")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("LOGIN literal: %q", l)
	}
	c.send("secret")
	c.tagged("a")
	msg := testMessage("marked", "BODYMARKER")
	c.send("b APPEND INBOX {" + strconvItoa(len(msg)) + "+}\r\n" + msg)
	c.tagged("b")
	c.ok("s SELECT INBOX")
	c.ok("f FETCH 1 BODY[]")
	c.ok("g LOGOUT")

	for _, login := range []func(c *rawConn){
		func(c *rawConn) { c.ok("a LOGIN alice secret") },
		func(c *rawConn) { c.ok(`a LOGIN "alice" "secret"`) },
		func(c *rawConn) { c.send("a LOGIN {5+}\r\nalice {6+}\r\nsecret"); c.tagged("a") },
		func(c *rawConn) { c.ok("a AUTHENTICATE PLAIN " + b64("\x00alice\x00secret")) },
		func(c *rawConn) {
			c.send("a AUTHENTICATE PLAIN")
			c.line()
			c.send(b64("\x00alice\x00secret"))
			c.tagged("a")
		},
	} {
		c := e.raw()
		login(c)
		c.ok("n NOOP")
	}
	text := logs.String()
	for _, secret := range []string{"secret", "BODYMARKER", b64("\x00alice\x00secret")} {
		if strings.Contains(text, secret) {
			t.Errorf("the transcript shows %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{`line="a LOGIN alice \"***\""`, `line="b APPEND INBOX {`, `line="a AUTHENTICATE PLAIN ***"`, `line="* 1 FETCH (BODY[] {`} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %s:\n%s", want, text)
		}
	}
}

// A client may send a synchronising literal's data without waiting for
// the "+": the transcript holds those bytes until the server's answer
// says what they are. Before, the password was logged as a line, and
// the "+" then made the transcript skip the start of the next command.
func TestTranscriptLiteralBeforeContinuation(t *testing.T) {
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) { logs = capture(o); o.Transcript = true; o.MaxLiteral = 100 })

	c := e.raw()
	// One write: the literal's data comes with the line announcing it.
	c.send("a LOGIN alice {6}\r\nsecret")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("LOGIN literal: %q", l)
	}
	c.tagged("a")
	c.ok("s SELECT INBOX")
	// A literal refused before its "+": what followed is the next command.
	c.send("b APPEND INBOX {200}\r\nc NOOP")
	if l := c.tagged("b"); !strings.Contains(l, "TOOBIG") {
		t.Fatalf("APPEND over the limit: %q", l)
	}
	c.tagged("c")
	c.ok("d LOGOUT")

	text := logs.String()
	if strings.Contains(text, "secret") {
		t.Errorf("the transcript shows the password:\n%s", text)
	}
	for _, want := range []string{`line="s SELECT INBOX"`, `line="c NOOP"`, `line="d LOGOUT"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %s:\n%s", want, text)
		}
	}
}

// Before login the transcript trusts no line's shape. The masks wanted
// exactly "TAG LOGIN " and "TAG AUTHENTICATE MECH", so a line the server
// refuses as BAD, with the client's real password in it, was logged as
// it came: seen on the real daemon with transcript = true,
// `line="a  LOGIN bob bobp8"` and `line="a UID LOGIN bob bobpA"` (a
// client, or a person at telnet, that types one space or one word too
// many). Nor may the server's reply echo a password typed in place of a
// command or a mechanism.
func TestTranscriptMasksMalformedLogins(t *testing.T) {
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) { logs = capture(o); o.Transcript = true })
	for _, line := range []string{
		"a  LOGIN alice secret01",
		"a UID LOGIN alice secret02",
		"a LOGIN  alice secret03",
		"a AUTHENTICATE  PLAIN " + b64("\x00alice\x00secret04"),
		"a secret05",
		"a LOGN alice secret06",
		"a AUTHENTICATE secret07",
		"a AUTHENTICATE secret08 " + b64("\x00alice\x00secret08"),
		"a LOGIN alice secret09 extra",
		"a NOOP secret10",
		"a ID alice secret11",
		"a SELECT secret12",
	} {
		c := e.raw()
		c.send(line)
		c.tagged("a")
		c.ok("n NOOP")
	}
	// What is not followed by a space may be a password, or its start
	// (up to a character a tag cannot have): no tag to answer.
	for _, line := range []string{"a\tLOGIN alice secret13", "secret14", "secret14(x", "secret14{5}"} {
		c := e.raw()
		c.send(line)
		if l := c.line(); !strings.HasPrefix(l, "* BAD ") {
			t.Errorf("%q before login: %q; want an untagged BAD", line, l)
		}
		c.ok("n NOOP")
	}
	c := e.raw()
	// An AUTHENTICATE response is masked, whatever it looks like.
	c.send("b AUTHENTICATE PLAIN")
	c.line()
	c.send("alice secret15")
	c.tagged("b")
	c.ok(`c ID ("name" "test client")`)
	c.ok("d CAPABILITY")

	text := strings.ToLower(logs.String())
	for i := 1; i <= 15; i++ {
		if secret := fmt.Sprintf("secret%02d", i); strings.Contains(text, secret) {
			t.Errorf("the transcript shows the password %q", secret)
		}
	}
	if strings.Contains(text, strings.ToLower(b64("\x00alice\x00secret04"))) {
		t.Error("the transcript shows secret04's AUTHENTICATE data")
	}
	// What a transcript is for stays: the tag and the command, LOGIN's
	// user, the client's ID, the commands that carry nothing.
	for _, want := range []string{`line="a uid ***"`, `line="a login ***"`, `line="a ***"`, `line="a authenticate ***"`,
		`line="a select ***"`, `line="a login alice \"***\""`, `line="c id (\"name\" \"test client\")"`, `line="d capability"`,
		`line="a noop ***"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %s:\n%s", want, text)
		}
	}
}
