package imap

import (
	"compress/flate"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// COMPRESS=DEFLATE (RFC 4978): after the tagged OK both directions are
// raw deflate streams (RFC 1951, no zlib header). It is offered once the
// client has logged in, as Dovecot does: compressing a password exchange
// gains nothing, and the login's handoff to a session process happens
// before it.
//
// Memory: a flate.Writer holds some 600 KiB (its window and hash chains),
// more than the rest of an idle session together. The server keeps no
// writer: each write to the client borrows one from a pool, compresses,
// flushes (Z_SYNC_FLUSH, which RFC 4978 section 4 asks for) and gives it
// back. The deflate stream stays valid, since a new writer only refers
// back to what it wrote itself; the cost is that one write's output
// cannot refer to the previous write's. The reading side must keep the
// client's 32 KiB window, which the client's later blocks may refer to:
// that, and the goroutine that inflates (deflateConn), is what a
// compressed connection costs while it idles.
//
// The inflater is our own (inflate.go): compress/flate's hands data on
// only at a sync flush, and mbsync ends its commands with
// Z_PARTIAL_FLUSH. Writing stays on compress/flate, whose Flush is a
// sync flush.
//
// A compressed session does not hibernate (the inflate state cannot be
// handed over), as Dovecot's imap-hibernate refuses one too.

// deflateLevel is the level of the server's compression, Dovecot's
// default (imap_zlib_compress_level).
const deflateLevel = 6

// cmdCompress: RFC 4978 section 3.
func (s *session) cmdCompress(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	mech, err := s.d.Atom()
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.compressed {
		return no("COMPRESSIONACTIVE", "DEFLATE compression is already active")
	}
	if !strings.EqualFold(mech, "DEFLATE") {
		return bad("Unknown compression mechanism")
	}
	if s.br.Buffered() > 0 {
		// The client must wait for the OK before it compresses.
		return bad("Unexpected data after COMPRESS")
	}
	s.respond(tag, ok("", "DEFLATE active"))
	if err := s.e.Flush(); err != nil {
		return err
	}
	s.setConn(newDeflateConn(plainConn(s.conn)))
	s.compressed = true
	return errAlreadyAnswered
}

// deflateWriters are the flate.Writers that compressed connections borrow
// for one write each.
var deflateWriters sync.Pool

// deflateConn is a connection whose both directions are deflated. A
// goroutine of its own inflates what the client sends (pump): a
// flate.Reader that meets an error from below, as the read deadlines the
// session uses to interrupt IDLE would give it, is broken for good, so
// deadlines are kept here, above it, and never reach the connection's
// reading side.
type deflateConn struct {
	net.Conn // the connection below: TCP or TLS

	wmu sync.Mutex // one Write at a time

	mu       sync.Mutex
	pending  []byte        // inflated bytes not read yet (the pump's buffer)
	err      error         // the pump's error, after pending
	deadline time.Time     // the read deadline
	changed  chan struct{} // closed when pending, err or deadline change
	taken    chan struct{} // the reader emptied pending (capacity 1)
	closed   chan struct{} // Close was called
	once     sync.Once
}

// newDeflateConn starts inflating c's input.
func newDeflateConn(c net.Conn) *deflateConn {
	d := &deflateConn{Conn: c, changed: make(chan struct{}), taken: make(chan struct{}, 1), closed: make(chan struct{})}
	go d.pump()
	return d
}

// inflateChunk is the size of the pump's output buffer.
const inflateChunk = 2048

// pump inflates the client's input a chunk at a time and waits for the
// session to read each one, so that a small compressed input that
// inflates to much more is never held whole.
func (d *deflateConn) pump() {
	fr := newInflater(&byteReader{r: d.Conn})
	buf := make([]byte, inflateChunk)
	for {
		n, err := fr.Read(buf)
		if err == io.EOF {
			// The client ended its deflate stream: nothing more can come.
			err = io.ErrUnexpectedEOF
		}
		d.mu.Lock()
		d.pending, d.err = buf[:n], err
		d.notify()
		d.mu.Unlock()
		if err != nil {
			return
		}
		if n == 0 {
			continue
		}
		select {
		case <-d.taken:
		case <-d.closed:
			return
		}
	}
}

// notify wakes readers; d.mu is held.
func (d *deflateConn) notify() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// Read returns inflated bytes, waiting for them until the read deadline.
func (d *deflateConn) Read(p []byte) (int, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		d.mu.Lock()
		if len(d.pending) > 0 {
			n := copy(p, d.pending)
			d.pending = d.pending[n:]
			if len(d.pending) == 0 {
				d.taken <- struct{}{}
			}
			d.mu.Unlock()
			return n, nil
		}
		if d.err != nil {
			err := d.err
			d.mu.Unlock()
			return 0, err
		}
		dl, changed := d.deadline, d.changed
		d.mu.Unlock()
		var expired <-chan time.Time
		if !dl.IsZero() {
			wait := time.Until(dl)
			if wait <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			expired = timer.C
		}
		select {
		case <-changed:
		case <-expired:
		case <-d.closed:
			return 0, net.ErrClosed
		}
		if timer != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// Write compresses p with a borrowed writer and flushes it to the client.
func (d *deflateConn) Write(p []byte) (int, error) {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	fw, _ := deflateWriters.Get().(*flate.Writer)
	if fw == nil {
		fw, _ = flate.NewWriter(d.Conn, deflateLevel) // the level is valid
	} else {
		fw.Reset(d.Conn)
	}
	defer deflateWriters.Put(fw)
	if _, err := fw.Write(p); err != nil {
		return 0, err
	}
	if err := fw.Flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetReadDeadline sets the deadline of Read; the connection below keeps
// none.
func (d *deflateConn) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	d.deadline = t
	d.notify()
	d.mu.Unlock()
	return nil
}

// SetDeadline sets both deadlines.
func (d *deflateConn) SetDeadline(t time.Time) error {
	d.SetReadDeadline(t)
	return d.Conn.SetWriteDeadline(t)
}

// Close closes the connection below, which ends the pump.
func (d *deflateConn) Close() error {
	d.once.Do(func() { close(d.closed) })
	return d.Conn.Close()
}

// CloseWrite ends the sending side, when the connection below can.
func (d *deflateConn) CloseWrite() error {
	if cw, ok := d.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return d.Close()
}

// byteReader is the inflater's buffered input.
type byteReader struct {
	r    io.Reader
	buf  [512]byte
	i, n int
}

// buffered is how many bytes can be read without waiting.
func (b *byteReader) buffered() int { return b.n - b.i }

func (b *byteReader) ReadByte() (byte, error) {
	for b.i == b.n {
		n, err := b.r.Read(b.buf[:])
		if n > 0 {
			b.i, b.n = 0, n
			break
		}
		if err != nil {
			return 0, err
		}
	}
	c := b.buf[b.i]
	b.i++
	return c, nil
}
