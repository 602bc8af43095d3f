package message

import (
	"reflect"
	"strings"
	"testing"
)

// simpleRFC822Msg has a message/rfc822 part whose message is not multipart.
var simpleRFC822Msg = crlf(`Subject: outer
Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

one
--x
Content-Type: message/rfc822

Subject: inner
Content-Type: text/plain

inner body
--x--
`)

// rootRFC822Msg is a message that is itself a message/rfc822.
var rootRFC822Msg = crlf(`Subject: wrapper
Content-Type: message/rfc822

Subject: wrapped
Content-Type: multipart/mixed; boundary=w

--w

first
--w--
`)

func TestSection(t *testing.T) {
	const missing = "<missing>"
	plain := crlf(plainMsg)
	plainHeader, plainBody, _ := strings.Cut(plain, "\r\n\r\n")
	plainHeader += "\r\n\r\n"
	alt := crlf(alternativeMsg)
	rfcBody := innerHeader + innerBody
	tests := []struct {
		name, msg, spec, want string
	}{
		{"whole message", plain, "", plain},
		{"header", plain, "HEADER", plainHeader},
		{"header lower case", plain, "header", plainHeader},
		{"text", plain, "TEXT", plainBody},
		{"part 1 of a single-part message is its body", plain, "1", plainBody},
		{"1.MIME of a single-part message is its header", plain, "1.MIME", plainHeader},
		{"part 2 of a single-part message", plain, "2", missing},
		{"1.1 of a single-part message", plain, "1.1", missing},
		{"HEADER of a part that is not a message", plain, "1.HEADER", missing},
		{"fields, message order, any case", plain, "HEADER.FIELDS (subject FROM)",
			"From: Alice <alice@example.com>\r\nSubject: Hello\r\n\r\n"},
		{"fields quoted", plain, `HEADER.FIELDS ("To")`, "To: bob@example.com\r\n\r\n"},
		{"fields none match", plain, "HEADER.FIELDS (X-None)", "\r\n"},
		{"fields not", plain, "HEADER.FIELDS.NOT (From To Subject Date)",
			"Message-ID: <1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"},
		{"multipart text", alt, "TEXT", alt[strings.Index(alt, "preamble"):]},
		{"multipart part 1", alt, "1", "plain body"},
		{"multipart part 2", alt, "2", "<p>html</p>"},
		{"multipart part 1 MIME", alt, "1.MIME", "Content-Type: text/plain\r\n\r\n"},
		{"multipart part 3", alt, "3", missing},
		{"leaf sub-part", alt, "2.1", missing},
		{"nested 1.2", crlf(nestedMsg), "1.2", "<b>A</b>"},
		{"nested 1.2.MIME", crlf(nestedMsg), "1.2.MIME", "Content-Type: text/html\r\n\r\n"},
		{"nested 2", crlf(nestedMsg), "2", "iVBO"},
		{"empty header part MIME", crlf(mixedMsg), "1.MIME", "\r\n"},
		{"rfc822 part is the whole embedded message", rfc822Msg, "2", rfcBody},
		{"rfc822 MIME is the part's own header", rfc822Msg, "2.MIME",
			"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"},
		{"rfc822 HEADER is the embedded header", rfc822Msg, "2.HEADER", innerHeader},
		{"rfc822 TEXT is the embedded body", rfc822Msg, "2.TEXT", innerBody},
		{"rfc822 fields", rfc822Msg, "2.HEADER.FIELDS (SUBJECT from)",
			"From: Inner <inner@example.com>\r\nSubject: Inside\r\n\r\n"},
		{"rfc822 2.1 is the embedded first part", rfc822Msg, "2.1", "inner plain"},
		{"rfc822 2.1.MIME", rfc822Msg, "2.1.MIME", "Content-Type: text/plain\r\n\r\n"},
		{"rfc822 2.2", rfc822Msg, "2.2", "<p>inner</p>"},
		{"rfc822 2.3", rfc822Msg, "2.3", missing},
		{"rfc822 2.1.1", rfc822Msg, "2.1.1", missing},
		{"simple rfc822 2.1 is the embedded body", simpleRFC822Msg, "2.1", "inner body"},
		{"simple rfc822 2.1.MIME is the embedded header", simpleRFC822Msg, "2.1.MIME",
			"Subject: inner\r\nContent-Type: text/plain\r\n\r\n"},
		{"simple rfc822 2.2", simpleRFC822Msg, "2.2", missing},
		{"root rfc822 1 is the wrapped message", rootRFC822Msg, "1",
			rootRFC822Msg[strings.Index(rootRFC822Msg, "Subject: wrapped"):]},
		{"root rfc822 1.HEADER", rootRFC822Msg, "1.HEADER",
			"Subject: wrapped\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n"},
		{"root rfc822 1.1", rootRFC822Msg, "1.1", "first"},
		{"syntax error", plain, "1.", missing},
		{"mbox From line kept in the header", "From a@b Mon Jan  2 15:04:05 2006\r\nSubject: s\r\n\r\nbody",
			"TEXT", "body"},
		{"LF only", "Subject: a\nTo: b\n\nbody\n", "HEADER.FIELDS (TO)", "To: b\n\r\n"},
		// No body and no blank line: the one case without a blank line
		// at the end (RFC 3501 6.4.5).
		{"header without line end", "Subject: a", "HEADER.FIELDS (SUBJECT)", "Subject: a\r\n"},
		{"header without body", "Subject: a\r\nTo: b\r\n", "HEADER.FIELDS.NOT (SUBJECT TO)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := []byte(tt.msg)
			got, ok := Section(msg, Parse(msg), tt.spec)
			if tt.want == missing {
				if ok || got != nil {
					t.Errorf("Section(%q) = %q, %v; want nil, false", tt.spec, got, ok)
				}
				return
			}
			if !ok || string(got) != tt.want {
				t.Errorf("Section(%q) = %q, %v\nwant %q", tt.spec, got, ok, tt.want)
			}
		})
	}
}

