package storage

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mailgate/mailgate/internal/bufpool"
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

// refCRLF is the plain definition: every LF without a CR before it
// gains one.
func refCRLF(in []byte) []byte {
	var out []byte
	for i, b := range in {
		if b == '\n' && (i == 0 || in[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	return out
}

// smallReads reads r five bytes or fewer at a time: line ends that
// do not fit in what the caller asked for.
type smallReads struct{ r io.Reader }

func (s smallReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 5)]) }

// largeReads reads r into a buffer larger than a chunk, converted in
// place, with more input than one chunk can take when it overflows, and
// hands it out as asked.
type largeReads struct {
	r    io.Reader
	buf  []byte
	left []byte
	err  error
}

func (l *largeReads) Read(p []byte) (int, error) {
	if len(l.left) == 0 && l.err == nil {
		if l.buf == nil {
			l.buf = make([]byte, 3*bufpool.Size)
		}
		n, err := l.r.Read(l.buf)
		l.left, l.err = l.buf[:n], err
	}
	n := copy(p, l.left)
	l.left = l.left[n:]
	if len(l.left) == 0 && n == 0 {
		return 0, l.err
	}
	return n, nil
}

// mixedReads asks for reads of sizes that cross inPlaceMin both ways,
// so that a read in place follows one through the chunk and the other
// way round.
type mixedReads struct {
	r io.Reader
	i int
}

func (m *mixedReads) Read(p []byte) (int, error) {
	sizes := []int{inPlaceMin, 1, inPlaceMin - 1, 3 * inPlaceMin, 2, 4096, 17}
	m.i++
	return m.r.Read(p[:min(len(p), sizes[m.i%len(sizes)])])
}

// FuzzCRLF checks the reader, the size and the LF copy against the plain
// definitions, through readers that return a byte or half a buffer at a
// time. Its seeds stay small, so that it runs many inputs a second;
// TestCRLFChaos takes the large shapes (runs of LFs past the margin of a
// conversion in place, lines across chunks).
func FuzzCRLF(f *testing.F) {
	f.Add("a\nb\r\nc\r")
	f.Add("\r\r\n\n\r")
	f.Add(strings.Repeat("line\n", 20000) + "\r")
	f.Add("a\r" + strings.Repeat("\r\n\n", 900) + "\r")
	f.Fuzz(func(t *testing.T, in string) {
		want := refCRLF([]byte(in))
		for name, r := range map[string]io.Reader{
			"half":    iotest.HalfReader(CRLFReader(strings.NewReader(in))),
			"onebyte": CRLFReader(iotest.OneByteReader(strings.NewReader(in))),
			"pooled":  newCRLFReadCloser(io.NopCloser(iotest.HalfReader(strings.NewReader(in)))),
			"small":   smallReads{CRLFReader(strings.NewReader(in))},
			"large":   &largeReads{r: CRLFReader(strings.NewReader(in))},
			"mixed":   &mixedReads{r: newCRLFReadCloser(io.NopCloser(iotest.HalfReader(strings.NewReader(in))))},
		} {
			out, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(out, want) {
				t.Fatalf("%s reader: %.300q, %v; want %.300q", name, out, err, want)
			}
		}
		size, _ := CRLFSize(iotest.HalfReader(strings.NewReader(in)))
		if int64(len(want)) != size {
			t.Fatalf("CRLFSize = %d, want %d", size, len(want))
		}
		var disk bytes.Buffer
		written, crlfSize, err := CopyLF(&disk, iotest.OneByteReader(strings.NewReader(in)))
		wantDisk := strings.ReplaceAll(in, "\r\n", "\n")
		if err != nil || disk.String() != wantDisk || written != int64(len(wantDisk)) {
			t.Fatalf("CopyLF = %q (%d), %v; want %q", disk.String(), written, err, wantDisk)
		}
		if crlfSize != int64(len(refCRLF([]byte(wantDisk)))) {
			t.Fatalf("CopyLF size %d, want %d", crlfSize, len(refCRLF([]byte(wantDisk))))
		}
	})
}

// BenchmarkCRLF measures the converters on a base64 attachment's lines,
// the bulk of a mailbox's bytes.
func BenchmarkCRLF(b *testing.B) {
	lfData := []byte(strings.Repeat(strings.Repeat("QUJD", 19)+"\n", 1<<14))
	crlfData := bytes.ReplaceAll(lfData, []byte("\n"), []byte("\r\n"))
	b.Run("Reader", func(b *testing.B) {
		b.SetBytes(int64(len(lfData)))
		buf := make([]byte, 16*1024)
		for b.Loop() {
			r := newCRLFReadCloser(io.NopCloser(bytes.NewReader(lfData)))
			io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
			r.Close()
		}
	})
	b.Run("Size", func(b *testing.B) {
		b.SetBytes(int64(len(lfData)))
		for b.Loop() {
			CRLFSize(bytes.NewReader(lfData))
		}
	})
	b.Run("CopyLF", func(b *testing.B) {
		b.SetBytes(int64(len(crlfData)))
		for b.Loop() {
			CopyLF(io.Discard, bytes.NewReader(crlfData))
		}
	})
}
