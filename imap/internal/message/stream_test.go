package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader hands out its bytes n at a time.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// streamCases are messages whose parts end where a streaming reader
// must look back: line breaks before delimiters, headers cut short by a
// delimiter, a CR alone before one, empty and nested regions.
func streamCases() []string {
	return append(lfCases(),
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nA: b\r\n\r\r\n--b\n\r\r\n--b--",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\r\r\n--b\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nA: b\n--b\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n--b\n--c\n--b--\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=b\n\n--b\nx\n--b--\ny\n--b--",
		"Content-Type: multipart/mixed; boundary=b\n\n--b  \t\r\nx\n--b \r\r\n\n--b x\n--b--x\n--b",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b\n--b",
		"Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: in\n\nhi\n--b\nContent-Type: text/plain\n\nx\n--b--\n",
		"From x@y Mon Jan  1 00:00:00 2024\nSubject: s\n\nbody\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\r\n\r\n\r\n--b\r\n--b",
		" folded first\nSubject: s\n\nbody",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/json\n\n{\"k\xff\": 1}\n"+
			"--b\nContent-Type: application/json\nContent-Transfer-Encoding: quoted-printable\n\n{\"ok\": \"=C3=B6\"}\n--b--\n",
	)
}

// checkParseReader fails unless ParseReader, reading msg chunk bytes at
// a time, describes it as ParseLF does.
func checkParseReader(t *testing.T, msg []byte, chunk int) {
	t.Helper()
	got, err := parseReader(&chunkReader{msg, chunk}, chunk)
	if err != nil {
		t.Fatal(err)
	}
	want := ParseLF(msg)
	for _, ext := range []bool{false, true} {
		if g, w := got.AppendBodyStructure(nil, ext), want.AppendBodyStructure(nil, ext); !bytes.Equal(g, w) {
			t.Fatalf("chunk %d, extended=%v:\n%s\nParseLF:\n%s\n%q", chunk, ext, g, w, msg)
		}
	}
}

func TestParseReader(t *testing.T) {
	for _, s := range streamCases() {
		for _, chunk := range []int{1, 2, 3, 5, 64, readSize} {
			checkParseReader(t, []byte(s), chunk)
		}
	}
	for i := 1; i <= 100; i++ {
		checkParseReader(t, corpusMessage(3, i, 0), 1+i%7)
		checkParseReader(t, corpusMessage(3, i, 0), readSize)
	}
}

// TestParseReaderBig holds a big message to ParseLF, with CRLFs and
// delimiters across read boundaries.
func TestParseReaderBig(t *testing.T) {
	body := strings.Repeat("line\r\n", 20000) + strings.Repeat("x\n", 20000)
	for _, pad := range []string{"", "a", "ab", "abc"} {
		msg := []byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nX: " + pad + "\n\n" + body + "\n--b\r\n\r\n" + body + "--b--\n")
		checkParseReader(t, msg, readSize)
		checkParseReader(t, msg, 4093)
	}
	checkParseReader(t, corpusMessage(3, 7, 3<<20), readSize)
	checkParseReader(t, benchMessage(2<<20), 1000)
}

// TestParseReaderLimits: a message of many parts and deep nesting is cut
// where Parse cuts it.
func TestParseReaderLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\n\n")
	for i := 0; i < maxParts+5; i++ {
		b.WriteString("--b\nContent-Type: message/rfc822\n\n\n")
	}
	checkParseReader(t, []byte(b.String()), readSize)
	b.Reset()
	for i := 0; i < maxDepth+5; i++ {
		b.WriteString("Content-Type: message/rfc822\n\n")
	}
	b.WriteString("deep\n")
	checkParseReader(t, []byte(b.String()), readSize)
}

func TestParseReaderError(t *testing.T) {
	broken := errors.New("disk on fire")
	msg := crlf(mixedMsg)
	_, err := ParseReader(io.MultiReader(strings.NewReader(msg[:40]), iotest.ErrReader(broken)))
	if !errors.Is(err, broken) {
		t.Fatalf("error %v, want %v", err, broken)
	}
}

