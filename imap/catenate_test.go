package imap_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap"
)

func init() {
	fuzzSeeds = append(fuzzSeeds,
		"1 APPEND INBOX (\\Seen) CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER\" TEXT {6+}\r\nbody\r\n URL \"/INBOX/;UID=2/;PARTIAL=0.5\")\r\n",
		"1 APPEND INBOX CATENATE (TEXT {3+}\r\nabc) CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1\") {1+}\r\nx\r\n",
		"1 APPEND INBOX CATENATE (URL \"/INBOX/;UID=99\" TEXT {3}\r\nabc)\r\n2 APPEND INBOX CATENATE ()\r\n3 APPEND INBOX CATENATE (TEXT x)\r\n",
		"1 APPEND INBOX CATENATE (URL \"imap://bob@h/INBOX/;UID=1\" URL {12+}\r\n/INBOX/;UID=1 URL \"/~bob/INBOX/;UID=1\")\r\n",
	)
}

// catenate sends an APPEND whose parts are given as they go on the wire,
// with "{n+}" literals, and returns the tagged answer.
func catenate(c *rawConn, tag, args string) string {
	c.t.Helper()
	c.send(tag + " APPEND " + args)
	for {
		l := c.line()
		if strings.HasPrefix(l, tag+" ") {
			return l
		}
	}
}

