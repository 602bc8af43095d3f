package message

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
)

// checkRange fails unless every section of msg (CRLF line ends, as a
// message is sent), read through Range from a ParseReader tree, equals
// Extract's from Parse, and BINARY through BinaryRange and
// NewBinaryReader equals BinaryPart's.
func checkRange(t *testing.T, msg []byte, chunk int) {
	t.Helper()
	whole := Parse(msg)
	tree, err := ParseReader(&chunkReader{msg, chunk})
	if err != nil {
		t.Fatal(err)
	}
	specs := []string{"", "HEADER", "TEXT", "HEADER.FIELDS (Subject Content-Type)", "HEADER.FIELDS.NOT (Subject)"}
	for _, path := range partPaths(whole, 40) {
		p := ""
		for _, n := range path {
			p += strconv.Itoa(n) + "."
		}
		for _, s := range []string{"", "MIME", "HEADER", "TEXT", "HEADER.FIELDS (To)"} {
			specs = append(specs, strings.TrimSuffix(p+s, "."))
		}
	}
	for _, spec := range specs {
		s, err := ParseSectionSpec(spec)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		want, wantOK := s.Extract(msg, whole)
		start, end, filter, ok := s.Range(tree)
		if ok != wantOK {
			t.Fatalf("%q: ok %v, want %v (message %q)", spec, ok, wantOK, msg)
		}
		if !ok {
			continue
		}
		got := clip(msg, start, end)
		if filter {
			got = s.ExtractHeader(got)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, want %q (message %q)", spec, got, want, msg)
		}
		if s.Specifier != SpecifierNone && s.Specifier != SpecifierMIME || len(s.Path) == 0 && spec != "" {
			continue
		}
		want, found, known := BinaryPart(msg, whole, s.Path)
		start, end, enc, gotFound, gotKnown := BinaryRange(tree, s.Path)
		if gotFound != found || gotKnown != known {
			t.Fatalf("BINARY[%s]: found %v known %v, want %v %v", spec, gotFound, gotKnown, found, known)
		}
		if !found || !known {
			continue
		}
		got, err = io.ReadAll(NewBinaryReader(&chunkReader{clip(msg, start, end), chunk}, enc))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("BINARY[%s]: %q, %v, want %q (message %q)", spec, got, err, want, msg)
		}
	}
}

// binaryMsg has a part of each transfer encoding BINARY undoes, with
// white space at line ends in the quoted-printable one.
const binaryMsg = "Subject: b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--x\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln  \r\nsoft=\r\nbreak \t\r\nend \r tail \r\n--x\r\n" +
	"Content-Transfer-Encoding: x-unknown\r\n\r\nzz\r\n--x\r\n" +
	"Content-Type: message/rfc822\r\n\r\nSubject: in\r\nTo: a@b\r\n\r\ninner\r\n--x--\r\n"

func TestRange(t *testing.T) {
	for _, s := range append(seedMessages(), binaryMsg) {
		for _, chunk := range []int{1, 5, readSize} {
			checkRange(t, []byte(crlf(strings.ReplaceAll(s, "\r\n", "\n"))), chunk)
		}
	}
}

func FuzzRange(f *testing.F) {
	for _, s := range append(seedMessages(), binaryMsg) {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, msg []byte, chunk uint8) {
		// As a message is sent: every line end a CRLF.
		msg = []byte(crlf(strings.ReplaceAll(string(msg), "\r\n", "\n")))
		checkRange(t, msg, 1+int(chunk%16))
	})
}
