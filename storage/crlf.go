package storage

import (
	"bytes"
	"io"

	"github.com/mailgate/mailgate/internal/bufpool"
)

// CopyLF copies a message from r to w with every CRLF turned into LF, the
// line ending mail files use on disk; a bare CR stays. It returns the bytes
// written and the size of what it wrote once read back with CRLF line
// endings (its RFC822.SIZE, as CRLFSize would count it).
func CopyLF(w io.Writer, r io.Reader) (written, crlfSize int64, err error) {
	in := bufpool.Get()
	out := bufpool.Get()
	defer bufpool.Put(in)
	defer bufpool.Put(out)
	pendingCR := false // the last byte read was a CR not yet written
	var prev byte      // the last byte written
	for {
		// One byte short of out: a CR held over from the last read
		// may go out before all of this one.
		n, rerr := r.Read(in[:len(in)-1])
		data, o := in[:n], 0
		for len(data) > 0 {
			if pendingCR {
				pendingCR = false
				if data[0] != '\n' {
					out[o] = '\r' // a bare CR stays as it was
					o++
				}
			}
			i := bytes.IndexByte(data, '\r')
			if i < 0 {
				i = len(data)
			}
			o += copy(out[o:], data[:i])
			if i < len(data) {
				pendingCR = true
				i++
			}
			data = data[i:]
		}
		if o > 0 {
			crlfSize += grownSize(out[:o], prev)
			prev = out[o-1]
			m, werr := w.Write(out[:o])
			written += int64(m)
			if werr != nil {
				return written, crlfSize, werr
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return written, crlfSize, rerr
		}
	}
	if pendingCR {
		m, werr := w.Write([]byte{'\r'})
		written += int64(m)
		crlfSize += grownSize([]byte{'\r'}, prev)
		if werr != nil {
			return written, crlfSize, werr
		}
	}
	return written, crlfSize, nil
}

var lf = []byte{'\n'}

// CRLFSize returns the size of the message in r once every bare LF is
// written as CRLF.
func CRLFSize(r io.Reader) (int64, error) {
	var size int64
	prev := byte(0)
	bp := bufpool.Get()
	defer bufpool.Put(bp)
	for {
		n, err := r.Read(bp[:])
		if n > 0 {
			size += grownSize(bp[:n], prev)
			prev = bp[n-1]
		}
		if err == io.EOF {
			return size, nil
		}
		if err != nil {
			return size, err
		}
	}
}

var crlf = []byte("\r\n")

// grownSize returns the size of buf once every bare LF in it becomes CRLF;
// prev is the byte before buf.
func grownSize(buf []byte, prev byte) int64 {
	size := int64(len(buf) + bytes.Count(buf, lf) - bytes.Count(buf, crlf))
	if prev == '\r' && buf[0] == '\n' {
		size-- // a CRLF split between two reads
	}
	return size
}

// CRLFReader returns a reader that yields r's content with every bare LF
// turned into CRLF, as IMAP requires on the wire.
func CRLFReader(r io.Reader) io.Reader { return &crlfReader{r: r} }

// crlfReadCloser is a crlfReader over a file that it closes, with a
// pooled buffer.
type crlfReadCloser struct {
	crlfReader
	c io.Closer
}

func newCRLFReadCloser(rc io.ReadCloser) *crlfReadCloser {
	return &crlfReadCloser{crlfReader: crlfReader{r: rc, pooled: true}, c: rc}
}

// Close closes the file and gives the buffer back.
func (c *crlfReadCloser) Close() error {
	if c.err != io.ErrClosedPipe {
		if c.chunk != nil {
			bufpool.Put(c.chunk)
		}
		c.chunk, c.buf = nil, nil
		c.start, c.end = 0, 0
		c.err = io.ErrClosedPipe
	}
	return c.c.Close()
}

// crlfReader turns bare LFs into CRLF. A large read is converted in
// place: the file is read into the caller's buffer past a margin and
// moved forward over it, growing each bare LF by a CR, so that the
// bytes of a FETCH BODY[] are copied once on their way to the socket
// and no buffer of the reader's own is touched. What does not fit (a
// run of bare LFs longer than the margin) and smaller reads go through
// buf, read in chunks, copying whole runs between line ends at once.
type crlfReader struct {
	r          io.Reader
	buf        []byte              // nil until needed
	chunk      *[bufpool.Size]byte // buf, when lent by bufpool.Get
	pooled     bool                // buf is borrowed (Close gives it back)
	start, end int                 // buf[start:end] is read but not yet returned
	prevCR     bool                // the last byte returned was a CR
	owed       []byte              // the tail of a line end that did not fit in p
	err        error
}

// inPlaceMin is the smallest read converted in place; inPlaceMargin
// divides a read's size into the margin left for the CRs it adds (one
// in 16: mail has a line end every 70 or so bytes).
const (
	inPlaceMin    = 256
	inPlaceMargin = 16
)

// needBuf makes sure buf is there.
func (c *crlfReader) needBuf() {
	if c.buf != nil {
		return
	}
	if c.pooled {
		c.chunk = bufpool.Get()
		c.buf = c.chunk[:]
	} else {
		c.buf = make([]byte, bufpool.Size)
	}
}

// readInPlace reads into p past a margin and converts it in place; it
// returns how many bytes of p it filled. Input that does not fit goes
// into buf, to be returned by the next reads. c has nothing buffered.
func (c *crlfReader) readInPlace(p []byte) int {
	r := len(p) / inPlaceMargin // where the next unconverted byte is
	// At most a chunk, so that what does not fit fits in buf.
	m, err := c.r.Read(p[r:min(len(p), r+bufpool.Size)])
	c.err = err
	in := p[:r+m]
	w := 0 // where the next converted byte goes; w <= r
	prevCR := c.prevCR
	for r < len(in) {
		i := bytes.IndexByte(in[r:], '\n')
		if i < 0 {
			w += copy(p[w:], in[r:])
			prevCR = in[len(in)-1] == '\r'
			r = len(in)
			break
		}
		w += copy(p[w:], in[r:r+i])
		r += i
		if i > 0 {
			prevCR = in[r-1] == '\r'
		}
		if !prevCR {
			if w == r {
				break // no margin left for the CR
			}
			p[w] = '\r'
			w++
		}
		p[w] = '\n'
		w++
		r++
		prevCR = false
	}
	if r < len(in) {
		c.needBuf()
		c.start, c.end = 0, copy(c.buf, in[r:])
	}
	c.prevCR = prevCR
	return w
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := copy(p, c.owed)
	c.owed = c.owed[n:]
	for n < len(p) {
		if c.start == c.end {
			if c.err != nil {
				break
			}
			if n > 0 && len(p)-n < bufpool.Size/4 {
				break // return what there is rather than read a sliver
			}
			if len(p)-n >= inPlaceMin {
				n += c.readInPlace(p[n:])
				continue
			}
			c.needBuf()
			m, err := c.r.Read(c.buf)
			c.start, c.end, c.err = 0, m, err
			if m == 0 {
				continue
			}
		}
		// Whole lines that fit in p, in a tight loop: the bulk of a
		// message. What is left (a line that does not fit, the end of
		// the chunk) goes the careful way below.
		src := c.buf[c.start:c.end]
		for {
			i := bytes.IndexByte(src, '\n')
			if i < 0 || n+i+2 > len(p) {
				break
			}
			n += copy(p[n:], src[:i])
			if (i > 0 && src[i-1] != '\r') || (i == 0 && !c.prevCR) {
				p[n] = '\r'
				n++
			}
			p[n] = '\n'
			n++
			c.prevCR = false
			src = src[i+1:]
		}
		c.start = c.end - len(src)
		if c.start == c.end || n == len(p) {
			continue
		}
		window := c.buf[c.start:min(c.end, c.start+len(p)-n)]
		i := bytes.IndexByte(window, '\n')
		if i < 0 {
			n += copy(p[n:], window)
			c.start += len(window)
			c.prevCR = window[len(window)-1] == '\r'
			continue
		}
		n += copy(p[n:], window[:i])
		c.start += i + 1
		if i > 0 {
			c.prevCR = window[i-1] == '\r'
		}
		end := crlf
		if c.prevCR {
			end = lf // already CRLF
		}
		k := copy(p[n:], end)
		n += k
		c.owed = end[k:]
		c.prevCR = false
	}
	if n > 0 {
		return n, nil
	}
	if c.err == nil {
		return 0, nil
	}
	return 0, c.err
}
