package lmtp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// conn is a client connection as go-smtp sees it. It renews the idle
// deadline on every read, and once the server shuts down it ends the
// session at the first read that is not part of a transaction.
type conn struct {
	net.Conn
	srv       *Server
	id        uint64
	done      chan struct{} // closed when the connection is closed
	closeOnce sync.Once
	// cut is set when a read from the client failed (end of stream,
	// reset, timeout): a message being received may be incomplete.
	cut atomic.Bool
	// last is what the latest Read returned, for skipData; reads come
	// one at a time, from the goroutine that go-smtp reads the message
	// in.
	last []byte

	mu      sync.Mutex
	busy    bool // a transaction is open: MAIL given, not yet reset
	closing bool // the server is shutting down
	saidBye bool
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{Conn: nc, srv: s, id: s.opts.SessionID(), done: make(chan struct{})}
}

// Read reads from the client with the idle timeout. While the server
// shuts down, a read between transactions says 421 and ends the session.
func (c *conn) Read(p []byte) (int, error) {
	if !c.arm() {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(p)
	c.last = p[:n]
	if err != nil {
		c.cut.Store(true)
		if errors.Is(err, os.ErrDeadlineExceeded) && !c.arm() {
			return n, io.EOF // woken by shutdown
		}
	}
	return n, err
}

// skipData reads and drops the rest of a message that go-smtp stopped
// reading at a line over its limit (smtp.ErrTooLongLine), up to the end
// of data (a line holding only a dot), at most max bytes, and reports
// whether it found the end. go-smtp drops the read in which the line
// grew too long, and closes the connection after the replies; a client
// that writes the whole message before it reads them (as MTAs do) would
// otherwise fail in its write, with the rest of the message unread here,
// and take that for a temporary failure. The dropped read is looked at
// first (c.last): it holds the end of the long line and maybe the end of
// data; no end of a line comes before the point where the line grew too
// long, so it is read as the middle of a line.
func (c *conn) skipData(max int64) bool {
	const (
		inLine = iota
		lineStart
		dot   // "." at the start of a line
		dotCR // ".\r"
	)
	state := inLine
	scan := func(p []byte) bool {
		for _, b := range p {
			switch {
			case b == '\n' && (state == dot || state == dotCR):
				return true
			case b == '\n':
				state = lineStart
			case b == '.' && state == lineStart:
				state = dot
			case b == '\r' && state == dot:
				state = dotCR
			default:
				state = inLine
			}
		}
		return false
	}
	if scan(c.last) {
		return true
	}
	buf := make([]byte, 32<<10)
	for read := int64(0); read < max; {
		n, err := c.Read(buf)
		read += int64(n)
		if scan(buf[:n]) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// lostClient reports whether a read from the client has failed. go-smtp
// v0.26.0 copies a BDAT chunk with io.Copy from an io.LimitReader, so a
// chunk cut short by the client's end of stream reads as complete, and
// after BDAT LAST the message would look whole; a failed read tells.
func (c *conn) lostClient() bool { return c.cut.Load() }

// arm sets the deadline for the next read and reports true, or reports
// false, having said goodbye, when the session is to end for a shutdown.
// The deadline is set under c.mu so that shutdown's wake-up cannot be
// overwritten.
func (c *conn) arm() bool {
	c.mu.Lock()
	leave := c.closing && !c.busy
	bye := leave && !c.saidBye
	if leave {
		c.saidBye = true
	} else {
		c.Conn.SetReadDeadline(time.Now().Add(c.srv.opts.Timeout))
	}
	c.mu.Unlock()
	if bye {
		c.Conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		e := errShuttingDown
		fmt.Fprintf(c.Conn, "%d %d.%d.%d %s %s\r\n", e.Code, e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2],
			c.srv.opts.Hostname, e.Message)
	}
	return !leave
}

// setBusy marks a transaction open or finished. When one finishes during
// a shutdown, a read already waiting is woken to end the session.
func (c *conn) setBusy(busy bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = busy
	if !busy && c.closing {
		c.Conn.SetReadDeadline(time.Now())
	}
}

// shutdown asks the session to end at its next read between
// transactions, waking a read that waits for a command.
func (c *conn) shutdown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	if !c.busy {
		c.Conn.SetReadDeadline(time.Now())
	}
}

// Close closes the connection; go-smtp calls it once the session ends.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		close(c.done)
		c.srv.ended(c)
	})
	return err
}

// remote describes the client for logs and the Received line.
func (c *conn) remote() string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.String()
	}
	return "local"
}

// feed hands connections to go-smtp's Server.Serve, which wants a
// net.Listener: the Server accepts them itself (Serve, ServeConn).
type feed struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newFeed() *feed { return &feed{ch: make(chan net.Conn), closed: make(chan struct{})} }

// push gives c to go-smtp; false means the feed is closed.
func (f *feed) push(c net.Conn) bool {
	select {
	case f.ch <- c:
		return true
	case <-f.closed:
		return false
	}
}

// Accept returns the next connection pushed.
func (f *feed) Accept() (net.Conn, error) {
	select {
	case c := <-f.ch:
		return c, nil
	case <-f.closed:
		return nil, net.ErrClosed
	}
}

// Close stops the feed.
func (f *feed) Close() error {
	f.close()
	return nil
}

func (f *feed) close() { f.once.Do(func() { close(f.closed) }) }

// Addr is a placeholder: the feed listens nowhere.
func (f *feed) Addr() net.Addr { return feedAddr{} }

type feedAddr struct{}

func (feedAddr) Network() string { return "lmtp" }
func (feedAddr) String() string  { return "lmtp" }
