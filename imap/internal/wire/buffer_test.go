package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkReader returns its chunks one Read at a time, as a connection
// returns what the client has sent so far.
type chunkReader struct {
	chunks []string
	reads  int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.reads++
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if c.chunks[0] = c.chunks[0][n:]; c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func TestReaderHoldsNoBufferWhenQuiet(t *testing.T) {
	long := strings.Repeat("x", 3*ReadBufferSize+17)
	src := &chunkReader{chunks: []string{"a NOOP\r\n", "b APPEND INBOX {" + itoa(len(long)) + "}\r\n" + long + "\r\n", "DONE\r\n"}}
	r := NewReader(src)
	line := func() string {
		var b []byte
		for {
			c, err := r.ReadByte()
			if err != nil {
				t.Fatalf("ReadByte: %v after %q", err, b)
			}
			b = append(b, c)
			if c == '\n' {
				return string(b)
			}
		}
	}
	r.Wait()
	if !r.Ready() || r.big != nil {
		t.Fatalf("after Wait: ready %v, large buffer %v", r.Ready(), r.big != nil)
	}
	if l := line(); l != "a NOOP\r\n" {
		t.Fatalf("first line %q", l)
	}
	if r.Ready() {
		t.Fatal("ready with nothing buffered")
	}
	r.Wait()
	// The small buffer fills up: the rest goes through the large one.
	if l := line(); !strings.HasSuffix(l, "}\r\n") {
		t.Fatalf("APPEND line %q", l)
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(long)+2)))
	if err != nil || string(got) != long+"\r\n" {
		t.Fatalf("literal: %d bytes, %v", len(got), err)
	}
	r.Wait()
	if r.big != nil {
		t.Fatal("the large buffer is kept while the client is quiet")
	}
	if l := line(); l != "DONE\r\n" {
		t.Fatalf("last line %q", l)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
}

func TestReaderUnreadAndPeek(t *testing.T) {
	// One byte at a time, so that every ReadByte may refill.
	r := NewReader(iotest.OneByteReader(strings.NewReader(strings.Repeat("ab", 100))))
	for i := 0; i < 200; i++ {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		if err := r.UnreadByte(); err != nil {
			t.Fatalf("UnreadByte at %d: %v", i, err)
		}
		p, err := r.Peek(1)
		if err != nil || p[0] != b {
			t.Fatalf("Peek at %d = %q, %v; want %q", i, p, err, b)
		}
		if c, _ := r.ReadByte(); c != b {
			t.Fatalf("ReadByte after UnreadByte at %d = %q, want %q", i, c, b)
		}
	}
	if _, err := r.Peek(1); err != io.EOF {
		t.Fatalf("Peek at the end: %v", err)
	}
	if err := r.UnreadByte(); err == nil {
		t.Fatal("UnreadByte after Peek succeeded")
	}
}

func TestReaderMatchesInput(t *testing.T) {
	// Mixed reads of a long stream arriving in odd pieces.
	var want bytes.Buffer
	for i := 0; want.Len() < 5*ReadBufferSize; i++ {
		want.WriteString(strings.Repeat(string(rune('a'+i%26)), i%97) + "\r\n")
	}
	src := &chunkReader{}
	for s, n := want.String(), 1; len(s) > 0; n = n*7%5003 + 1 {
		n = min(n, len(s))
		src.chunks = append(src.chunks, s[:n])
		s = s[n:]
	}
	r := NewReader(src)
	var got bytes.Buffer
	buf := make([]byte, 3*ReadBufferSize)
	for k := 0; ; k++ {
		if k%3 == 0 {
			r.Wait()
		}
		var err error
		switch k % 4 {
		case 0, 1:
			var c byte
			if c, err = r.ReadByte(); err == nil {
				got.WriteByte(c)
			}
		case 2:
			var n int
			n, err = r.Read(buf[:k%50+1])
			got.Write(buf[:n])
		case 3:
			var n int
			n, err = r.Read(buf)
			got.Write(buf[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != want.String() {
		t.Fatalf("read %d bytes, want %d; they differ", got.Len(), want.Len())
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("broken")
	}
	return len(p), nil
}

func TestWriterGivesBufferBack(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.WriteString("* OK hello\r\n")
	if w.Buffered() != 12 || w.buf == nil {
		t.Fatalf("buffered %d", w.Buffered())
	}
	if err := w.Flush(); err != nil || w.buf != nil || out.String() != "* OK hello\r\n" {
		t.Fatalf("Flush: %v, buffer kept %v, wrote %q", err, w.buf != nil, out.String())
	}
	big := strings.Repeat("y", 2*WriteBufferSize+5)
	w.WriteByte('{')
	w.Write([]byte(big))
	w.WriteString(big)
	if _, err := w.ReadFrom(strings.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if want := "* OK hello\r\n{" + big + big + big; out.String() != want || w.buf != nil {
		t.Fatalf("wrote %d bytes, want %d; buffer kept %v", out.Len(), len(want), w.buf != nil)
	}
	fw := NewWriter(&failWriter{n: 10})
	fw.WriteString(strings.Repeat("z", WriteBufferSize+1))
	if err := fw.Flush(); err == nil {
		t.Fatal("no error from a failing connection")
	}
	if _, err := fw.WriteString("x"); err == nil {
		t.Fatal("write after an error succeeded")
	}
}

// sizeRecorder reads from r and notes the smallest buffer it was handed.
type sizeRecorder struct {
	r        io.Reader
	smallest int
}

func (s *sizeRecorder) Read(p []byte) (int, error) {
	if s.smallest == 0 || len(p) < s.smallest {
		s.smallest = len(p)
	}
	return s.r.Read(p)
}

// TestWriterReadFromHandsLargeBuffers: however full the buffer is when
// ReadFrom begins, and however the reader's reads fall, ReadFrom never
// asks it to fill less than readFromMin: a message file's reader turns
// LF into CRLF in the buffer it is given only when that is large.
func TestWriterReadFromHandsLargeBuffers(t *testing.T) {
	for _, prefix := range []int{0, 1, 40, WriteBufferSize - readFromMin - 1, WriteBufferSize - 100, WriteBufferSize - 1} {
		var out bytes.Buffer
		w := NewWriter(&out)
		w.WriteString(strings.Repeat("p", prefix))
		body := strings.Repeat("0123456789abcdefghijklmnopqrstu\r\n", 10000)
		rec := &sizeRecorder{r: iotest.HalfReader(strings.NewReader(body))}
		if n, err := w.ReadFrom(rec); err != nil || n != int64(len(body)) {
			t.Fatalf("prefix %d: ReadFrom = %d, %v", prefix, n, err)
		}
		w.Flush()
		if out.String() != strings.Repeat("p", prefix)+body {
			t.Fatalf("prefix %d: wrote %d bytes, want %d", prefix, out.Len(), prefix+len(body))
		}
		if rec.smallest < readFromMin {
			t.Errorf("prefix %d: the reader was handed %d bytes to fill, want at least %d", prefix, rec.smallest, readFromMin)
		}
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestEncoderNumbers(t *testing.T) {
	var out bytes.Buffer
	e := NewEncoder(NewWriter(&out))
	e.Raw(strings.Repeat("x", WriteBufferSize-3)).Number(4294967295).SP().Number(0).SP().Number64(1 << 40).CRLF()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("x", WriteBufferSize-3) + "4294967295 0 1099511627776\r\n"; out.String() != want {
		t.Fatalf("got ...%q", out.String()[WriteBufferSize-10:])
	}
}
