package wire

import (
	"errors"
	"io"
	"os"
	"sync"
)

// ReadBufferSize is the size of the buffer a Reader borrows while the
// client is sending more than a short command.
const ReadBufferSize = 4096

// smallReadSize is the Reader's own buffer, used when the connection is
// quiet: enough for DONE, NOOP, IDLE and most short commands.
const smallReadSize = 64

var readBuffers = sync.Pool{New: func() any { return new([ReadBufferSize]byte) }}

// errNegativeRead is returned when the underlying reader misbehaves.
var errNegativeRead = errors.New("wire: reader returned negative count from Read")

// Reader is a buffered reader for a client connection that holds a large
// buffer only while the client streams data: when everything read has
// been consumed, the next read goes into a small buffer of its own and
// the large one goes back to a pool shared by all connections. A
// connection waiting for its client therefore costs a few dozen bytes
// here. Its methods behave like bufio.Reader's.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd       io.Reader
	buf      []byte // small[:] or big[:]; buf[r:w] is unread
	big      *[ReadBufferSize]byte
	r, w     int
	err      error
	lastByte int  // for UnreadByte; -1 when invalid
	streamed bool // the last read filled its buffer: more is probably coming
	small    [smallReadSize]byte
}

// NewReader returns a Reader reading from rd.
func NewReader(rd io.Reader) *Reader {
	b := &Reader{rd: rd, lastByte: -1}
	b.buf = b.small[:]
	return b
}

// Buffered returns the number of bytes that can be read without reading
// from the connection.
func (b *Reader) Buffered() int { return b.w - b.r }

// Take returns a copy of the bytes buffered and not read yet, and
// consumes them: what a client sent ahead that another reader (a session
// process taking the connection over) must see first.
func (b *Reader) Take() []byte {
	if b.r == b.w {
		return nil
	}
	p := append([]byte(nil), b.buf[b.r:b.w]...)
	b.r = b.w
	b.lastByte = -1
	return p
}

// Ready reports whether a read would return without waiting: bytes are
// buffered or an error is pending.
func (b *Reader) Ready() bool { return b.r < b.w || b.err != nil }

// Wait blocks until Ready, reading into the small buffer only, so that a
// connection idling here holds no pooled buffer.
func (b *Reader) Wait() {
	if b.Ready() {
		return
	}
	b.fill(true)
}

// ClearTimeout forgets a pending read-deadline error, when that is all
// the Reader holds, and reports whether it did. A session that interrupts
// its own wait with a deadline (to write news during IDLE) waits again
// after it.
func (b *Reader) ClearTimeout() bool {
	if b.r == b.w && errors.Is(b.err, os.ErrDeadlineExceeded) {
		b.err = nil
		return true
	}
	return false
}

// Broken reports whether the Reader holds nothing but an error other
// than a read deadline's and the end of the client's input: the
// connection failed or was reset. A client that only shut down its side
// (shutdown(SHUT_WR), as `printf ... | ncat` does at the end of its input)
// may still read the answers, and an end of input cannot tell that from
// a client that hung up.
func (b *Reader) Broken() bool {
	return b.r == b.w && b.err != nil && !errors.Is(b.err, os.ErrDeadlineExceeded) && !errors.Is(b.err, io.EOF)
}

// fill reads once more from the connection; the caller needs more than
// is buffered. An empty Reader reads into its small buffer and gives the
// large one back when quiet is set or when its last read was short (the
// client had sent nothing more); else into the large one.
func (b *Reader) fill(quiet bool) {
	switch {
	case b.r == b.w:
		b.r, b.w = 0, 0
		if quiet || !b.streamed {
			b.release()
		} else if b.big == nil {
			b.big = readBuffers.Get().(*[ReadBufferSize]byte)
			b.buf = b.big[:]
		}
	case b.w == len(b.buf):
		// Unread bytes at the end of a full buffer: move them to the
		// front of the large one.
		if b.big == nil {
			b.big = readBuffers.Get().(*[ReadBufferSize]byte)
		}
		n := copy(b.big[:], b.buf[b.r:b.w])
		b.buf = b.big[:]
		b.r, b.w = 0, n
	}
	for i := 100; i > 0; i-- {
		n, err := b.rd.Read(b.buf[b.w:])
		if n < 0 {
			panic(errNegativeRead)
		}
		b.w += n
		if err != nil {
			b.err = err
			return
		}
		if n > 0 {
			b.streamed = b.w == len(b.buf)
			return
		}
	}
	b.err = io.ErrNoProgress
}

// release gives the large buffer back; the Reader must be empty.
func (b *Reader) release() {
	if b.big != nil {
		readBuffers.Put(b.big)
		b.big = nil
	}
	b.buf = b.small[:]
	b.lastByte = -1
}

func (b *Reader) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// ReadByte reads one byte.
func (b *Reader) ReadByte() (byte, error) {
	for b.r == b.w {
		if b.err != nil {
			b.lastByte = -1
			return 0, b.readErr()
		}
		b.fill(false)
	}
	c := b.buf[b.r]
	b.r++
	b.lastByte = int(c)
	return c, nil
}

// UnreadByte unreads the byte ReadByte returned last.
func (b *Reader) UnreadByte() error {
	if b.lastByte < 0 || b.r == 0 {
		return errors.New("wire: invalid use of UnreadByte")
	}
	b.r--
	b.buf[b.r] = byte(b.lastByte)
	b.lastByte = -1
	return nil
}

// Peek returns the next n bytes without consuming them; n must not exceed
// ReadBufferSize.
func (b *Reader) Peek(n int) ([]byte, error) {
	b.lastByte = -1
	for b.w-b.r < n && b.err == nil {
		b.fill(false)
	}
	if b.w-b.r < n {
		return b.buf[b.r:b.w], b.readErr()
	}
	return b.buf[b.r : b.r+n], nil
}

// Read reads into p. Large reads with nothing buffered go straight to p.
func (b *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if b.Buffered() > 0 {
			return 0, nil
		}
		return 0, b.readErr()
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		if len(p) >= ReadBufferSize {
			// Nothing to gain from copying through a buffer.
			b.release()
			b.r, b.w = 0, 0
			n, err := b.rd.Read(p)
			if n < 0 {
				panic(errNegativeRead)
			}
			b.streamed = n == len(p)
			return n, err
		}
		b.fill(false)
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	b.lastByte = int(b.buf[b.r-1])
	return n, nil
}
