package main_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite testdata/stdio.golden from the server's answers")

// versionPlaceholder stands for gateway.Version in the golden file.
const versionPlaceholder = "@VERSION@"

// mailgateVersion is what "mailgate --version" prints after "mailgate ".
func mailgateVersion(t *testing.T) string {
	t.Helper()
	r := runMailgate(t, 10*time.Second, "", "--version")
	if r.err != nil || r.code != 0 {
		t.Fatalf("--version: %v, exit %d, %s", r.err, r.code, r.stderr)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(r.stdout), "mailgate ")
	if !ok || v == "" || strings.ContainsAny(v, " \t\n") {
		t.Fatalf("--version printed %q, want \"mailgate VERSION\"", r.stdout)
	}
	return v
}

// stdioRun is a mailgate serving one session on pipes.
type stdioRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  *os.File // our end: write
	stdout *os.File // our end: read
	child  *os.File // the child's stdin read end, kept to inspect its flags
	stderr *lockedBuffer
	exited chan struct{}
}

// startStdio runs mailgate with args and its standard input and output on
// pipes. Environment entries in env are added.
func startStdio(t *testing.T, env []string, args ...string) *stdioRun {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &stdioRun{t: t, stdin: inW, stdout: outR, child: inR, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(mailgateBin, args...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = inR, outW, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
		inR.Close()
		inW.Close()
		outR.Close()
		if t.Failed() {
			t.Logf("mailgate stderr:\n%s", s.stderr.String())
		}
	})
	return s
}

func (s *stdioRun) write(in string) {
	s.t.Helper()
	s.stdin.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(s.stdin, in); err != nil {
		s.t.Fatalf("writing %q: %v", in, err)
	}
}

// readAll reads standard output until EOF, within timeout.
func (s *stdioRun) readAll(timeout time.Duration) string {
	s.t.Helper()
	s.stdout.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(s.stdout)
	if err != nil {
		s.t.Fatalf("reading the session's output: %v (so far %q)", err, b)
	}
	return string(b)
}

// wait waits at most timeout for the process to exit and returns its code.
func (s *stdioRun) wait(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Fatalf("mailgate %s did not exit within %v", strings.Join(s.cmd.Args[1:], " "), timeout)
		return -1
	}
}

// TestStdioTranscript compares a whole -i session with the golden file
// byte for byte. Run with -update to rewrite it.
func TestStdioTranscript(t *testing.T) {
	t.Parallel()
	version := mailgateVersion(t)
	cfg := writeConfig(t, "", `id-fields = ["name", "version"]`, "")
	s := startStdio(t, nil, "--config", cfg.path, "-i")
	s.write("a CAPABILITY\r\nb ID NIL\r\nc LOGOUT\r\n")
	out := s.readAll(10 * time.Second)
	if code := s.wait(5 * time.Second); code != 0 {
		t.Errorf("exit code %d after LOGOUT, want 0", code)
	}
	golden := filepath.Join("testdata", "stdio.golden")
	if *update {
		text := strings.ReplaceAll(out, quoted(version), quoted(versionPlaceholder))
		if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestStdioTranscript -update to create it)", err)
	}
	want := strings.ReplaceAll(string(b), versionPlaceholder, version)
	if out != want {
		t.Errorf("the session differs from %s (version %s)\n got: %q\nwant: %q\n%s", golden, version, out, want, firstDiff(out, want))
	}
	// The stdin pipe mailgate shared with us is left as it was: blocking.
	checkBlocking(t, s.child)
}

// firstDiff describes where two texts first differ.
func firstDiff(got, want string) string {
	gl, wl := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return fmt.Sprintf("first difference on line %d:\n got: %q\nwant: %q", i+1, g, w)
		}
	}
	return ""
}

// checkBlocking checks that f's open file description is not O_NONBLOCK:
// a parent (a shell, inetd) sharing mailgate's standard input would see
// its own reads fail with EAGAIN otherwise.
func checkBlocking(t *testing.T, f *os.File) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if ferr != nil {
		t.Fatal(ferr)
	}
	if flags&unix.O_NONBLOCK != 0 {
		t.Errorf("mailgate left its standard input O_NONBLOCK (flags %#o)", flags)
	}
}