func TestParseSectionSpec(t *testing.T) {
	tests := []struct {
		in   string
		want SectionSpec
		str  string
	}{
		{"", SectionSpec{}, ""},
		{"HEADER", SectionSpec{Specifier: SpecifierHeader}, "HEADER"},
		{"text", SectionSpec{Specifier: SpecifierText}, "TEXT"},
		{"1", SectionSpec{Path: []int{1}}, "1"},
		{"1.2.3", SectionSpec{Path: []int{1, 2, 3}}, "1.2.3"},
		{"2.MIME", SectionSpec{Path: []int{2}, Specifier: SpecifierMIME}, "2.MIME"},
		{"2.header", SectionSpec{Path: []int{2}, Specifier: SpecifierHeader}, "2.HEADER"},
		{"10.TEXT", SectionSpec{Path: []int{10}, Specifier: SpecifierText}, "10.TEXT"},
		{"HEADER.FIELDS (FROM TO)", SectionSpec{Specifier: SpecifierHeaderFields, Fields: []string{"FROM", "TO"}},
			"HEADER.FIELDS (FROM TO)"},
		{"1.header.fields.not (x-a \"x b\")", SectionSpec{Path: []int{1}, Specifier: SpecifierHeaderFieldsNot,
			Fields: []string{"x-a", "x b"}}, `1.HEADER.FIELDS.NOT (x-a "x b")`},
		{"HEADER.FIELDS ({4}\r\nfrom)", SectionSpec{Specifier: SpecifierHeaderFields, Fields: []string{"from"}},
			"HEADER.FIELDS (from)"},
	}
	for _, tt := range tests {
		got, err := ParseSectionSpec(tt.in)
		if err != nil {
			t.Errorf("ParseSectionSpec(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSectionSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("ParseSectionSpec(%q).String() = %q, want %q", tt.in, s, tt.str)
		}
	}
	for _, bad := range []string{
		"MIME", "0", "01", "1.", ".1", "1..2", "1.0", "HEADER.FIELDS", "HEADER.FIELDS ()",
		"HEADER.FIELDS (A", "HEADER.FIELDS A", "HEADER.FIELDS (A) x", "TEXT.MIME", "1.BODY",
		"99999999999", "HEADER.FIELDS (\"a)", "HEADER.FIELDS ({9}\r\na)", "1 ", "HEADERS",
	} {
		if got, err := ParseSectionSpec(bad); err == nil {
			t.Errorf("ParseSectionSpec(%q) = %+v, want an error", bad, got)
		}
	}
}
