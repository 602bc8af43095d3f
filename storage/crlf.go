package storage

import (
	"bufio"
	"bytes"
	"io"
	"sync"
)

// CopyLF copies a message from r to w with every CRLF turned into LF, the
// line ending mail files use on disk. It returns the bytes written and the
// message's size with CRLF line endings (its RFC822.SIZE).
func CopyLF(w io.Writer, r io.Reader) (written, crlfSize int64, err error) {
	br := bufio.NewReaderSize(r, 64*1024)
	bw := bufio.NewWriterSize(w, 64*1024)
	pendingCR := false
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return written, crlfSize, err
		}
		if pendingCR {
			pendingCR = false
			if b != '\n' {
				// A bare CR stays as it was.
				bw.WriteByte('\r')
				written++
				crlfSize++
			}
		}
		switch b {
		case '\r':
			pendingCR = true
			continue
		case '\n':
			crlfSize += 2
		default:
			crlfSize++
		}
		bw.WriteByte(b)
		written++
	}
	if pendingCR {
		bw.WriteByte('\r')
		written++
		crlfSize++
	}
	return written, crlfSize, bw.Flush()
}

// sizeBufs holds CRLFSize's read buffers: a cold scan of a large mailbox
// of other programs' files calls it once per message.
var sizeBufs = sync.Pool{New: func() any { return new([32 * 1024]byte) }}

// CRLFSize returns the size of the message in r once every bare LF is
// written as CRLF.
func CRLFSize(r io.Reader) (int64, error) {
	var size int64
	var prev byte
	bp := sizeBufs.Get().(*[32 * 1024]byte)
	defer sizeBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b == '\n' && prev != '\r' {
				size++
			}
			size++
			prev = b
		}
		if err == io.EOF {
			return size, nil
		}
		if err != nil {
			return size, err
		}
	}
}

// CRLFReader returns a reader that yields r's content with every bare LF
// turned into CRLF, as IMAP requires on the wire.
func CRLFReader(r io.Reader) io.Reader {
	return &crlfReader{r: bufio.NewReaderSize(r, 32*1024)}
}

// crlfBufs recycles the read buffers of the readers View.Open hands out:
// a FETCH over a large mailbox opens every message once.
var crlfBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16*1024) }}

// crlfReadCloser is a pooled crlfReader over a file that it closes.
type crlfReadCloser struct {
	crlfReader
	c io.Closer
}

func newCRLFReadCloser(rc io.ReadCloser) *crlfReadCloser {
	br := crlfBufs.Get().(*bufio.Reader)
	br.Reset(rc)
	return &crlfReadCloser{crlfReader: crlfReader{r: br}, c: rc}
}

// Close closes the file and gives the buffer back.
func (c *crlfReadCloser) Close() error {
	if c.r != nil {
		c.r.Reset(nil)
		crlfBufs.Put(c.r)
		c.r = nil
		c.lastErr = io.ErrClosedPipe
	}
	return c.c.Close()
}

type crlfReader struct {
	r       *bufio.Reader
	prev    byte // the last byte taken from r
	needCR  bool // a CR is owed before the LF
	needLF  bool // an LF is owed
	lastErr error
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if c.needCR {
			p[n] = '\r'
			n++
			c.needCR = false
			continue
		}
		if c.needLF {
			p[n] = '\n'
			n++
			c.needLF = false
			c.prev = '\n'
			continue
		}
		if c.lastErr != nil {
			break
		}
		if c.r.Buffered() == 0 {
			if _, err := c.r.Peek(1); err != nil {
				c.lastErr = err
				break
			}
		}
		// Copy whole runs up to the next LF at once.
		window, _ := c.r.Peek(min(c.r.Buffered(), len(p)-n))
		i := bytes.IndexByte(window, '\n')
		if i < 0 {
			copy(p[n:], window)
			n += len(window)
			c.prev = window[len(window)-1]
			c.r.Discard(len(window))
			continue
		}
		copy(p[n:], window[:i])
		n += i
		if i > 0 {
			c.prev = window[i-1]
		}
		c.r.Discard(i + 1)
		if c.prev == '\r' {
			c.needLF = true // already CRLF: just the LF
		} else {
			c.pendingCRLF()
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.lastErr
}

// pendingCRLF queues CR LF for a bare LF just consumed.
func (c *crlfReader) pendingCRLF() {
	c.needCR = true
	c.needLF = true
}