func FuzzParseReader(f *testing.F) {
	for _, s := range streamCases() {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(strings.ReplaceAll(s, "\n", "\r\n")), uint8(3))
	}
	f.Fuzz(func(t *testing.T, msg []byte, chunk uint8) {
		checkParseReader(t, msg, 1+int(chunk%16))
	})
}

// checkSearcher fails unless a Searcher, reading msg chunk bytes at a
// time, finds needle where ContainsFold finds it in SearchText.
func checkSearcher(t *testing.T, msg []byte, needle string, chunk int) {
	t.Helper()
	root := Parse(msg)
	wantBody := ContainsFold(SearchText(msg, root, false), needle)
	wantText := ContainsFold(SearchText(msg, root, true), needle)
	s := NewSearcher([]string{needle, "\x00never"}, []string{needle})
	s.chunk = chunk
	body, text, err := s.Search(&chunkReader{msg, chunk})
	if err != nil {
		t.Fatal(err)
	}
	if body[0] != wantBody || text[0] != wantText || body[1] {
		t.Fatalf("chunk %d: %q found in body %v, text %v; want %v, %v\nbody text %q\nmessage %q",
			chunk, needle, body[0], text[0], wantBody, wantText, SearchText(msg, root, false), msg)
	}
}

func TestSearcher(t *testing.T) {
	words := []string{"", "a", "body", "BODY", "Subject: s", "subject: S\nbody", "\n", "\r\n", "x\ny", "k\u00f6ln",
		"Gr\u00fc\u00dfe", "\ufffd", "softbreak", "<b>B\u00f6ld</b>", "embedded", "nested text", "--b", "\x00", "=", "AAEC", `{"k`, "k\xff", "\"ok\": \"\u00f6"}
	cases := append(streamCases(), searchTextMsg)
	for _, msg := range cases {
		for _, w := range words {
			for _, chunk := range []int{1, 2, 7, readSize} {
				checkSearcher(t, []byte(msg), w, chunk)
			}
		}
	}
	for i := 1; i <= 60; i++ {
		msg := corpusMessage(4, i, 0)
		for _, w := range []string{corpusWord, "the", "caf\u00e9", "ZZZ"} {
			checkSearcher(t, msg, w, 1+i%13)
			checkSearcher(t, msg, w, readSize)
		}
	}
}

func FuzzSearcher(f *testing.F) {
	for _, s := range streamCases() {
		f.Add([]byte(s), "body", uint8(1))
	}
	f.Add([]byte("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln=\r\n x"), "K\u00d6LN X", uint8(2))
	f.Add([]byte("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nS8O2bG4=\r\n"), "k\u00f6", uint8(3))
	f.Add([]byte("Content-Type: application/x\r\n\r\n\xc3\xb6\xc3"), "\u00f6", uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, needle string, chunk uint8) {
		checkSearcher(t, msg, needle, 1+int(chunk%16))
	})
}

// FuzzSearchDecoders feeds the streaming decoders a body in pieces and
// holds them to the whole-body ones.
func FuzzSearchDecoders(f *testing.F) {
	for _, s := range []string{"a=\r\nb=3D=3d=\n=", "QUJD\r\nREVG\r\n==", "= \t \r", "=\r=4=41==", "QU=JD", "==", "=4"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		n := 1 + int(chunk%8)
		var qp qpStream
		var b64 base64Stream
		var gotQP, gotB64 []byte
		for i := 0; i < len(b); i += n {
			piece := b[i:min(i+n, len(b))]
			gotQP = qp.decode(gotQP, piece, false)
			gotB64 = b64.decode(gotB64, piece, false)
		}
		gotQP = qp.decode(gotQP, nil, true)
		gotB64 = b64.decode(gotB64, nil, true)
		if want := decodeQP(b, false); !bytes.Equal(gotQP, want) {
			t.Fatalf("qp %q in pieces of %d: %q, want %q", b, n, gotQP, want)
		}
		if want := decodeBase64(b); !bytes.Equal(gotB64, want) {
			t.Fatalf("base64 %q in pieces of %d: %q, want %q", b, n, gotB64, want)
		}
	})
}
