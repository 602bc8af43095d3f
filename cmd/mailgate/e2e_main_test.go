package main_test

// End-to-end tests of the mailgate binary: TestMain builds it once, and
// the helpers below run it as a daemon on a loopback port, as an inetd
// session on pipes, or as an administration command, always with bounded
// timeouts.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mailgateBin is the binary TestMain built.
var mailgateBin string

func TestMain(m *testing.M) {
	if spec := os.Getenv(stealEnv); spec != "" {
		// This test binary, run as a user by a test (stealAsUser).
		os.Exit(stealControlSocket(spec))
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "mailgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	// Session processes run the binary with their users' uids.
	os.Chmod(dir, 0o755)
	mailgateBin = filepath.Join(dir, "mailgate")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	build := exec.CommandContext(ctx, "go", "build", "-o", mailgateBin, ".")
	build.Dir = packageDir()
	out, err := build.CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building mailgate: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// packageDir is the directory of this package: go test runs tests in it.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return wd
}

// testConfig describes a configuration file for one test.
type testConfig struct {
	dir     string // the test's directory
	path    string // the configuration file
	dataDir string // data-dir
	addr    string // the [[server]] address, if any
	// sharedUsers says that the users file exists already (another
	// daemon's): the daemon prints no first-run password to wait for.
	sharedUsers bool
	// wrapper, when set, runs the daemon: the command and its
	// arguments, before mailgate's path and arguments.
	wrapper []string
	// bin, when set, is the mailgate program the daemon runs, instead of
	// the one TestMain built.
	bin string
}

// writeConfig writes a configuration into a new temporary directory:
// data-dir there, the given top-level lines, and one [[server]] on addr
// when addr is not empty (with the given server lines).
func writeConfig(t testing.TB, addr, top, server string) *testConfig {
	t.Helper()
	dir := t.TempDir()
	c := &testConfig{dir: dir, path: filepath.Join(dir, "mailgate.toml"), dataDir: filepath.Join(dir, "data"), addr: addr}
	var b strings.Builder
	fmt.Fprintf(&b, "data-dir = %q\n", c.dataDir)
	b.WriteString(top)
	if !strings.HasSuffix(top, "\n") && top != "" {
		b.WriteString("\n")
	}
	if addr != "" {
		fmt.Fprintf(&b, "\n[[server]]\naddress = %q\n%s\n", addr, server)
	}
	if err := os.WriteFile(c.path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// inbox is the INBOX maildir of user name with the default layout.
func (c *testConfig) inbox(name string) string {
	return filepath.Join(c.dataDir, name, "INBOX")
}

// result is what a finished mailgate command did.
type result struct {
	stdout, stderr string
	code           int
	err            error // a failure to run or a timeout
}

// runMailgate runs the binary with args and stdin, waiting at most
// timeout.
func runMailgate(t *testing.T, timeout time.Duration, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, mailgateBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: -1}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
	}
	var ee *exec.ExitError
	if ctx.Err() != nil {
		r.err = fmt.Errorf("mailgate %s: timed out after %v", strings.Join(args, " "), timeout)
	} else if err != nil && !errors.As(err, &ee) {
		r.err = err
	}
	return r
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// lockedBuffer collects a process's standard error for several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is a mailgate running in daemon mode.
type daemon struct {
	t        testing.TB
	cfg      *testConfig
	cmd      *exec.Cmd
	addr     string
	password string // of the first-run user "mailgate"
	stderr   *lockedBuffer
	exited   chan struct{} // closed when the process has exited
	stopped  bool
}

var firstRunRE = regexp.MustCompile(`mailgate: first run: created user "mailgate" with password "([^"]*)" in `)

// startDaemon runs mailgate --config FILE [args] on a free loopback port
// with a fresh data directory, waits until it accepts connections and
// reads the first-run password. It retries with another port when the
// chosen one was taken in the meantime. The daemon is killed at the end of
// the test if the test did not stop it.
func startDaemon(t testing.TB, top, server string, args ...string) *daemon {
	t.Helper()
	var lastErr string
	for attempt := 0; attempt < 5; attempt++ {
		cfg := writeConfig(t, freeAddr(t), top, server)
		d, retry, err := tryStartDaemon(t, cfg, args)
		if err == nil {
			return d
		}
		lastErr = err.Error()
		if !retry {
			break
		}
	}
	t.Fatalf("starting the daemon: %s", lastErr)
	return nil
}

func tryStartDaemon(t testing.TB, cfg *testConfig, args []string) (d *daemon, retry bool, err error) {
	d = &daemon{t: t, cfg: cfg, addr: cfg.addr, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	argv := append([]string{cmp.Or(cfg.bin, mailgateBin), "--config", cfg.path}, args...)
	if len(cfg.wrapper) > 0 {
		argv = append(slices.Clone(cfg.wrapper), argv...)
	}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Stdin = nil
	d.cmd.Stdout = io.Discard
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, false, err
	}
	d.cmd.Stderr = pw
	if err := d.cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, false, err
	}
	pw.Close()
	passwordc := make(chan string, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			d.stderr.Write([]byte(line + "\n"))
			if m := firstRunRE.FindStringSubmatch(line); m != nil {
				passwordc <- m[1]
			}
		}
		pr.Close()
	}()
	// The closures keep their own pointer: d is a named result, which a
	// failed start sets to nil before the cleanup runs.
	started := d
	go func() {
		started.cmd.Wait()
		<-readerDone
		close(started.exited)
	}()
	t.Cleanup(func() {
		d := started
		select {
		case <-d.exited:
		default:
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("daemon stderr:\n%s", d.stderr.String())
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-d.exited:
			s := d.stderr.String()
			return nil, strings.Contains(s, "address already in use"), fmt.Errorf("mailgate exited early (%v):\n%s", d.cmd.ProcessState, s)
		default:
		}
		if d.password == "" {
			select {
			case d.password = <-passwordc:
			default:
			}
		}
		if d.password != "" || cfg.sharedUsers {
			c, err := net.DialTimeout("tcp", d.addr, time.Second)
			if err == nil {
				c.Close()
				return d, false, nil
			}
		}
		if time.Now().After(deadline) {
			d.cmd.Process.Kill()
			<-d.exited
			return nil, false, fmt.Errorf("mailgate did not listen on %s with a first-run password within 10s:\n%s", d.addr, d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks that the daemon exits 0 within limit.
func (d *daemon) stop(limit time.Duration) {
	d.t.Helper()
	if d.stopped {
		return
	}
	d.stopped = true
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(limit):
		d.cmd.Process.Kill()
		<-d.exited
		d.t.Fatalf("the daemon did not exit within %v of SIGTERM:\n%s", limit, d.stderr.String())
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		d.t.Errorf("the daemon exited with %d after SIGTERM, want 0 (%v after the signal):\n%s", code, time.Since(start), d.stderr.String())
	}
}

// imapConn is a raw IMAP client connection with a deadline on every read.
type imapConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialIMAP(t testing.TB, addr string) *imapConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &imapConn{t: t, conn: c, r: bufio.NewReader(c)}
}

// line reads one line (without CRLF) within timeout; "" and an error on
// failure.
func (c *imapConn) line(timeout time.Duration) (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	s, err := c.r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

func (c *imapConn) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("sending %q: %v", s, err)
	}
}

// cmd sends "tag command" and returns every line up to the tagged one.
func (c *imapConn) cmd(tag, command string) []string {
	c.t.Helper()
	c.send(tag + " " + command + "\r\n")
	var lines []string
	for {
		l, err := c.line(5 * time.Second)
		if err != nil {
			c.t.Fatalf("%s %s: %v after %q", tag, command, err, lines)
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			return lines
		}
	}
}

// quoted returns s as an IMAP quoted string.
func quoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

// checkLog fails the test for every warning or error mailgate logged.
func checkLog(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("mailgate logged: %s", line)
		}
	}
}