// TestStdioEOF: at end of input a session ends at once with exit status
// 0, whatever state it is in, and does not spin while it waits.
func TestStdioEOF(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	// Create the users file first so that every case starts alike.
	if r := runMailgate(t, 10*time.Second, "pw\n", "--config", cfg.path, "user", "add", "bob", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %v %s", r.err, r.stderr)
	}
	for _, tc := range []struct{ name, input string }{
		{"nothing", ""},
		{"after a command", "a CAPABILITY\r\n"},
		{"logged in", "a LOGIN bob pw\r\nb SELECT INBOX\r\n"},
		{"in the middle of a line", "a CAPAB"},
		{"in the middle of a literal", "a LOGIN {5}\r\nbo"},
		{"in IDLE", "a LOGIN bob pw\r\nb SELECT INBOX\r\nc IDLE\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startStdio(t, nil, "--config", cfg.path, "-i")
			if tc.input != "" {
				s.write(tc.input)
			}
			start := time.Now()
			s.stdin.Close()
			out := s.readAll(10 * time.Second)
			code := s.wait(10 * time.Second)
			t.Logf("exited %v after the end of input", time.Since(start))
			if code != 0 {
				t.Errorf("exit code %d at end of input, want 0; output %q", code, out)
			}
			if !strings.HasPrefix(out, "* OK ") {
				t.Errorf("output %q does not start with a greeting", out)
			}
			if cpu := s.cmd.ProcessState.UserTime() + s.cmd.ProcessState.SystemTime(); cpu > 1500*time.Millisecond {
				t.Errorf("used %v of CPU for a short session", cpu)
			}
			checkBlocking(t, s.child)
		})
	}
}

