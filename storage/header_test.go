package storage

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// headerOf is the plain statement of what readStoredHeader returns: the
// bytes up to the first empty line (LF or CRLF), that line included, or
// all of msg without one, at most maxHeader.
func headerOf(msg []byte) []byte {
	if bytes.HasPrefix(msg, []byte("\n")) {
		return msg[:1]
	}
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return msg[:2]
	}
	for i := 0; i < len(msg); i++ {
		if msg[i] != '\n' {
			continue
		}
		if bytes.HasPrefix(msg[i+1:], []byte("\n")) {
			return msg[:min(i+2, maxHeader)]
		}
		if bytes.HasPrefix(msg[i+1:], []byte("\r\n")) {
			return msg[:min(i+3, maxHeader)]
		}
	}
	return msg[:min(len(msg), maxHeader)]
}

func TestReadStoredHeader(t *testing.T) {
	long := "X: " + strings.Repeat("a", maxHeader) + "\n\nbody"
	for _, tc := range []struct{ name, msg, want string }{
		{"lf", "A: 1\nB: 2\n\nbody\n\nmore", "A: 1\nB: 2\n\n"},
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n\r\n"},
		{"mixed", "A: 1\r\nB: 2\n\r\nbody", "A: 1\r\nB: 2\n\r\n"},
		{"folded", "A: 1\n 2\n\nbody", "A: 1\n 2\n\n"},
		{"empty header lf", "\nbody", "\n"},
		{"empty header crlf", "\r\nbody", "\r\n"},
		{"no body", "A: 1\nB: 2\n", "A: 1\nB: 2\n"},
		{"empty", "", ""},
		{"cr not a line end", "A: 1\r\rB\n\nx", "A: 1\r\rB\n\n"},
		{"too long", long, long[:maxHeader]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []func() io.Reader{
				func() io.Reader { return strings.NewReader(tc.msg) },
				func() io.Reader { return iotest.OneByteReader(strings.NewReader(tc.msg)) },
				func() io.Reader { return iotest.DataErrReader(strings.NewReader(tc.msg)) },
			} {
				got, err := readStoredHeader(r(), []byte("kept"))
				if err != nil || string(got) != "kept"+tc.want {
					t.Errorf("readStoredHeader = %.40q, %v; want %.40q", got, err, "kept"+tc.want)
				}
				tee := &headerTee{r: r()}
				rest, err := io.ReadAll(tee)
				if err != nil || string(rest) != tc.msg {
					t.Fatalf("headerTee passed %d bytes, %v; want the %d of the message", len(rest), err, len(tc.msg))
				}
				if tc.name == "too long" {
					if tee.done || tee.header != nil {
						t.Errorf("headerTee kept %d bytes of a header over the limit (done %v)", len(tee.header), tee.done)
					}
				} else if !tee.done || string(tee.header) != tc.want {
					t.Errorf("headerTee = %q (done %v), want %q", tee.header, tee.done, tc.want)
				}
			}
		})
	}
	// A reading error is returned.
	if _, err := readStoredHeader(iotest.ErrReader(io.ErrUnexpectedEOF), nil); err != io.ErrUnexpectedEOF {
		t.Errorf("readStoredHeader of a failing reader: %v", err)
	}
}

// TestReadStoredHeaderFirstRead checks that the first read asks for no
// more than firstHeaderRead bytes, whatever room the buffer has, and that
// a header longer than that, or ending right at it, is still read whole.
func TestReadStoredHeaderFirstRead(t *testing.T) {
	body := strings.Repeat("body line\n", 2000)
	for _, n := range []int{10, firstHeaderRead - 2, firstHeaderRead - 1, firstHeaderRead, firstHeaderRead + 1, 3 * firstHeaderRead} {
		// A header of n bytes, its empty line included.
		header := "X: " + strings.Repeat("h", n-5) + "\n\n"
		r := &sizeReader{r: strings.NewReader(header + body)}
		got, err := readStoredHeader(r, make([]byte, 0, 8192))
		if err != nil || string(got) != header {
			t.Errorf("header of %d bytes: got %d bytes, %v", n, len(got), err)
		}
		if len(r.asked) == 0 || r.asked[0] > firstHeaderRead {
			t.Errorf("header of %d bytes: reads asked for %v, the first more than %d", n, r.asked, firstHeaderRead)
		}
	}
}

// sizeReader notes how many bytes each Read asks for.
type sizeReader struct {
	r     io.Reader
	asked []int
}

func (r *sizeReader) Read(p []byte) (int, error) {
	r.asked = append(r.asked, len(p))
	return r.r.Read(p)
}

// FuzzReadStoredHeader holds readStoredHeader, read in pieces of any
// size, to headerOf.
func FuzzReadStoredHeader(f *testing.F) {
	f.Add([]byte("A: 1\r\nB: 2\r\n\r\nbody"), uint8(3))
	f.Add([]byte("A: 1\n\nbody"), uint8(1))
	f.Add([]byte("\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, msg []byte, piece uint8) {
		r := &pieceReader{b: msg, n: int(piece)%7 + 1}
		got, err := readStoredHeader(r, nil)
		if err != nil || !bytes.Equal(got, headerOf(msg)) {
			t.Fatalf("readStoredHeader(%q) = %q, %v; want %q", msg, got, err, headerOf(msg))
		}
		tee := &headerTee{r: &pieceReader{b: msg, n: int(piece)%5 + 1}}
		io.Copy(io.Discard, tee)
		if !tee.done || !bytes.Equal(tee.header, headerOf(msg)) {
			t.Fatalf("headerTee(%q) = %q, want %q", msg, tee.header, headerOf(msg))
		}
	})
}

// pieceReader returns at most n bytes a Read.
type pieceReader struct {
	b []byte
	n int
}

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}
