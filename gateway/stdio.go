package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// StdioConn returns a connection on standard input and output, for inetd
// mode. When fd 0 is a socket it is used as one; otherwise (a pipe, a
// terminal) the two files are wrapped as they are. net.FileConn is not
// tried on a pipe: it would set O_NONBLOCK on the shared file description
// before failing, and later blocking reads of stdin would then fail.
func StdioConn() (net.Conn, error) {
	var st unix.Stat_t
	if err := unix.Fstat(0, &st); err != nil {
		return nil, fmt.Errorf("standard input: %w", err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		c, err := net.FileConn(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("standard input is a socket but cannot be used: %w", err)
		}
		return c, nil
	}
	return &pipeConn{r: os.Stdin, w: os.Stdout}, nil
}

// pipeConn is a net.Conn over two files.
type pipeConn struct {
	r *os.File
	w *os.File
}

func (p *pipeConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p *pipeConn) Close() error {
	p.r.Close()
	return p.w.Close()
}
func (p *pipeConn) LocalAddr() net.Addr  { return stdioAddr{} }
func (p *pipeConn) RemoteAddr() net.Addr { return stdioAddr{} }

// SetDeadline and friends are best effort: a pipe or terminal may not
// support deadlines, and the session then simply has no timeout.
func (p *pipeConn) SetDeadline(t time.Time) error {
	p.SetReadDeadline(t)
	return p.SetWriteDeadline(t)
}
func (p *pipeConn) SetReadDeadline(t time.Time) error {
	if err := p.r.SetReadDeadline(t); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		return err
	}
	return nil
}
func (p *pipeConn) SetWriteDeadline(t time.Time) error {
	if err := p.w.SetWriteDeadline(t); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		return err
	}
	return nil
}

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }

var _ io.ReadWriteCloser = (*pipeConn)(nil)
