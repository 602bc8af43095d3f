package message

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHeaderValues(t *testing.T) {
	hdr := []byte(crlf("Received: one\nX-A: first\n  folded\nreceived:two\nSubject: s\n\nReceived: in body\n"))
	got := HeaderValues(hdr, "RECEIVED")
	want := [][]byte{[]byte("one"), []byte("two")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Received = %q, want %q", got, want)
	}
	if got := HeaderValues(hdr, "x-a"); len(got) != 1 || string(got[0]) != "first  folded" {
		t.Errorf("X-A = %q", got)
	}
	if got := HeaderValues(hdr, "Missing"); got != nil {
		t.Errorf("Missing = %q", got)
	}
}

func TestDecodeHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"=?UTF-8?B?SGVsbG8=?= world", "Hello world"},
		{"=?iso-8859-1?q?caf=E9?=", "café"},
		{"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"},
		{"=?UTF-8?Q?a?=  x  =?UTF-8?Q?b_c?=", "a  x  b c"},
		{"=?utf-8*en?q?lang?=", "lang"},
		{"=?x-unknown?q?raw?=", "=?x-unknown?q?raw?="},
		{"=?UTF-8?X?bad?=", "=?UTF-8?X?bad?="},
		{"=?broken", "=?broken"},
		{"=?windows-1251?B?0e/g8ejh7g==?=", "Спасибо"},
	}
	for _, tt := range tests {
		if got := DecodeHeader([]byte(tt.in)); got != tt.want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// searchTextMsg has a part of each kind SearchText treats its own way.
var searchTextMsg = crlf(`From: =?UTF-8?Q?J=C3=B6rg?= <j@x>
Subject: outer
Content-Type: multipart/mixed; boundary=s

--s
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln, soft=
break
--s
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PGI+QsO2bGQ8L2I+
--s
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

AAECAwT/
--s
Content-Type: message/rfc822

Subject: =?UTF-8?B?RW1iZWRkZWQ=?=

nested text
--s--
`)

func TestSearchText(t *testing.T) {
	msg := []byte(searchTextMsg)
	root := Parse(msg)
	body := SearchText(msg, root, false)
	full := SearchText(msg, root, true)
	for _, want := range []string{"Grüße aus Köln", "softbreak", "<b>Böld</b>", "Subject: Embedded", "nested text"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body text lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "Jörg") || !strings.Contains(string(full), "From: Jörg <j@x>") {
		t.Errorf("headers: body has them or text lacks them:\n%s", full)
	}
	if strings.Contains(string(body), "\x00") {
		t.Errorf("binary attachment in the text")
	}
	if !ContainsFold(full, "KÖLN") || !ContainsFold(full, "jörg") || ContainsFold(full, "absent") {
		t.Errorf("ContainsFold is wrong")
	}
}

func TestParseDate(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Mon, 2 Jan 2006 15:04:05 -0700", time.Date(2006, 1, 2, 22, 4, 5, 0, utc)},
		{"2 Jan 2006 15:04:05 +0000", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"Mon,  02 Jan 06 15:04 EST", time.Date(2006, 1, 2, 20, 4, 0, 0, utc)},
		{"Tue, 3 Jan 99 10:00:00 GMT", time.Date(1999, 1, 3, 10, 0, 0, 0, utc)},
		{"3 Jan 105 10:00:00 UT", time.Date(2005, 1, 3, 10, 0, 0, 0, utc)},
		{"Wed, 4 Jan 2006 01:02:03 +0100 (CET)", time.Date(2006, 1, 4, 0, 2, 3, 0, utc)},
		{"(comment) Thu, 5 (x) Jan 2006 (y) 10:00:00 PDT", time.Date(2006, 1, 5, 17, 0, 0, 0, utc)},
		{"5 January 2006 10:00:00 Z", time.Date(2006, 1, 5, 10, 0, 0, 0, utc)},
		{"5 Jan 2006 10:00:00 X", time.Date(2006, 1, 5, 10, 0, 0, 0, utc)},
		{"5 Jan 2006 10:00:00", time.Date(2006, 1, 5, 10, 0, 0, 0, utc)},
		{"5-Jan-2006 10:00:00 +0200", time.Date(2006, 1, 5, 8, 0, 0, 0, utc)},
		{"Mon Jan  2 15:04:05 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"2006-01-02 15:04:05 +0000", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"5 Jan 2006", time.Date(2006, 1, 5, 0, 0, 0, 0, utc)},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	got, _ := ParseDate("Mon, 2 Jan 2006 15:04:05 -0700")
	if _, off := got.Zone(); off != -7*3600 {
		t.Errorf("zone offset %d, want -25200", off)
	}
	for _, bad := range []string{"", "yesterday", "32 Jan 2006 10:00", "5 Foo 2006 10:00", "5 Jan 2006 25:00:00",
		"Jan 2006", "5 Jan", "1 2 3 4", "5 Jan 2006 10:00:00:00"} {
		if got, ok := ParseDate(bad); ok {
			t.Errorf("ParseDate(%q) = %v, want failure", bad, got)
		}
	}
}

func TestContainsFold(t *testing.T) {
	for _, tc := range []struct {
		text, needle string
		want         bool
	}{
		{"Hello World", "world", true},
		{"Hello World", "WORLD", true},
		{"Hello World", "worlds", false},
		{"", "a", false},
		{"abc", "", true},
		{"aAaAb", "aab", true},
		{"Café au lait", "CAFÉ", true},
		{"Café au lait", "café", true},
		{"xyz", "xyzz", false},
		{"ab", "b", true},
	} {
		if got := ContainsFold([]byte(tc.text), tc.needle); got != tc.want {
			t.Errorf("ContainsFold(%q, %q) = %v", tc.text, tc.needle, got)
		}
	}
}

func FuzzContainsFold(f *testing.F) {
	f.Add("Hello World", "wor")
	f.Fuzz(func(t *testing.T, text, needle string) {
		want := bytes.Contains(bytes.ToLower([]byte(text)), bytes.ToLower([]byte(needle)))
		if got := ContainsFold([]byte(text), needle); got != want && isASCII(needle) && isASCII(text) {
			t.Fatalf("ContainsFold(%q, %q) = %v, want %v", text, needle, got, want)
		}
	})
}
