package storage

import (
	"bufio"
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

type crlfReader struct {
	r       *bufio.Reader
	prev    byte
	needLF  bool
	lastErr error
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
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
		b, err := c.r.ReadByte()
		if err != nil {
			c.lastErr = err
			break
		}
		if b == '\n' && c.prev != '\r' {
			p[n] = '\r'
			n++
			c.needLF = true
			c.prev = '\r'
			continue
		}
		p[n] = b
		n++
		c.prev = b
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.lastErr
}
