// Package server runs the IMAP servers that the benchmark compares, each
// as a child process on its own loopback port with its own configuration
// and data in a directory of its own: mailgate, Dovecot and GNU imap4d.
package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// Password is every benchmark account's password.
const Password = "bench-Secret-42"

// Server is one IMAP server under test.
type Server interface {
	// Name is the column name in the report: "mailgate", "dovecot", ...
	Name() string
	// Available returns a *SkipError when the server cannot run on this
	// machine (not installed), saying how to install it.
	Available() error
	// Setup writes the configuration and the account into dir, an empty
	// directory, and says where the mailbox's files go.
	Setup(ctx context.Context, dir string) (corpus.Target, error)
	// Start runs the server and returns once it greets on Addr. A server
	// that refuses its configuration for a reason that is not a failure
	// (a feature not built yet) gives a *SkipError.
	Start(ctx context.Context) error
	// Stop ends the server and every process it started.
	Stop() error
	Addr() string
	Username() string
	// PID is the server's main process, the root of its process tree.
	PID() int
	Version() string
	// Log is the end of what the server wrote to stdout and stderr.
	Log() string
}

// Inetd is a server that can also serve one session per process, started
// by inetd with the connection on its standard input and output (imap4d's
// default operation mode, and mailgate's -i).
type Inetd interface {
	// InetdCommand is the program and arguments of such a process.
	InetdCommand() (string, []string)
}

// SkipError says why a server is skipped.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return e.Reason }

// IsSkip tells whether err means "skipped".
func IsSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}

// FreePort finds a free loopback TCP port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// process is a started server: its command, its output and its address.
type process struct {
	name string
	addr string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
	err  error
}

// startProcess runs argv in its own process group and waits until addr
// answers with an IMAP greeting, the process exits, or timeout passes.
func startProcess(ctx context.Context, name, addr string, env []string, dir string, argv ...string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	out := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, argv[0], err)
	}
	p := &process{name: name, addr: addr, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited at start (%v):\n%s", name, p.err, out.String())
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		if greets(addr) {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not greet on %s within 30s:\n%s", name, addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greets tells whether an IMAP server answers on addr.
func greets(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return false
	}
	c.Write([]byte("z LOGOUT\r\n"))
	return strings.HasPrefix(line, "* OK") || strings.HasPrefix(line, "* PREAUTH")
}

// stop sends SIGTERM to the process group, then SIGKILL after a grace
// period, and also kills any descendant that left the group.
func (p *process) stop() error {
	if p == nil {
		return nil
	}
	pid := p.cmd.Process.Pid
	kids := Tree(pid)
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
	// Children that outlive the main process (sessions of a forking
	// daemon) are ended too; they are ours.
	for _, k := range kids {
		if k != pid && alive(k) {
			syscall.Kill(k, syscall.SIGKILL)
		}
	}
	syscall.Kill(-pid, syscall.SIGKILL)
	return nil
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func (p *process) pid() int {
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *process) log() string {
	if p == nil {
		return ""
	}
	return p.out.String()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// runOutput runs a short command and returns its combined output.
func runOutput(ctx context.Context, stdin string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, out)
	}
	return string(out), nil
}

// mailUser is the owner that servers which refuse root (Dovecot) use for
// mail: nobody when running as root, else the current user.
func mailUser() (uid, gid int) {
	if os.Geteuid() != 0 {
		return os.Getuid(), os.Getgid()
	}
	uid, gid = 65534, 65534
	if u, err := user.Lookup("nobody"); err == nil {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	return uid, gid
}
