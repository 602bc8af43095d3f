package imap_test

import (
	"bytes"
	"errors"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// refCRLFWire is the plain definition: every LF not after a CR becomes CRLF.
func refCRLFWire(in []byte) []byte {
	var out []byte
	for i, c := range in {
		if c == '\n' && (i == 0 || in[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// failAfter fails every write once n bytes went through.
type failAfter struct {
	n   int
	buf bytes.Buffer
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.buf.Len()+len(p) > f.n {
		k := f.n - f.buf.Len()
		f.buf.Write(p[:k])
		return k, errors.New("connection reset")
	}
	return f.buf.Write(p)
}

// TestLiteralThroughWriter: a literal written as FETCH writes
// it (Encoder.Literal: io.CopyN into the Writer, whose ReadFrom hands
// the converter its own buffer) after a response prefix of any length,
// for every shape, with the message growing (more bytes than announced)
// or shrinking (fewer: padded), and a connection that fails midway:
// the bytes are the reference conversion, the literal exactly its size.
func TestLiteralThroughWriter(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	shapes := []string{
		strings.Repeat("\n", 200000),
		strings.Repeat("a\r", 70000) + strings.Repeat("\r\n\n", 40000),
		strings.Repeat("x", 65536*2+7) + "\n\x00\r",
		strings.Repeat("line of text\n", 30000),
		strings.Repeat("y", 4095) + strings.Repeat("\n", 5000) + strings.Repeat("z", 70000),
	}
	for si, in := range shapes {
		want := refCRLFWire([]byte(in))
		for _, prefix := range []int{0, 1, 100, wire.WriteBufferSize/16 - 1, wire.WriteBufferSize - 4097, wire.WriteBufferSize - 1} {
			for _, delta := range []int{0, -1, -5000, 3, len(want) / 3} {
				size := int64(len(want) + delta) // delta < 0: the file grew; > 0: it shrank
				var out bytes.Buffer
				e := wire.NewEncoder(wire.NewWriter(&out))
				e.Writer().WriteString(strings.Repeat("p", prefix))
				err := e.Literal(storage.CRLFReader(bytes.NewReader([]byte(in))), size)
				e.Flush()
				head := strings.Repeat("p", prefix) + "{" + strconv.FormatInt(size, 10) + "}\r\n"
				got := out.Bytes()
				if !bytes.HasPrefix(got, []byte(head)) || int64(len(got)-len(head)) != size {
					t.Fatalf("shape %d prefix %d delta %d: %d bytes of literal, want %d (%v)", si, prefix, delta, len(got)-len(head), size, err)
				}
				body := got[len(head):]
				n := min(int(size), len(want))
				if !bytes.Equal(body[:n], want[:n]) {
					t.Fatalf("shape %d prefix %d delta %d: literal differs from the reference", si, prefix, delta)
				}
				if strings.Trim(string(body[n:]), " ") != "" {
					t.Fatalf("shape %d prefix %d delta %d: padding is not spaces", si, prefix, delta)
				}
			}
		}
		// A connection that fails mid-literal: what went out is a prefix
		// of the right bytes, and the Writer keeps failing.
		fa := &failAfter{n: 10000 + rnd.Intn(100000)}
		e := wire.NewEncoder(wire.NewWriter(fa))
		if err := e.Literal(storage.CRLFReader(strings.NewReader(in)), int64(len(want))); err == nil {
			if err = e.Flush(); err == nil {
				t.Fatalf("shape %d: no error from a failing connection", si)
			}
		}
		if _, err := e.Writer().WriteString("more"); err == nil {
			t.Errorf("shape %d: the Writer accepted a write after the failure", si)
		}
	}
}