// lit is a non-synchronising literal.
func lit(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

// TestCatenate: APPEND CATENATE (RFC 4469) builds messages from text and
// from parts of messages on the server, named by URLs relative to the
// server or absolute ones of the user's own; URLs naming nothing, or
// another user's mail, are refused with [BADURL] and nothing is stored.
func TestCatenate(t *testing.T) {
	e := startServer(t, func(o *imap.Options) { o.MaxLiteral = 4000 })
	c := e.raw()
	c.login("alice")
	if !contains(c.ok("c CAPABILITY"), " CATENATE") {
		t.Fatal("CATENATE not advertised")
	}
	c.ok("c1 CREATE Drafts")
	c.appendMsg("INBOX", `\Seen`, "From: a@example.org\r\nSubject: one\r\n\r\nfirst body\r\n")
	c.appendMsg("INBOX", "", "From: b@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\npart one\r\n--x\r\n\r\npart two\r\n--x--\r\n")
	u := c.ok("s SELECT INBOX")
	validity := ""
	for _, l := range u {
		if i := strings.Index(l, "[UIDVALIDITY "); i >= 0 {
			validity = strings.Fields(l[i+13:])[0]
			validity = strings.TrimSuffix(validity, "]")
		}
	}
	cases := []struct{ args, want string }{
		{`Drafts (\Draft) CATENATE (URL "/INBOX/;UID=1/;SECTION=HEADER" TEXT ` + lit("new body\r\n") + `)`,
			"From: a@example.org\r\nSubject: one\r\n\r\nnew body\r\n"},
		{`Drafts CATENATE (TEXT ` + lit("Subject: fwd\r\n\r\n") + ` URL "/INBOX;UIDVALIDITY=` + validity + `/;UID=2/;SECTION=2" TEXT ` + lit("\r\n--\r\n") + `)`,
			"Subject: fwd\r\n\r\npart two\r\n--\r\n"},
		{`Drafts CATENATE (URL "imap://alice@localhost/INBOX/;UID=1/;SECTION=TEXT/;PARTIAL=0.5")`, "first"},
		{`Drafts CATENATE (URL "/INBOX/;UID=1/;PARTIAL=6")`, "a@example.org\r\nSubject: one\r\n\r\nfirst body\r\n"},
	}
	for i, tc := range cases {
		if l := catenate(c, "a", tc.args); !strings.HasPrefix(l, "a OK [APPENDUID ") {
			t.Fatalf("case %d: %q", i, l)
		}
		c.ok("x EXAMINE Drafts")
		got := c.ok(fmt.Sprintf("f FETCH %d BODY.PEEK[]", i+1))
		body := strings.Join(got, "\r\n")
		if !strings.Contains(body, fmt.Sprintf("{%d}\r\n%s", len(tc.want), strings.TrimSuffix(tc.want, "\r\n"))) {
			t.Errorf("case %d: %q, want %q", i, body, tc.want)
		}
	}

	// Refusals: nothing is stored, and the answer names the URL.
	e.raw().login("bob")
	for _, bad := range []string{
		`"/INBOX/;UID=99"`,                    // no such message
		`"/INBOX;UIDVALIDITY=1/;UID=1"`,       // another UIDVALIDITY
		`"/INBOX/;UID=2/;SECTION=7"`,          // no such part
		`"/Nowhere/;UID=1"`,                   // no such mailbox
		`"imap://bob@localhost/INBOX/;UID=1"`, // another user's
		`"/INBOX/;UID=1;URLAUTH=authuser"`,    // URLAUTH without a verifier
		`"INBOX;UID=1"`,                       // not an IMAP URL
	} {
		l := catenate(c, "b", `Drafts CATENATE (TEXT `+lit("x: y\r\n\r\n")+` URL `+bad+` TEXT `+lit("z\r\n")+`)`)
		if !strings.HasPrefix(l, "b NO [BADURL ") {
			t.Errorf("URL %s: %q", bad, l)
		}
	}
	// A synchronising literal after a bad URL is not asked for: the NO
	// comes in place of the continuation.
	c.send(`d APPEND Drafts CATENATE (URL "/INBOX/;UID=99" TEXT {5}`)
	if l := c.line(); !strings.HasPrefix(l, "d NO [BADURL") {
		t.Fatalf("sync literal after a bad URL: %q", l)
	}
	// Too big, counted over every part; MULTIAPPEND with CATENATE stores
	// all or nothing.
	if l := catenate(c, "e", `Drafts CATENATE (TEXT `+lit(strings.Repeat("x", 3000))+` TEXT `+lit(strings.Repeat("y", 1500))+`)`); !strings.HasPrefix(l, "e NO [TOOBIG]") {
		t.Errorf("too big: %q", l)
	}
	if l := catenate(c, "g", `Drafts CATENATE (URL "/INBOX/;UID=1") CATENATE (URL "/INBOX/;UID=98")`); !strings.HasPrefix(l, "g NO [BADURL") {
		t.Errorf("MULTIAPPEND with a bad URL: %q", l)
	}
	if u := c.ok("st STATUS Drafts (MESSAGES)"); !contains(u, "(MESSAGES 4)") {
		t.Errorf("refused APPENDs stored something: %q", u)
	}
	if l := catenate(c, "h", `Drafts CATENATE (URL "/INBOX/;UID=1") CATENATE (TEXT `+lit("a: b\r\n\r\nc\r\n")+`) `+lit("d: e\r\n\r\nf\r\n")); !strings.HasPrefix(l, "h OK [APPENDUID ") || !strings.HasSuffix(strings.Fields(l)[4], ":7]") {
		t.Errorf("MULTIAPPEND with CATENATE: %q", l)
	}
	// Malformed: BAD, and the session goes on.
	for _, m := range []string{`Drafts CATENATE ()`, `Drafts CATENATE (FOO "x")`, `Drafts CATENATE (TEXT "abc")`, `Drafts CATENATE URL "/INBOX/;UID=1"`} {
		if l := catenate(c, "m", m); !strings.HasPrefix(l, "m BAD") {
			t.Errorf("%s: %q", m, l)
		}
	}
	c.ok("n NOOP")
}

// TestCatenateBinary: a CATENATE TEXT piece sent as a literal8 (RFC 4469
// section 5, RFC 3516 section 4.4) makes the message what an APPEND of
// the whole message as a literal8 makes: the binary part encoded, so
// that BINARY returns its octets exactly and BODY sends no NUL.
func TestCatenateBinary(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	head := "From: user@domain.org\r\nMime-Version: 1.0\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: binary\r\n\r\n"
	part := "\x00-\xe4\n\r\n\n"
	c.send(fmt.Sprintf("a APPEND INBOX ~{%d}", len(head+part)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	io.WriteString(c.conn, head+part+"\r\n")
	if l := c.line(); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("APPEND: %q", l)
	}
	if l := catenate(c, "b", fmt.Sprintf("INBOX CATENATE (TEXT %s TEXT ~{%d+}\r\n%s)", lit(head), len(part), part)); !strings.HasPrefix(l, "b OK [APPENDUID ") {
		t.Fatalf("CATENATE: %q", l)
	}
	c.ok("s SELECT INBOX")
	bodies := map[string]string{}
	for _, seq := range []string{"1", "2"} {
		u := c.ok("f FETCH " + seq + " BODY.PEEK[]")
		bodies[seq] = strings.Join(u, "\n")
		if strings.Contains(bodies[seq], "\x00") {
			t.Errorf("BODY[] of %s sends a NUL: %q", seq, bodies[seq])
		}
		c.send("g FETCH " + seq + " BINARY.PEEK[1]")
		if l, want := c.line(), fmt.Sprintf("* %s FETCH (BINARY[1] ~{%d}", seq, len(part)); l != want {
			t.Fatalf("FETCH BINARY of %s: %q, want %q", seq, l, want)
		}
		got := make([]byte, len(part))
		io.ReadFull(c.r, got)
		if string(got) != part {
			t.Errorf("BINARY[1] of %s = %q, want %q", seq, got, part)
		}
		for l := c.line(); !strings.HasPrefix(l, "g OK"); l = c.line() {
		}
	}
	if strings.Replace(bodies["2"], "* 2 FETCH", "* 1 FETCH", 1) != bodies["1"] {
		t.Errorf("CATENATE stored\n%q\nAPPEND stored\n%q", bodies["2"], bodies["1"])
	}
}
