package message

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// toCRLF turns every bare LF of b into CRLF, as storage's View.Open does.
func toCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/16)
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// checkParseLF fails unless ParseLF(msg) describes the message as Parse
// does msg with CRLF line ends.
func checkParseLF(t *testing.T, msg []byte) {
	t.Helper()
	crlfMsg := toCRLF(msg)
	lf, crlf := ParseLF(msg), Parse(crlfMsg)
	var walk func(a, b *Part, path string)
	walk = func(a, b *Part, path string) {
		if a.Size() != b.Size() || a.Lines() != b.Lines() {
			t.Fatalf("part %s: size %d, lines %d; with CRLF %d, %d\n%q", path, a.Size(), a.Lines(), b.Size(), b.Lines(), msg)
		}
		if len(a.Children) != len(b.Children) || (a.Message == nil) != (b.Message == nil) {
			t.Fatalf("part %s: %d children, message %v; with CRLF %d, %v\n%q", path,
				len(a.Children), a.Message != nil, len(b.Children), b.Message != nil, msg)
		}
		for i := range a.Children {
			walk(a.Children[i], b.Children[i], path+"."+string(rune('1'+i%9)))
		}
		if a.Message != nil {
			walk(a.Message, b.Message, path+".M")
		}
	}
	walk(lf, crlf, "0")
	for _, ext := range []bool{false, true} {
		if got, want := lf.AppendBodyStructure(nil, ext), crlf.AppendBodyStructure(nil, ext); !bytes.Equal(got, want) {
			t.Fatalf("extended=%v:\n%s\nwith CRLF:\n%s\n%q", ext, got, want, msg)
		}
	}
	if got, want := AppendEnvelope(nil, lf.Header()), AppendEnvelope(nil, crlf.Header()); !bytes.Equal(got, want) {
		t.Fatalf("envelope:\n%s\nwith CRLF:\n%s", got, want)
	}
}

// lfCases are messages with LF, CRLF and lone CR line ends mixed.
func lfCases() []string {
	return append(seedMessages(),
		strings.ReplaceAll(crlf(mixedMsg), "\r\n", "\n"),
		strings.ReplaceAll(crlf(nestedMsg), "\r\n", "\n"),
		"Content-Type: multipart/mixed; boundary=b\n\n--b\r\nA: b\n\r\nx\ny\r\n\n--b\n\n\r\n--b--\n",
		"Content-Type: message/rfc822\r\n\nSubject: s\n\nbody\r\nmore\n",
		"\n\n\n", "\r\n\n\r\r\n", "X: y\r", "Content-Type: text/plain\n\n\r",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n\r\n--b\n",
	)
}

func TestParseLF(t *testing.T) {
	for _, msg := range lfCases() {
		checkParseLF(t, []byte(msg))
	}
	for i := 1; i <= 50; i++ {
		checkParseLF(t, corpusMessage(2, i, 0))
	}
}

func FuzzParseLF(f *testing.F) {
	for _, s := range seedMessages() {
		f.Add([]byte(s))
		f.Add([]byte(strings.ReplaceAll(s, "\r\n", "\n")))
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\n\n--b\r\nA: b\n\r\nx\ny\r\n\n--b\n\n\r\n--b--\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		checkParseLF(t, msg)
	})
}

// TestBareLFs checks the chunked count against a byte at a time one, on
// ranges of a buffer of LFs, CRs and letters that cross chunk borders.
func TestBareLFs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	msg := make([]byte, 200<<10)
	for i := range msg {
		msg[i] = "\r\naaaa"[rng.IntN(6)]
	}
	naive := func(start, end int) int {
		n := 0
		for i := start; i < end; i++ {
			if msg[i] == '\n' && (i == 0 || msg[i-1] != '\r') {
				n++
			}
		}
		return n
	}
	for k := 0; k < 300; k++ {
		start := rng.IntN(len(msg))
		end := start + rng.IntN(len(msg)-start+1)
		if got, want := bareLFs(msg, start, end), naive(start, end); got != want {
			t.Fatalf("bareLFs(%d, %d) = %d, want %d", start, end, got, want)
		}
	}
	// A big message whose CRLFs straddle chunk borders.
	body := strings.Repeat("line\r\n", 20000) + strings.Repeat("x\n", 20000)
	for _, pad := range []string{"", "a", "ab", "abc"} {
		checkParseLF(t, []byte("Content-Type: multipart/mixed; boundary=b\n\n--b\nX: "+pad+"\n\n"+body+"\n--b\r\n\r\n"+body+"--b--\n"))
	}
}
