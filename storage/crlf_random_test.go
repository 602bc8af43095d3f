package storage

import (
	"bytes"
	"io"
	"math/rand"
	"testing"
)

// chaoticReader returns short reads of random sizes, sometimes with
// io.EOF together with the last data, sometimes (0, nil).
type chaoticReader struct {
	data []byte
	rnd  *rand.Rand
}

func (c *chaoticReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	if c.rnd.Intn(10) == 0 {
		return 0, nil
	}
	k := min(len(p), len(c.data), 1+c.rnd.Intn(3*65536))
	n := copy(p, c.data[:k])
	c.data = c.data[n:]
	if len(c.data) == 0 && c.rnd.Intn(2) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// chaoticCaller hands the converter buffers of random sizes around
// every threshold (inPlaceMin, a quarter chunk, a chunk, above).
func readAllChaotic(r io.Reader, rnd *rand.Rand) ([]byte, error) {
	sizes := []int{1, 2, 3, inPlaceMin - 1, inPlaceMin, inPlaceMin + 1, 4095, 4096, 8192,
		16383, 16384, 16385, 32768, 65535, 65536, 65537, 70000, 3 * 65536}
	var out []byte
	for zero := 0; zero < 1000; {
		sz := sizes[rnd.Intn(len(sizes))]
		if rnd.Intn(3) == 0 {
			sz = 1 + rnd.Intn(3*65536)
		}
		p := make([]byte, sz)
		for i := range p {
			p[i] = 0xEE // garbage the reader must not leak
		}
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			zero++
		}
	}
	return out, io.ErrNoProgress
}

// messageShapes returns messages of the shapes that strain a converter:
// runs of LF, CR or CRLF alone, NULs, lines longer than a chunk, runs of
// bare LFs longer than an in-place conversion's margin.
func messageShapes(rnd *rand.Rand) [][]byte {
	gen := func(n int, alphabet string) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rnd.Intn(len(alphabet))]
		}
		return b
	}
	var long []byte
	for len(long) < 300000 {
		long = append(long, bytes.Repeat([]byte{'x'}, rnd.Intn(100000))...)
		long = append(long, '\n')
	}
	return [][]byte{
		gen(200000, "\n"),
		gen(200000, "\r"),
		gen(200000, "\r\n"),
		gen(200000, "a\n"),
		gen(200000, "a\r\n\x00"),
		gen(200000, "\n\n\n\n\n\n\n\n\r"),
		bytes.Repeat([]byte("line of text\r\n"), 20000),
		append(bytes.Repeat([]byte("x"), 65536-4096), bytes.Repeat([]byte("\n"), 20000)...),
		append(bytes.Repeat([]byte("y"), 4095), bytes.Repeat([]byte("\r\n\n"), 30000)...),
		long,
		gen(70000, "ab\n"),
	}
}

// TestCRLFChaos: every shape, every pattern of caller buffer and
// underlying read, gives exactly the reference conversion.
func TestCRLFChaos(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	for si, in := range messageShapes(rnd) {
		want := refCRLF(in)
		for round := 0; round < 6; round++ {
			for _, pooled := range []bool{false, true} {
				src := &chaoticReader{data: in, rnd: rnd}
				var r io.Reader
				var cl io.Closer
				if pooled {
					rc := newCRLFReadCloser(io.NopCloser(src))
					r, cl = rc, rc
				} else {
					r = CRLFReader(src)
				}
				got, err := readAllChaotic(r, rnd)
				if cl != nil {
					cl.Close()
					cl.Close() // twice: must not give the chunk back twice
				}
				if err != nil || !bytes.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Fatalf("shape %d round %d pooled %v: %d bytes, %v; want %d, first difference at %d", si, round, pooled, len(got), err, len(want), i)
				}
			}
		}
	}
}
