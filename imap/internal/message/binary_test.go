package message

import (
	"bytes"
	"testing"
)

// appendBinaryMessage is imaptest's append-binary message: a binary
// part with a NUL, bare LFs and a CRLF, which must come back exact.
const appendBinaryMessage = "From: user@domain.org\r\nDate: Sat, 24 Mar 2007 23:00:00 +0200\r\nMime-Version: 1.0\r\n" +
	"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00-\xe4\n\r\n\n"

func TestEncodeBinaryParts(t *testing.T) {
	tests := []struct {
		name, msg string
		path      []int
		want      string
	}{
		{"single part", appendBinaryMessage, []int{1}, "\x00-\xe4\n\r\n\n"},
		{"multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
			"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: BINARY\r\n X-folded: y\r\n\r\n\x89PNG\r\n\x1a\n\x00\x00\r\n--b--\r\n",
			[]int{2}, "\x89PNG\r\n\x1a\n\x00\x00"},
		{"NUL without a field", "Subject: x\r\n\r\na\x00b", []int{1}, "a\x00b"},
		{"nested", "Content-Type: message/rfc822\r\n\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\n", []int{1, 1}, "\x00\n"},
	}
	for _, tt := range tests {
		out, changed := EncodeBinaryParts([]byte(tt.msg))
		if !changed || bytes.IndexByte(out, 0) >= 0 {
			t.Errorf("%s: changed %v, %q", tt.name, changed, out)
			continue
		}
		got, found, known := BinaryPart(out, Parse(out), tt.path)
		if !found || !known || string(got) != tt.want {
			t.Errorf("%s: BINARY%v = %q (%v %v), want %q; message %q", tt.name, tt.path, got, found, known, tt.want, out)
		}
	}
	plain := []byte("Subject: x\r\n\r\nhello\r\n")
	if out, changed := EncodeBinaryParts(plain); changed || !bytes.Equal(out, plain) {
		t.Errorf("a text message was changed: %q", out)
	}
}

func TestDecodeBinaryQP(t *testing.T) {
	got, _, known := DecodeBinary([]byte("hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo = \t\r\nbar=3D"), "Quoted-Printable")
	if want := "hello\r\nbar\r\nfoo\tbar\r\nfoo bar="; !known || string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, _, known := DecodeBinary([]byte("x"), "x-uuencode"); known {
		t.Error("x-uuencode known")
	}
}

// FuzzEncodeBinaryParts: whatever the message, encoding its binary
// parts and reading them back with BINARY never panics.
func FuzzEncodeBinaryParts(f *testing.F) {
	f.Add([]byte(appendBinaryMessage))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		out, _ := EncodeBinaryParts(msg)
		root := Parse(out)
		for i := 1; i <= 3; i++ {
			BinaryPart(out, root, []int{i})
			BinaryPart(out, root, []int{i, 1})
		}
	})
}
