package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/sys/unix"
)

// The control protocol, spoken on a unix socket in the data directory
// between a running daemon and the administration commands ("mailgate
// blocks", "mailgate who", ...). It is line-based and tiny, so that each
// command is one more verb:
//
//	request = verb *(TAB argument) LF
//	reply   = *(row) (ok / error)
//	row     = "*" 1*(TAB field) LF
//	ok      = "OK" [TAB text] LF
//	error   = "ERR" TAB text LF
//
// A connection may carry several requests, one after the other. Verbs,
// arguments and fields hold no TAB, CR or LF; lines are at most
// maxControlLine bytes.
//
// Verbs:
//
//	blocks                 one row per block in force: address, user ("" for
//	                       the whole address), until (RFC 3339), failures,
//	                       the user names tried (comma-separated)
//	unblock ADDRESS [USER] lift the blocks of ADDRESS (of USER alone when
//	                       given); ADDRESS "*" lifts every block. OK's text
//	                       is the number of blocks lifted.
//
// and those of controlops.go (who, kick, reload, stop, auth-test,
// mailbox-status, mailbox-resync).

// ControlSocketName is the control socket's name in the data directory.
const ControlSocketName = "control"

// maxControlLine bounds a control request line.
const maxControlLine = 4096

// ControlSocket returns the path of the control socket of a daemon whose
// data directory is dataDir.
func ControlSocket(dataDir string) string { return filepath.Join(dataDir, ControlSocketName) }

// control serves the control socket.
type control struct {
	g    *Gateway
	ln   *net.UnixListener
	path string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// listenControl creates the control socket, mode 0600. A socket left by a
// daemon that died is replaced; one that a running daemon answers on is
// not.
func (g *Gateway) listenControl() (*control, error) {
	path := ControlSocket(g.conf().DataDir)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("control socket %s: a file that is not a socket is in the way", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s: another mailgate daemon uses this data directory", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket %s: removing a stale one: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Until this chmod the socket has the umask's mode; SO_PEERCRED
	// refuses other users in that moment as at any other.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	return &control{g: g, ln: ln, path: path, conns: map[net.Conn]struct{}{}}, nil
}

// serve accepts control connections until Close.
func (c *control) serve() {
	for {
		conn, err := c.ln.AcceptUnix()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			conn.Close()
			return
		}
		c.conns[conn] = struct{}{}
		c.mu.Unlock()
		go func() {
			defer func() {
				if p := recover(); p != nil {
					// A bug in one request must not end the daemon.
					c.g.log.Error("mailgate: control request failed", "panic", p, "stack", string(debug.Stack()))
					conn.Write([]byte("ERR\tinternal error; see the daemon's log\n"))
				}
				c.mu.Lock()
				delete(c.conns, conn)
				c.mu.Unlock()
				conn.Close()
			}()
			c.serveConn(conn)
		}()
	}
}

// Close stops the control socket, removes it and ends its connections.
func (c *control) Close() {
	c.mu.Lock()
	c.closed = true
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.ln.Close()
}

// serveConn answers the requests of one connection from the daemon's own
// user or root.
func (c *control) serveConn(conn *net.UnixConn) {
	uid, err := peerUID(conn)
	if err != nil || (uid != 0 && uid != os.Geteuid()) {
		c.g.log.Warn("mailgate: control connection refused", "uid", uid, "err", err)
		// The request is read first (and ignored), so that the client's
		// write does not meet a closed socket before it reads the refusal.
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		bufio.NewReaderSize(conn, maxControlLine).ReadSlice('\n')
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte("ERR\tpermission denied: only root and the daemon's user may use the control socket\n"))
		return
	}
	r := bufio.NewReaderSize(conn, maxControlLine)
	w := bufio.NewWriter(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			w.WriteString("ERR\trequest line too long\n")
			w.Flush()
			return
		}
		if err != nil {
			return
		}
		fields := strings.Split(strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), "\t")
		c.g.log.Info("mailgate: control request", "request", logged(fields[0], fields[1:]), "uid", uid)
		after := c.do(w, fields[0], fields[1:])
		conn.SetWriteDeadline(time.Now().Add(time.Minute))
		err = w.Flush()
		if after != nil {
			after()
		}
		if err != nil {
			return
		}
	}
}

