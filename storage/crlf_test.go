package storage

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCRLF(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"\n\n", "\r\n\r\n"},
		{"mixed\r\nbare\nend", "mixed\r\nbare\r\nend"},
		{"cr\ronly\r", "cr\ronly\r"},
		{strings.Repeat("x", 70000) + "\n", strings.Repeat("x", 70000) + "\r\n"},
	} {
		for name, r := range map[string]io.Reader{
			"plain":   CRLFReader(strings.NewReader(tc.in)),
			"onebyte": CRLFReader(iotest.OneByteReader(strings.NewReader(tc.in))),
			"pooled":  newCRLFReadCloser(io.NopCloser(strings.NewReader(tc.in))),
		} {
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tc.want {
				t.Errorf("%s(%.20q) = %.20q, %v", name, tc.in, got, err)
			}
		}
		size, _ := CRLFSize(strings.NewReader(tc.in))
		if size != int64(len(tc.want)) {
			t.Errorf("CRLFSize(%.20q) = %d, want %d", tc.in, size, len(tc.want))
		}
		var disk bytes.Buffer
		_, crlf, err := CopyLF(&disk, strings.NewReader(tc.want))
		if err != nil || crlf != int64(len(tc.want)) {
			t.Errorf("CopyLF(%.20q): size %d, %v", tc.want, crlf, err)
		}
		back, _ := io.ReadAll(CRLFReader(&disk))
		if string(back) != tc.want {
			t.Errorf("CopyLF then CRLFReader of %.20q gave %.20q", tc.want, back)
		}
	}
}

// FuzzCRLF checks that the reader, the size and the LF copy agree.
func FuzzCRLF(f *testing.F) {
	f.Add("a\nb\r\nc\r")
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := io.ReadAll(iotest.HalfReader(CRLFReader(strings.NewReader(in))))
		size, _ := CRLFSize(strings.NewReader(in))
		if int64(len(out)) != size {
			t.Fatalf("reader gave %d bytes, CRLFSize says %d", len(out), size)
		}
		if bytes.Contains(bytes.ReplaceAll(out, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("bare LF left in %q", out)
		}
	})
}
