package message

import (
	"bytes"
	"testing"
)

// FuzzEnvelopeLineEnds checks that ENVELOPE is the same whether the
// header is read as stored (LF line ends, as FETCH ENVELOPE reads it) or
// as sent (CRLF).
func FuzzEnvelopeLineEnds(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add([]byte(s))
	}
	f.Add([]byte("From: a@b\nSubject: one\n two\nTo: \"x\ny\" <c@d>\n\nbody"))
	f.Add([]byte("Subject: a\r\rb\nFrom: <a@b>\r\n\nbody"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		lf := AppendEnvelope(nil, msg)
		crlf := AppendEnvelope(nil, toCRLF(msg))
		if !bytes.Equal(lf, crlf) {
			t.Fatalf("as stored:\n%q\nas sent:\n%q", lf, crlf)
		}
	})
}
