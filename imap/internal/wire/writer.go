package wire

import (
	"io"
	"strconv"

	"github.com/mailgate/mailgate/internal/bufpool"
)

// WriteBufferSize is the size of the buffer a Writer borrows (from
// bufpool, which the readers of message files share) for the responses
// it holds until Flush. A message body streamed through it (FETCH
// BODY[]) goes out in writes of this size: at 64 KB rather than 16 the
// loopback FETCH of whole messages costs about a tenth less CPU per byte
// (BenchmarkFetchWhole in package imap).
const WriteBufferSize = bufpool.Size

// Writer is a buffered writer for a client connection that holds a buffer
// only between the first write of a response and Flush: Flush gives the
// buffer back to a pool shared by all connections, so a connection
// waiting for its client costs nothing here. Its methods behave like
// bufio.Writer's; after an error every write fails with it.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	wr  io.Writer
	buf *[WriteBufferSize]byte
	n   int
	err error
}

// NewWriter returns a Writer writing to wr.
func NewWriter(wr io.Writer) *Writer { return &Writer{wr: wr} }

// Buffered returns the number of bytes written but not yet flushed.
func (b *Writer) Buffered() int { return b.n }

// Available returns how many bytes fit before the buffer must be flushed.
func (b *Writer) Available() int { return WriteBufferSize - b.n }

// take makes sure the Writer has a buffer.
func (b *Writer) take() {
	if b.buf == nil {
		b.buf = bufpool.Get()
	}
}

// Flush writes what is buffered and gives the buffer back.
func (b *Writer) Flush() error {
	if b.err != nil {
		return b.err
	}
	if b.n > 0 {
		n, err := b.wr.Write(b.buf[:b.n])
		if n < b.n && err == nil {
			err = io.ErrShortWrite
		}
		b.err = err
	}
	b.n = 0
	if b.buf != nil {
		bufpool.Put(b.buf)
		b.buf = nil
	}
	return b.err
}

// Write writes p; large writes with nothing buffered go straight out.
func (b *Writer) Write(p []byte) (int, error) {
	nn := 0
	for len(p) > b.Available() && b.err == nil {
		var n int
		if b.n == 0 {
			n, b.err = b.wr.Write(p)
		} else {
			n = copy(b.buf[b.n:], p)
			b.n += n
			b.Flush()
		}
		nn += n
		p = p[n:]
	}
	if b.err != nil {
		return nn, b.err
	}
	if len(p) > 0 {
		b.take()
		n := copy(b.buf[b.n:], p)
		b.n += n
		nn += n
	}
	return nn, nil
}

// WriteString writes s.
func (b *Writer) WriteString(s string) (int, error) {
	nn := 0
	for len(s) > b.Available() && b.err == nil {
		b.take()
		n := copy(b.buf[b.n:], s)
		b.n += n
		nn += n
		s = s[n:]
		b.Flush()
	}
	if b.err != nil {
		return nn, b.err
	}
	if len(s) > 0 {
		b.take()
		n := copy(b.buf[b.n:], s)
		b.n += n
		nn += n
	}
	return nn, nil
}

// WriteByte writes c.
func (b *Writer) WriteByte(c byte) error {
	if b.err != nil {
		return b.err
	}
	if b.Available() <= 0 && b.Flush() != nil {
		return b.err
	}
	b.take()
	b.buf[b.n] = c
	b.n++
	return nil
}

// writeInt writes n in decimal, straight into the buffer.
func (b *Writer) writeInt(n int64) {
	if b.err != nil {
		return
	}
	if b.Available() < 20 && b.Flush() != nil {
		return
	}
	b.take()
	b.n += len(strconv.AppendInt(b.buf[b.n:b.n], n, 10))
}

// readFromMin is the least room ReadFrom asks r to fill: with less left
// in the buffer it flushes first, so that r (a message file's reader,
// which turns LF into CRLF in the buffer it is given) is always handed
// a large buffer, never a sliver it would serve from a buffer of its
// own.
const readFromMin = WriteBufferSize / 16

// ReadFrom copies r to the connection through the buffer until EOF. It
// never hands r to the connection's own ReadFrom, which would allocate a
// buffer of its own for each call.
func (b *Writer) ReadFrom(r io.Reader) (int64, error) {
	if b.err != nil {
		return 0, b.err
	}
	var total int64
	for {
		if b.Available() < readFromMin {
			if err := b.Flush(); err != nil {
				return total, err
			}
		}
		b.take()
		nr := 0
		var err error
		for i := 0; i < 100; i++ {
			nr, err = r.Read(b.buf[b.n:])
			if nr != 0 || err != nil {
				break
			}
		}
		if nr < 0 {
			panic("wire: reader returned negative count from Read")
		}
		b.n += nr
		total += int64(nr)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if nr == 0 {
			return total, io.ErrNoProgress
		}
	}
}
