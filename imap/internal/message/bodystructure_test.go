package message

import (
	"fmt"
	"strings"
	"testing"
)

// crlf turns the "\n" line endings of a readable test message into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

const plainMsg = `From: Alice <alice@example.com>
To: bob@example.com
Subject: Hello
Date: Mon, 2 Jan 2006 15:04:05 -0700
Message-ID: <1@example.com>
Content-Type: text/plain; charset=utf-8

Hi Bob.
Bye.
`

const alternativeMsg = `From: a@b
Content-Type: multipart/alternative; boundary="XX"

preamble
--XX
Content-Type: text/plain

plain body
--XX
Content-Type: Text/HTML; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<p>html</p>
--XX--
epilogue
`

const mixedMsg = `Content-Type: multipart/mixed; boundary=b1

--b1

Just text.
--b1
Content-Type: application/pdf; name="doc.pdf"
Content-Disposition: attachment; filename="doc.pdf"; size=3
Content-Transfer-Encoding: base64
Content-ID: <part2@x>
Content-Description: The doc
Content-Language: en, de
Content-Location: http://x/doc.pdf
Content-MD5: Q2hlY2s=

AAEC
--b1--
`

const nestedMsg = `Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain

A
--inner
Content-Type: text/html

<b>A</b>
--inner--
--outer
Content-Type: image/png
Content-Transfer-Encoding: base64

iVBO
--outer--
`

// The message embedded in part 2 of rfc822Msg, header and body.
const (
	innerHeader = "From: Inner <inner@example.com>\r\nTo: undisclosed-recipients:;\r\n" +
		"Subject: Inside\r\nDate: Tue, 3 Jan 2006 10:00:00 +0000\r\n" +
		"Content-Type: multipart/alternative; boundary=\"i\"\r\n\r\n"
	innerBody = "--i\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n--i\r\n" +
		"Content-Type: text/html\r\n\r\n<p>inner</p>\r\n--i--"
	innerLines = 15
)

var rfc822Msg = crlf(`From: outer@example.com
Subject: Fwd
Content-Type: multipart/mixed; boundary="o"

--o
Content-Type: text/plain; charset=us-ascii

See attached.
--o
Content-Type: message/rfc822
Content-Disposition: inline

`) + innerHeader + innerBody + "\r\n--o--\r\n"

const digestMsg = `Content-Type: multipart/digest; boundary=d

--d

Subject: one

body1
--d
Content-Type: text/plain

two
--d--
`

