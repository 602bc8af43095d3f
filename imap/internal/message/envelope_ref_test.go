package message

import (
	"bytes"
	"strings"
	"testing"
)

// envelopeHeaders are headers that stress the envelope's corners, for
// the tests that compare one derivation with another.
func envelopeHeaders() []string {
	hs := []string{
		"From: a@b\nSubject: one\n two\nTo: \"x\ny\" <c@d>\n\nbody",
		"Subject: a\r\rb\nFrom: <a@b>\r\n\nbody",
		"subject:\nFROM:   \nsender: s@t\nREPLY-TO: (c) r@t\n\n",
		"From: one@a\nFrom: two@b\nSubject: first\nSubject: second\nMessage-ID: <1@x>\nMessage-ID: <2@x>\n\n",
		"Date:\nIn-Reply-To:  <a@b> \nReferences: <c@d>\n <e@f>\nBcc: g: a@b, <c>;, \"q\\\"\" <@r,@s:m@h>\n\n",
		"To: =?utf-8?q?J=C3=B6rg?= <j@x>, undisclosed-recipients:;\nCc: (only a comment)\nX-Subject: no\n\n",
		"Sender:\nReply-To:\nFrom: \"Name, with comma\" <f@x>\n\n",
		"From : spaced@name\nMessage-Id:\t<t@x>\nmessage-ID: <u@x>\n\n",
		"\nFrom: after@blank\n\n",
	}
	for _, s := range seedMessages() {
		hs = append(hs, s)
	}
	for i := 1; i <= 200; i++ {
		hs = append(hs, string(corpusMessage(7, i, 0)))
	}
	return hs
}

// TestEnvelopeAsBefore checks that AppendEnvelope, derived from Fields,
// gives the same bytes as the envelope derivation it replaced
// (refAppendEnvelope), on LF and CRLF headers.
func TestEnvelopeAsBefore(t *testing.T) {
	for _, h := range envelopeHeaders() {
		for _, msg := range [][]byte{[]byte(h), toCRLF([]byte(h))} {
			got, want := AppendEnvelope(nil, msg), refAppendEnvelope(nil, msg)
			if !bytes.Equal(got, want) {
				t.Errorf("header %q:\ngot  %s\nwant %s", msg, got, want)
			}
		}
	}
}

// FuzzEnvelopeAsBefore is TestEnvelopeAsBefore on any header, and
// checks that Fields.Values agrees with HeaderValues.
func FuzzEnvelopeAsBefore(f *testing.F) {
	for _, h := range envelopeHeaders()[:30] {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if got, want := AppendEnvelope(nil, msg), refAppendEnvelope(nil, msg); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		fs := ParseFields(msg)
		for _, name := range fieldNames {
			got, want := fs.Values(name), HeaderValues(msg, name)
			if len(got) != len(want) {
				t.Fatalf("%s: %q, want %q", name, got, want)
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("%s: %q, want %q", name, got, want)
				}
			}
			first, ok := fs.First(name)
			if ok != (len(want) > 0) || ok && !bytes.Equal(first, want[0]) {
				t.Fatalf("%s: first %q %v, want %q", name, first, ok, want)
			}
		}
	})
}

// refAppendEnvelope is AppendEnvelope as it was before Fields: it walks
// the header itself.
func refAppendEnvelope(dst []byte, header []byte) []byte {
	var values [len(envelopeFields)][]byte
	var seen [len(envelopeFields)]bool
	forEachField(header, func(name, value, _ []byte) bool {
		for i, f := range envelopeFields {
			if !seen[i] && equalFoldASCII(name, f) {
				values[i], seen[i] = unfold(value), true
				break
			}
		}
		return true
	})

	var lists [len(envelopeFields)][]Address
	for i := envFrom; i <= envBcc; i++ {
		if seen[i] {
			lists[i] = ParseAddressList(values[i])
		}
	}
	if len(lists[envSender]) == 0 {
		lists[envSender] = lists[envFrom]
	}
	if len(lists[envReplyTo]) == 0 {
		lists[envReplyTo] = lists[envFrom]
	}

	dst = append(dst, '(')
	for i := range envelopeFields {
		if i > 0 {
			dst = append(dst, ' ')
		}
		switch {
		case i >= envFrom && i <= envBcc:
			dst = appendAddressList(dst, lists[i])
		case !seen[i]:
			dst = append(dst, "NIL"...)
		case i == envSubject:
			// A subject that is present but empty is "", not NIL.
			dst = appendString(dst, string(values[i]))
		default:
			dst = appendNString(dst, string(values[i]))
		}
	}
	return append(dst, ')')
}

// FuzzQuotedAsBefore checks appendString, which copies the runs between
// the characters it escapes, against the loop it replaced, and
// scanAddresses's character tables against the tests they replaced.
func FuzzQuotedAsBefore(f *testing.F) {
	f.Add("plain")
	f.Add(`a "quoted" \ back\\slash`)
	f.Add("\x00\x7f\x80 \"\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		want := []byte{'"'}
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				want = append(want, '\\')
			}
			want = append(want, s[i])
		}
		want = append(want, '"')
		if needsLiteral(s) {
			want = appendLiteral(nil, s)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %q, want %q", s, got, want)
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if addrSpecial[c] != (strings.IndexByte("<>@,;:.", c) >= 0) ||
				atomChar[c] != (c > ' ' && c != 0x7f && strings.IndexByte("()<>@,;:.\"[]", c) < 0) {
				t.Fatalf("character %#x", c)
			}
		}
	})
}
