package gateway

import (
	"cmp"
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

// InvokerOnly tells whether the peer of a connection from StdioConn can
// only be the user who started this process, as a PREAUTH of that user
// ("stdio" preauth, --preauth, -i on a terminal) needs: a pipe or a
// terminal, or a Unix-domain socket whose peer runs as the same uid (ssh,
// a mail client's tunnel command). A network socket (inetd's), or a Unix
// socket of another uid, is anyone's; why says who it is then.
func InvokerOnly(c net.Conn) (ok bool, why string) {
	switch c := c.(type) {
	case *pipeConn:
		return true, ""
	case *net.UnixConn:
		raw, err := c.SyscallConn()
		if err != nil {
			return false, "a Unix-domain socket whose peer cannot be told: " + err.Error()
		}
		var cred *unix.Ucred
		cerr := raw.Control(func(fd uintptr) {
			cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		})
		if cerr != nil || err != nil {
			return false, fmt.Sprintf("a Unix-domain socket whose peer cannot be told: %v", cmp.Or(cerr, err))
		}
		if int(cred.Uid) != os.Getuid() {
			return false, fmt.Sprintf("a Unix-domain socket of uid %d", cred.Uid)
		}
		return true, ""
	default:
		return false, "a network connection from " + c.RemoteAddr().String()
	}
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

// SetDeadline and friends work when the pipe or terminal supports
// deadlines; otherwise they return an error wrapping os.ErrNoDeadline and
// the session has no timeout (and waits for IDLE news another way).
func (p *pipeConn) SetDeadline(t time.Time) error {
	rerr := p.SetReadDeadline(t)
	if err := p.SetWriteDeadline(t); err != nil {
		return err
	}
	return rerr
}
func (p *pipeConn) SetReadDeadline(t time.Time) error  { return p.r.SetReadDeadline(t) }
func (p *pipeConn) SetWriteDeadline(t time.Time) error { return p.w.SetWriteDeadline(t) }

type stdioAddr struct{}

func (stdioAddr) Network() string { return "stdio" }
func (stdioAddr) String() string  { return "stdio" }

var _ io.ReadWriteCloser = (*pipeConn)(nil)
