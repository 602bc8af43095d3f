package imap

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSortKeysOf(t *testing.T) {
	header := []byte("From: \"Zoë\" <zoe@example.org>, bob@example.org\r\n" +
		"To: undisclosed:;\r\n" +
		"Cc: =?utf-8?q?J=C3=BCrgen?= <JUERGEN@example.com>\r\n" +
		"Subject: Re: [list] =?utf-8?q?=C3=A9t=C3=A9?= (fwd)\r\n" +
		"Date: Tue, 02 Jan 2024 10:00:00 +0100\r\n" +
		"Message-ID: <m1@example.org>\r\n" +
		"In-Reply-To: <m0@example.org>\r\n" +
		"References: <r1@example.org>\r\n <r2@example.org>\r\n\r\n")
	k := sortKeysOf(header)
	want := sortKeys{
		date: 1704186000, hasDate: true,
		subject: "E\u0301TE\u0301", reply: true,
		from: "ZOE", displayFrom: "ZOE\u0308",
		to: "UNDISCLOSED", displayTo: "UNDISCLOSED",
		cc:        "JUERGEN",
		messageID: "m1@example.org",
		refs:      []string{"r1@example.org", "r2@example.org"},
	}
	if !reflect.DeepEqual(k, want) {
		t.Errorf("sortKeysOf = %+v\nwant %+v", k, want)
	}
	// The header as a file stores it, with LF line ends (SORT's reads,
	// the indexer's HeaderCache), gives the same keys.
	lf := []byte(strings.ReplaceAll(string(header), "\r\n", "\n"))
	if k := sortKeysOf(lf); !reflect.DeepEqual(k, want) {
		t.Errorf("sortKeysOf with LF line ends = %+v\nwant %+v", k, want)
	}
	if a, b := HeaderCache(lf), HeaderCache(header); !reflect.DeepEqual(a, b) {
		t.Errorf("HeaderCache differs with LF line ends:\n%q\n%q", a, b)
	}
	// In-Reply-To stands in for a missing References; no Date, no date.
	k = sortKeysOf([]byte("In-Reply-To: <a@b> <c@d>\r\nDate: never\r\n\r\n"))
	if k.hasDate || !reflect.DeepEqual(k.refs, []string{"a@b"}) {
		t.Errorf("sortKeysOf without References = %+v", k)
	}
}

// FuzzSortKeys feeds the cache's sort-key decoder arbitrary bytes: a
// damaged cache value is refused, never a panic, and what it accepts
// encodes back to the same bytes.
func FuzzSortKeys(f *testing.F) {
	k := sortKeysOf([]byte("Subject: Re: x\r\nFrom: a@b\r\nReferences: <a@b> <c@d>\r\n\r\n"))
	f.Add(k.append(nil))
	f.Add([]byte{sortKeysVersion, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255})
	f.Fuzz(func(t *testing.T, b []byte) {
		var k sortKeys
		if k.decode(b) != nil {
			return
		}
		var again sortKeys
		if err := again.decode(k.append(nil)); err != nil || !reflect.DeepEqual(k, again) {
			t.Fatalf("round trip: %v, %+v != %+v", err, again, k)
		}
	})
}

// A References field of thousands of ids keeps only the last
// maxReferences, the nearest ancestors: THREAD's cost per message stays
// bounded whatever a sender writes.
func TestSortKeysBoundReferences(t *testing.T) {
	var b strings.Builder
	b.WriteString("References:")
	for i := range 5000 {
		fmt.Fprintf(&b, " <%d@x>", i)
	}
	b.WriteString("\r\n\r\n")
	k := sortKeysOf([]byte(b.String()))
	if len(k.refs) != maxReferences || k.refs[len(k.refs)-1] != "4999@x" {
		t.Fatalf("%d references kept, last %q; want %d ending with the last", len(k.refs), k.refs[len(k.refs)-1], maxReferences)
	}
}

// TestSortKeysBounded: a sender's huge Subject, addresses and
// Message-IDs cost at most a few hundred bytes each in the keys every
// message keeps in memory and in the cache file.
func TestSortKeysBounded(t *testing.T) {
	huge := strings.Repeat("é", 100_000) // two bytes each: the cut falls between them
	ids := ""
	for i := range maxReferences {
		ids += fmt.Sprintf(" <%d%s@example.org>", i, strings.Repeat("x", 10_000))
	}
	header := []byte("Subject: " + huge + "\r\nFrom: " + huge + " <" + strings.Repeat("a", 100_000) + "@example.org>\r\n" +
		"Message-ID: <" + strings.Repeat("m", 100_000) + "@example.org>\r\nReferences:" + ids + "\r\n\r\n")
	k := sortKeysOf(header)
	if n := len(k.append(nil)); n > (8+maxReferences)*maxSortKey+64 {
		t.Errorf("the encoded keys take %d bytes", n)
	}
	for _, s := range append([]string{k.subject, k.from, k.displayFrom, k.messageID}, k.refs...) {
		if len(s) > maxSortKey || !utf8.ValidString(s) {
			t.Errorf("key of %d bytes (valid UTF-8: %v): %.40q", len(s), utf8.ValidString(s), s)
		}
	}
	if k.subject == "" || k.messageID == "" || len(k.refs) != maxReferences {
		t.Errorf("keys lost: subject %.20q, Message-ID %.20q, %d references", k.subject, k.messageID, len(k.refs))
	}
}