// do answers one request on w. What it returns, when not nil, is done
// once the answer is sent.
func (c *control) do(w *bufio.Writer, verb string, args []string) (after func()) {
	fail := func(format string, a ...any) { fmt.Fprintf(w, "ERR\t"+format+"\n", a...) }
	if after, ok := c.doOps(w, verb, args); ok {
		return after
	}
	switch verb {
	case "blocks":
		if len(args) != 0 {
			fail("usage: blocks")
			return
		}
		for _, b := range c.g.throttle.Blocks() {
			writeRow(w, b.Addr.String(), b.User, b.Until.UTC().Format(time.RFC3339), strconv.Itoa(b.Failures), strings.Join(b.Users, ","))
		}
		w.WriteString("OK\n")
	case "unblock":
		if len(args) < 1 || len(args) > 2 {
			fail("usage: unblock ADDRESS [USER], or unblock *")
			return
		}
		var addr netip.Addr
		if args[0] != "*" {
			var err error
			if addr, err = netip.ParseAddr(args[0]); err != nil {
				fail("%q is not an IP address", args[0])
				return
			}
		} else if len(args) == 2 {
			fail("unblock * takes no user name")
			return
		}
		user := ""
		if len(args) == 2 {
			if user = args[1]; user == "" {
				fail("empty user name")
				return
			}
		}
		fmt.Fprintf(w, "OK\t%d\n", c.g.throttle.Unblock(addr, user))
	default:
		fail("unknown request %q", verb)
	}
	return nil
}

// writeRow writes one row of a reply, its fields cleaned of what would
// break the line or reach the administrator's terminal as control
// sequences: a session process (its user) names the selected mailbox.
func writeRow(w *bufio.Writer, fields ...string) {
	w.WriteByte('*')
	for _, f := range fields {
		w.WriteByte('\t')
		w.WriteString(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, f))
	}
	w.WriteByte('\n')
}

// peerUID returns the user id of the process at the other end of conn.
func peerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if credErr != nil {
		return -1, fmt.Errorf("SO_PEERCRED: %w", credErr)
	}
	return int(cred.Uid), nil
}

// ControlError is a request the daemon refused: its ERR text.
type ControlError struct{ Text string }

func (e *ControlError) Error() string { return e.Text }

// ControlRequest sends one request to the daemon's control socket at
// path and returns the rows of its reply and the text of its OK. A
// refusal is a *ControlError; a daemon that cannot be reached is an error
// saying so. Nothing is sent to a socket whose process is neither root's
// nor the caller's user's (SO_PEERCRED).
func ControlRequest(path, verb string, args ...string) (rows [][]string, text string, err error) {
	for _, f := range append([]string{verb}, args...) {
		if strings.ContainsAny(f, "\t\r\n") {
			return nil, "", fmt.Errorf("%q: a control request cannot hold tabs or line breaks", f)
		}
	}
	conn, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, "", fmt.Errorf("cannot reach the daemon's control socket (is mailgate running with this configuration?): %w", err)
	}
	defer conn.Close()
	// Whoever answers hears the request (auth-test's holds a password):
	// it must be a daemon of root or of the caller's own user, not a
	// socket that someone else put in the data directory.
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, "", fmt.Errorf("control socket %s: not a unix socket", path)
	}
	if uid, err := peerUID(uc); err != nil {
		return nil, "", fmt.Errorf("control socket %s: %w", path, err)
	} else if uid != 0 && uid != os.Geteuid() && !daemonOwnsDir(uid, filepath.Dir(path)) {
		return nil, "", fmt.Errorf("control socket %s: answered by a process of uid %d, neither root nor you, in a directory that is not that user's alone; nothing was sent. Run the command as the daemon's user, or check who can write %s", path, uid, filepath.Dir(path))
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := strings.Join(append([]string{verb}, args...), "\t") + "\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return nil, "", fmt.Errorf("control socket %s: %w", path, err)
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), "\t")
		switch kind {
		case "*":
			rows = append(rows, strings.Split(rest, "\t"))
		case "OK":
			return rows, rest, nil
		case "ERR":
			return nil, "", &ControlError{Text: rest}
		default:
			return nil, "", fmt.Errorf("control socket %s: unexpected reply %q", path, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("control socket %s: %w", path, err)
	}
	return nil, "", fmt.Errorf("control socket %s: the daemon closed the connection without an answer", path)
}

// daemonOwnsDir reports whether root may talk to a daemon of uid whose
// control socket is in dir: dir is uid's and nobody else may write it,
// so the socket is that daemon's (a daemon run as its own user, whose
// data directory root names with --config), not one planted by another
// user. Only root is given this: any other caller talks to root's
// daemons and its own.
func daemonOwnsDir(uid int, dir string) bool {
	if os.Geteuid() != 0 {
		return false
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid && st.Mode&0o022 == 0
}