// TestStdioIdleNoSpin: a session waiting for input does not use the CPU.
func TestStdioIdleNoSpin(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cfg := writeConfig(t, "", "", "")
	s := startStdio(t, nil, "--config", cfg.path, "-i")
	r := bufio.NewReader(s.stdout)
	s.stdout.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "* OK ") {
		t.Fatalf("greeting %q, %v", l, err)
	}
	time.Sleep(200 * time.Millisecond)
	before := cpuTicks(t, s.cmd.Process.Pid)
	time.Sleep(time.Second)
	after := cpuTicks(t, s.cmd.Process.Pid)
	// 100 ticks a second: more than 15 is 15% of a CPU while idle.
	if after-before > 15 {
		t.Errorf("an idle session used %d clock ticks in 1s", after-before)
	}
	s.stdin.Close()
	if code := s.wait(3 * time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// cpuTicks is utime+stime of pid from /proc.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name in parentheses.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	// utime and stime are fields 14 and 15, so 11 and 12 here.
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

// TestStdioSocket runs -i with a socket on standard input and output, as
// inetd starts it, and logs in.
func TestStdioSocket(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	const password = "sock pw"
	if r := runMailgate(t, 10*time.Second, password+"\n", "--config", cfg.path, "user", "add", "carol", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %v %s", r.err, r.stderr)
	}
	var stderr lockedBuffer
	conn, cmd, exited := startInetd(t, &stderr, nil, "--config", cfg.path, "-i")
	defer func() {
		if t.Failed() {
			t.Logf("mailgate stderr:\n%s", stderr.String())
		}
	}()
	c := &imapConn{t: t, conn: conn, r: bufio.NewReader(conn)}
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK [CAPABILITY IMAP4rev1 ") {
		t.Fatalf("greeting %q, %v", l, err)
	}
	if l := c.cmd("a", "LOGIN carol "+quoted(password)); !strings.HasPrefix(l[len(l)-1], "a OK ") {
		t.Fatalf("LOGIN: %q", l)
	}
	if l := c.cmd("b", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "b OK [READ-WRITE]") {
		t.Errorf("SELECT INBOX: %q", l)
	}
	l := c.cmd("c", "LOGOUT")
	if len(l) != 2 || !strings.HasPrefix(l[0], "* BYE") || !strings.HasPrefix(l[1], "c OK") {
		t.Errorf("LOGOUT: %q", l)
	}
	select {
	case <-exited:
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("mailgate did not exit after LOGOUT")
	}
}

// startInetd runs mailgate with args on a socket, as inetd starts it: the
// socket is fds 0 and 1, and fd 2 too when stderr is nil. env entries are
// added to the environment. It returns our end of the socket and the
// process; exited is closed when the process has exited. The process is
// killed at the end of the test if it still runs.
func startInetd(t *testing.T, stderr io.Writer, env []string, args ...string) (conn net.Conn, cmd *exec.Cmd, exited chan struct{}) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	conn, err = net.FileConn(ours)
	ours.Close()
	if err != nil {
		theirs.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	cmd = exec.Command(mailgateBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = theirs, theirs, theirs
	if stderr != nil {
		cmd.Stderr = stderr
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		t.Fatal(err)
	}
	exited = make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	return conn, cmd, exited
}

// TestPreauth: --preauth greets with PREAUTH as the invoking user and
// serves CAPABILITY and LOGOUT. Nothing is read from or written to that
// user's mail.
func TestPreauth(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	s := startStdio(t, []string{"HOME=" + t.TempDir()}, "--config", cfg.path, "--preauth")
	s.write("a CAPABILITY\r\nb LOGOUT\r\n")
	out := s.readAll(10 * time.Second)
	if code := s.wait(5 * time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5: %q", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "* PREAUTH [CAPABILITY IMAP4rev1 ") {
		t.Errorf("greeting %q, want * PREAUTH [CAPABILITY IMAP4rev1 ...]", lines[0])
	}
	if strings.Contains(lines[0], "AUTH=") || strings.Contains(lines[1], "AUTH=") {
		t.Errorf("a PREAUTH session offers AUTH= mechanisms: %q", lines[:2])
	}
	if !strings.HasPrefix(lines[1], "* CAPABILITY IMAP4rev1 ") || lines[2] != "a OK Completed" {
		t.Errorf("CAPABILITY: %q", lines[1:3])
	}
	if !strings.HasPrefix(lines[3], "* BYE") || lines[4] != "b OK Completed" {
		t.Errorf("LOGOUT: %q", lines[3:])
	}
}

// TestTestMode: --test greets "IMAP4rev1 Test mode" on a pipe and needs a
// login.
func TestTestMode(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	s := startStdio(t, nil, "--config", cfg.path, "--test")
	s.write("a SELECT INBOX\r\nb LOGOUT\r\n")
	out := s.readAll(10 * time.Second)
	if code := s.wait(5 * time.Second); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	if len(lines) < 1 || !strings.HasPrefix(lines[0], "* OK [CAPABILITY IMAP4rev1 ") || !strings.HasSuffix(lines[0], "] IMAP4rev1 Test mode") {
		t.Fatalf("greeting %q, want * OK [CAPABILITY ...] IMAP4rev1 Test mode", out)
	}
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "a BAD ") && !strings.HasPrefix(lines[1], "a NO ") {
		t.Errorf("SELECT before LOGIN: %q", lines[1:])
	}
}

// TestInetdEmptyUsersFile: an inetd session whose standard error is the
// client's socket makes no first user (there is nowhere safe to print its
// password): it creates the users file empty, logs once that it has no
// users, and refuses a LOGIN. With a user in the file, no such warning.
func TestInetdEmptyUsersFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile := filepath.Join(dir, "mailgate.log")
	cfg := writeConfig(t, "", fmt.Sprintf("[logging]\ndestination = %q\n", logFile), "")
	session := func(wantLogin string) {
		t.Helper()
		conn, _, exited := startInetd(t, nil, nil, "--config", cfg.path, "-i")
		c := &imapConn{t: t, conn: conn, r: bufio.NewReader(conn)}
		if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK ") {
			t.Fatalf("greeting %q, %v", l, err)
		}
		if l := c.cmd("a", "LOGIN dave "+quoted("pw dave")); !strings.HasPrefix(l[len(l)-1], wantLogin) {
			t.Errorf("LOGIN: %q, want %q", l, wantLogin)
		}
		c.cmd("b", "LOGOUT")
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Fatal("mailgate did not exit after LOGOUT")
		}
	}
	const warning = "the users file has no users"
	session("a NO ")
	if _, err := os.Stat(filepath.Join(cfg.dataDir, "users")); err != nil {
		t.Errorf("users file: %v", err)
	}
	log, _ := os.ReadFile(logFile)
	if n := strings.Count(string(log), warning); n != 1 {
		t.Errorf("%d warnings %q in the log, want 1:\n%s", n, warning, log)
	}
	if r := runMailgate(t, 10*time.Second, "pw dave\n", "--config", cfg.path, "user", "add", "dave", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %v %s", r.err, r.stderr)
	}
	session("a OK ")
	log, _ = os.ReadFile(logFile)
	if n := strings.Count(string(log), warning); n != 1 {
		t.Errorf("%d warnings %q in the log after a user was added, want still 1:\n%s", n, warning, log)
	}
}