func TestBodyStructure(t *testing.T) {
	innerEnv := `("Tue, 3 Jan 2006 10:00:00 +0000" "Inside" (("Inner" NIL "inner" "example.com")) ` +
		`(("Inner" NIL "inner" "example.com")) (("Inner" NIL "inner" "example.com")) ` +
		`((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)`
	innerSize := len(innerHeader) + len(innerBody)
	tests := []struct {
		name, msg, body, bodystructure string
	}{{
		name:          "plain",
		msg:           crlf(plainMsg),
		body:          `("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 15 2)`,
		bodystructure: `("text" "plain" ("charset" "utf-8") NIL NIL "7BIT" 15 2 NIL NIL NIL NIL)`,
	}, {
		name:          "no Content-Type",
		msg:           crlf("Subject: x\n\nhello\n"),
		body:          `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 7 1)`,
		bodystructure: `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 7 1 NIL NIL NIL NIL)`,
	}, {
		name:          "unreadable Content-Type",
		msg:           "Content-Type: garbage\r\n\r\nx",
		body:          `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1)`,
		bodystructure: `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1 NIL NIL NIL NIL)`,
	}, {
		name: "multipart/alternative, case kept",
		msg:  crlf(alternativeMsg),
		body: `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1)` +
			`("Text" "HTML" ("charset" "us-ascii") NIL NIL "quoted-printable" 11 1) "alternative")`,
		bodystructure: `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)` +
			`("Text" "HTML" ("charset" "us-ascii") NIL NIL "quoted-printable" 11 1 NIL NIL NIL NIL)` +
			` "alternative" ("boundary" "XX") NIL NIL NIL)`,
	}, {
		name: "multipart/mixed with attachment",
		msg:  crlf(mixedMsg),
		body: `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1)` +
			`("application" "pdf" ("name" "doc.pdf") "<part2@x>" "The doc" "base64" 4) "mixed")`,
		bodystructure: `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)` +
			`("application" "pdf" ("name" "doc.pdf") "<part2@x>" "The doc" "base64" 4 "Q2hlY2s="` +
			` ("attachment" ("filename" "doc.pdf" "size" "3")) ("en" "de") "http://x/doc.pdf")` +
			` "mixed" ("boundary" "b1") NIL NIL NIL)`,
	}, {
		name: "nested multipart",
		msg:  crlf(nestedMsg),
		body: `((("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1)` +
			`("text" "html" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 1) "alternative")` +
			`("image" "png" NIL NIL NIL "base64" 4) "mixed")`,
		bodystructure: `((("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1 NIL NIL NIL NIL)` +
			`("text" "html" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 1 NIL NIL NIL NIL)` +
			` "alternative" ("boundary" "inner") NIL NIL NIL)` +
			`("image" "png" NIL NIL NIL "base64" 4 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL)`,
	}, {
		name: "message/rfc822 with a multipart inside",
		msg:  rfc822Msg,
		body: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 13 1)` +
			fmt.Sprintf(`("message" "rfc822" NIL NIL NIL "7BIT" %d %s `, innerSize, innerEnv) +
			`(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 1)` +
			`("text" "html" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1) "alternative") ` +
			fmt.Sprintf(`%d) "mixed")`, innerLines),
		bodystructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)` +
			fmt.Sprintf(`("message" "rfc822" NIL NIL NIL "7BIT" %d %s `, innerSize, innerEnv) +
			`(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 1 NIL NIL NIL NIL)` +
			`("text" "html" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL)` +
			` "alternative" ("boundary" "i") NIL NIL NIL) ` +
			fmt.Sprintf(`%d NIL ("inline" NIL) NIL NIL) "mixed" ("boundary" "o") NIL NIL NIL)`, innerLines),
	}, {
		name: "multipart/digest defaults to message/rfc822",
		msg:  crlf(digestMsg),
		body: `(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 21 (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL)` +
			` ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1) 3)` +
			`("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3 1) "digest")`,
		bodystructure: `(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 21 (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL)` +
			` ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)` +
			`("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3 1 NIL NIL NIL NIL)` +
			` "digest" ("boundary" "d") NIL NIL NIL)`,
	}, {
		name: "8-bit and quoted values",
		msg:  crlf("Subject: Grüße\nContent-Type: text/plain; name=\"a\\\"b\"\nContent-Description: Äpfel\n\nx\n"),
		body: "(\"text\" \"plain\" (\"name\" \"a\\\"b\" \"CHARSET\" \"US-ASCII\") NIL {6}\r\nÄpfel \"7BIT\" 3 1)",
		bodystructure: "(\"text\" \"plain\" (\"name\" \"a\\\"b\" \"CHARSET\" \"US-ASCII\") NIL {6}\r\nÄpfel \"7BIT\" 3 1" +
			" NIL NIL NIL NIL)",
	}, {
		name:          "LF-only input",
		msg:           "Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nline1\nline2\n--z--\n",
		body:          `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 2) "mixed")`,
		bodystructure: `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 11 2 NIL NIL NIL NIL) "mixed" ("boundary" "z") NIL NIL NIL)`,
	}, {
		name:          "multipart without boundary",
		msg:           "Content-Type: multipart/mixed\r\n\r\nstuff\r\n",
		body:          `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "mixed")`,
		bodystructure: `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)`,
	}, {
		name:          "missing closing boundary",
		msg:           "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nabc\r\n",
		body:          `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1) "mixed")`,
		bodystructure: `(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL) "mixed" ("boundary" "q") NIL NIL NIL)`,
	}, {
		name:          "missing empty line after the header",
		msg:           "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\nno blank line\r\n--q--\r\n",
		body:          `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 13 1) "mixed")`,
		bodystructure: `(("text" "plain" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL) "mixed" ("boundary" "q") NIL NIL NIL)`,
	}, {
		name:          "boundary prefix of an inner boundary",
		msg:           crlf("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=a-1\n\n--a-1\n\nx\n--a-1--\n--a--\n"),
		body:          `((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1) "mixed") "mixed")`,
		bodystructure: `((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 1 NIL NIL NIL NIL) "mixed" ("boundary" "a-1") NIL NIL NIL) "mixed" ("boundary" "a") NIL NIL NIL)`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := Parse([]byte(tt.msg))
			for _, c := range []struct {
				extended bool
				want     string
			}{{false, tt.body}, {true, tt.bodystructure}} {
				got := string(root.AppendBodyStructure(nil, c.extended))
				if got != c.want {
					t.Errorf("extended=%v:\n got %s\nwant %s", c.extended, got, c.want)
				}
				n, err := parseAll([]byte(got))
				if err == nil {
					err = checkBody(n, c.extended)
				}
				if err != nil {
					t.Errorf("extended=%v: not RFC 3501 syntax: %v", c.extended, err)
				}
			}
		})
	}
}

func TestPartOffsets(t *testing.T) {
	msg := []byte(crlf(alternativeMsg))
	root := Parse(msg)
	if len(root.Children) != 2 {
		t.Fatalf("got %d children, want 2", len(root.Children))
	}
	if got := string(root.Children[0].Header()); got != "Content-Type: text/plain\r\n\r\n" {
		t.Errorf("part 1 header = %q", got)
	}
	if got := string(root.Children[1].Body()); got != "<p>html</p>" {
		t.Errorf("part 2 body = %q", got)
	}
	if root.Children[1].Type != "Text" || root.Children[1].Subtype != "HTML" {
		t.Errorf("part 2 type = %s/%s, want Text/HTML", root.Children[1].Type, root.Children[1].Subtype)
	}
}

func TestDepthLimit(t *testing.T) {
	var b strings.Builder
	for range maxDepth + 20 {
		b.WriteString("Content-Type: message/rfc822\r\n\r\n")
	}
	b.WriteString("Subject: deep\r\n\r\nbody\r\n")
	root := Parse([]byte(b.String()))
	out := root.AppendBodyStructure(nil, true)
	n, err := parseAll(out)
	if err == nil {
		err = checkBody(n, true)
	}
	if err != nil {
		t.Fatalf("deep message: %v", err)
	}
	if !strings.Contains(string(out), `"APPLICATION" "OCTET-STREAM"`) {
		t.Errorf("nesting was not cut off")
	}
}
