package imap_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestBinary: APPEND of a literal8 keeps a binary part's octets exact,
// NUL and bare line ends included, and FETCH BINARY returns them in a
// literal8 while BODY sends base64 (RFC 3516, imaptest's append-binary);
// BINARY undoes base64 and quoted-printable and refuses what it cannot
// decode with UNKNOWN-CTE.
func TestBinary(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	part := "\x00-\xe4\n\r\n\n"
	msg := "From: user@domain.org\r\nMime-Version: 1.0\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: binary\r\n\r\n" + part
	c.send(fmt.Sprintf("a APPEND INBOX ~{%d}", len(msg)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	io.WriteString(c.conn, msg+"\r\n")
	if l := c.line(); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("APPEND: %q", l)
	}
	mixed := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n" +
		"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db  \r\nc=\r\nd\r\n--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n--b--\r\n"
	c.appendMsg("INBOX", "", mixed)
	c.ok("s SELECT INBOX")

	c.send("f1 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])")
	head := c.line()
	if want := fmt.Sprintf("* 1 FETCH (BINARY.SIZE[1] %d BINARY[1] ~{%d}", len(part), len(part)); head != want {
		t.Fatalf("FETCH BINARY: %q, want %q", head, want)
	}
	got := make([]byte, len(part))
	io.ReadFull(c.r, got)
	if string(got) != part {
		t.Errorf("BINARY[1] = %q, want %q", got, part)
	}
	if l := c.line(); l != ")" {
		t.Errorf("after the literal: %q", l)
	}
	c.line() // f1 OK
	u := c.ok("f2 FETCH 1 (BODY.PEEK[1])")
	if strings.Contains(strings.Join(u, "\n"), "\x00") {
		t.Errorf("BODY[1] sends a NUL: %q", u)
	}

	for _, tt := range []struct{ cmd, want string }{
		{"f3 FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[2])", "* 2 FETCH (BINARY[1] {5}"},
		{"f4 FETCH 2 (BINARY.PEEK[2]<1.3>)", "* 2 FETCH (BINARY[2]<1> {3}"},
	} {
		c.send(tt.cmd)
		if l := c.line(); l != tt.want {
			t.Errorf("%s: %q, want %q", tt.cmd, l, tt.want)
		}
		for l := c.line(); !strings.HasPrefix(l, strings.Fields(tt.cmd)[0]+" OK"); l = c.line() {
			if strings.Contains(l, "BINARY.SIZE[2]") && !strings.Contains(l, "BINARY.SIZE[2] 7)") {
				t.Errorf("%s: %q", tt.cmd, l)
			}
		}
	}
	if _, done := c.do("f5 FETCH 2 BINARY.PEEK[3]"); !strings.HasPrefix(done, "f5 NO [UNKNOWN-CTE]") {
		t.Errorf("x-uuencode: %q", done)
	}
	for _, cmd := range []string{"f6 FETCH 2 BINARY[1.MIME]", "f7 FETCH 2 BINARY[HEADER]", "f8 FETCH 2 BINARY.SIZE[1]<0.1>", "f9 FETCH 2 BINARY"} {
		if _, done := c.do(cmd); !strings.Contains(done, " BAD ") {
			t.Errorf("%s: %q", cmd, done)
		}
	}
	// BINARY without PEEK sets \Seen.
	if u := c.ok("g FETCH 2 BINARY[1]"); !contains(u, `\Seen`) {
		t.Errorf("BINARY[1] did not set \\Seen: %q", u)
	}
}
