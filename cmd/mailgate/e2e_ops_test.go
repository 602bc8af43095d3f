package main_test

// End-to-end tests of the operations side: the login throttle's control
// commands, config check against the daemon, and where logs go.

import (
	"bufio"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// syslogListener stands in for /dev/log: mailgate writes its syslog
// records there when MAILGATE_TEST_SYSLOG_SOCKET names it.
type syslogListener struct {
	t    *testing.T
	path string
	conn *net.UnixConn
	recs chan string
}

func listenSyslog(t *testing.T) *syslogListener {
	t.Helper()
	// A short path: unix socket names are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "mgsl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &syslogListener{t: t, path: filepath.Join(dir, "log"), recs: make(chan string, 1000)}
	s.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := s.conn.Read(buf)
			if err != nil {
				close(s.recs)
				return
			}
			s.recs <- string(buf[:n])
		}
	}()
	return s
}

func (s *syslogListener) env() string { return "MAILGATE_TEST_SYSLOG_SOCKET=" + s.path }

// waitFor returns the first record containing want, failing the test when
// none comes within 10 seconds; the records before it are returned too.
func (s *syslogListener) waitFor(want string) (rec string, before []string) {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r, ok := <-s.recs:
			if !ok {
				s.t.Fatalf("syslog closed before %q; got %q", want, before)
			}
			if strings.Contains(r, want) {
				return r, before
			}
			before = append(before, r)
		case <-timeout:
			s.t.Fatalf("no syslog record with %q within 10s; got %q", want, before)
		}
	}
}

// TestUnblockCommand: an address blocked by failed logins is listed by
// "mailgate blocks" and let in again by "mailgate unblock ADDRESS" without
// a restart (issue 8, item 10).
func TestUnblockCommand(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "[auth]\nlogin-failure-limit = 2\naddress-failure-limit = 2\nlogin-delay = \"1ms\"\nlogin-max-delay = \"1ms\"\n", "")
	mg := func(args ...string) result {
		t.Helper()
		r := runMailgate(t, 10*time.Second, "", append([]string{"--config", d.cfg.path}, args...)...)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	if r := mg("blocks"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no logins are blocked") {
		t.Errorf("blocks before any failure: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	c := dialIMAP(t, d.addr)
	c.line(5 * time.Second)
	for i := 0; i < 2; i++ {
		if l := c.cmd("f", "LOGIN mailgate wrong"); !strings.HasPrefix(l[len(l)-1], "f NO") {
			t.Fatalf("wrong password: %q", l)
		}
	}
	login := func(tag string) string {
		t.Helper()
		l := c.cmd(tag, "LOGIN mailgate "+quoted(d.password))
		return l[len(l)-1]
	}
	if l := login("r"); !strings.HasPrefix(l, "r NO") {
		t.Fatalf("the right password while blocked: %q, want NO", l)
	}
	r := mg("blocks")
	if r.code != 0 || !regexp.MustCompile(`(?m)^127\.0\.0\.1 +(\*|mailgate) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+`).MatchString(r.stdout) {
		t.Errorf("blocks: exit %d, stdout %q, stderr %q; want a row for 127.0.0.1", r.code, r.stdout, r.stderr)
	}
	if r := mg("unblock", "127.0.0.1"); r.code != 0 || !strings.Contains(r.stdout, "lifted") {
		t.Fatalf("unblock 127.0.0.1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// A new connection: the old one may have reached max-auth-failures.
	c = dialIMAP(t, d.addr)
	c.line(5 * time.Second)
	if l := login("s"); !strings.HasPrefix(l, "s OK") {
		t.Errorf("the right password after unblock: %q", l)
	}
	if r := mg("blocks"); r.code != 0 || r.stdout != "" {
		t.Errorf("blocks after unblock: exit %d, stdout %q", r.code, r.stdout)
	}
	if r := mg("unblock", "127.0.0.1"); r.code != 1 || !strings.Contains(r.stderr, "no block was in force") {
		t.Errorf("unblock with nothing blocked: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := mg("unblock", "--all"); r.code != 0 {
		t.Errorf("unblock --all: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"unblock"}, {"unblock", "--bogus"}, {"unblock", "a", "b", "c"}, {"blocks", "x"}} {
		if r := mg(args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("%q: exit %d, stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}
	if r := mg("unblock", "not-an-address"); r.code != 1 || !strings.Contains(r.stderr, "is not an IP address") {
		t.Errorf("unblock not-an-address: exit %d, stderr %q", r.code, r.stderr)
	}
	d.stop(5 * time.Second)
	// No daemon: the command says so.
	if r := mg("blocks"); r.code != 1 || !strings.Contains(r.stderr, "is mailgate running") {
		t.Errorf("blocks without a daemon: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestConfigCheckIsTheDaemonsCheck: what the daemon refuses at start,
// config check and --config-lint refuse too, all three with exit status
// 78 and the file and line of each problem (issue 8, item 28).
func TestConfigCheckIsTheDaemonsCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	writeFile(garbage, "not a certificate\n")
	// imap4d 3.15 refuses a 0644 key with "Group readable file"; so does
	// the daemon, at start, with the key's line.
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, keyPEM := tlsmgrtest.NewCA(t, "test CA").Issue(t, "mail.example.org", x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, cert, certPEM, 0o644)
	tlsmgrtest.WriteFile(t, key, keyPEM, 0o644)
	for _, tc := range []struct {
		name, server, top string
		want              []string // file:line: key of each problem
	}{
		{"tls-mode without a certificate", "tls-mode = \"connection\"\n", "", []string{":5: server.tls-mode"}},
		{"certificate missing", "tls-mode = \"ondemand\"\n",
			"[tls]\ncertificate-file = \"/nonexistent/cert.pem\"\nkey-file = \"/nonexistent/key.pem\"\n",
			[]string{":3: tls.certificate-file", ":4: tls.key-file"}},
		{"certificate does not parse", "tls-mode = \"ondemand\"\n",
			"[tls]\ncertificate-file = " + quoted(garbage) + "\nkey-file = " + quoted(garbage) + "\n",
			[]string{":3: tls.certificate-file"}},
		{"key group readable", "tls-mode = \"connection\"\n",
			"[tls]\ncertificate-file = " + quoted(cert) + "\nkey-file = " + quoted(key) + "\n",
			[]string{":4: tls.key-file: " + key + ": Group readable file (tls-file-checks grdfil)"}},
		{"an LMTP socket group that does not exist", "", "[lmtp]\nlisten = [\"127.0.0.1:2424\"]\nsocket-group = \"no-such-group-mailgate\"\n", []string{":4: lmtp.socket-group: no group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, freeAddr(t), tc.top, tc.server)
			for _, args := range [][]string{
				{"config", "check", cfg.path},
				{"--config", cfg.path, "--config-lint"},
				{"--config", cfg.path, "-d", "--foreground"},
			} {
				r := runMailgate(t, 20*time.Second, "", args...)
				if r.err != nil {
					t.Fatalf("%q: %v", args, r.err)
				}
				if r.code != 78 {
					t.Errorf("%q: exit %d, want 78; stderr %q", args, r.code, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, cfg.path+w) {
						t.Errorf("%q: stderr %q does not say %s%s", args, r.stderr, cfg.path, w)
					}
				}
			}
		})
	}
}

// TestInetdLogsStayOutOfSession: inetd passes the client's socket as fds
// 0, 1 and 2. Nothing but IMAP reaches the client; the log lines go to
// syslog (issue 8, item 26).
func TestInetdLogsStayOutOfSession(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	const password = "inetd pw"
	if r := runMailgate(t, 10*time.Second, password+"\n", "--config", cfg.path, "user", "add", "dana", "--password-stdin"); r.code != 0 {
		t.Fatalf("user add: %v %s", r.err, r.stderr)
	}
	for _, withSyslog := range []bool{true, false} {
		name := "with syslog"
		if !withSyslog {
			name = "without syslog"
		}
		t.Run(name, func(t *testing.T) {
			var sl *syslogListener
			env := []string{"MAILGATE_TEST_SYSLOG_SOCKET=" + filepath.Join(t.TempDir(), "none")}
			if withSyslog {
				sl = listenSyslog(t)
				env = []string{sl.env()}
			}
			conn, _, exited := startInetd(t, nil, env, "--config", cfg.path, "-i")
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			// A failed login, a good one and a mailbox: each is logged.
			in := "a LOGIN dana wrong\r\nb LOGIN dana " + quoted(password) + "\r\nc SELECT INBOX\r\nd LOGOUT\r\n"
			if _, err := conn.Write([]byte(in)); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(conn)
			var lines []string
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			imapLine := regexp.MustCompile(`^(\* |\+ |[abcd] (OK|NO|BAD) )`)
			for _, l := range lines {
				if !imapLine.MatchString(l) {
					t.Errorf("the client received a line that is not IMAP: %q", l)
				}
			}
			if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "d OK") {
				t.Errorf("the session did not end with LOGOUT's OK: %q", lines)
			}
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				t.Fatal("mailgate did not exit after LOGOUT")
			}
			if withSyslog {
				sl.waitFor("logged in")
			}
		})
	}
}

// TestLogFileReopenOnSIGHUP: with a log file, SIGHUP after logrotate's
// rename makes the daemon write to a new file of the same name (issue 8,
// item 27).
func TestLogFileReopenOnSIGHUP(t *testing.T) {
	t.Parallel()
	logDir := t.TempDir()
	logPath := filepath.Join(logDir, "mailgate.log")
	d := startDaemon(t, "[logging]\ndestination = "+quoted(logPath)+"\n", "")
	waitFile := func(path, want string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), want) {
				return string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has no %q within 10s:\n%s", path, want, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFile(logPath, "mailgate: listening")
	if strings.Contains(d.stderr.String(), "level=") {
		t.Errorf("log lines on standard error with a log file:\n%s", d.stderr.String())
	}
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFile(logPath, "log file reopened")
	c := dialIMAP(t, d.addr)
	c.line(5 * time.Second)
	c.cmd("a", "LOGIN nobody-here wrong")
	waitFile(logPath, "login failed")
	d.stop(5 * time.Second)
	old, _ := os.ReadFile(logPath + ".1")
	if !strings.Contains(string(old), "mailgate: listening") || strings.Contains(string(old), "login failed") {
		t.Errorf("the rotated file:\n%s", old)
	}
}

// TestDetachedDaemonLogsToSyslog: a daemon that detaches has no standard
// error; its logs go to syslog (issue 8, item 27).
func TestDetachedDaemonLogsToSyslog(t *testing.T) {
	t.Parallel()
	sl := listenSyslog(t)
	cfg := writeConfig(t, freeAddr(t), "foreground = false\n[logging]\nsyslog-facility = \"local5\"\n", "")
	cmd := exec.Command(mailgateBin, "--config", cfg.path, "-d")
	cmd.Env = append(os.Environ(), sl.env())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mailgate -d: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`running in the background as process (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("mailgate -d printed %q", out)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	child, _ := os.FindProcess(pid)
	t.Cleanup(func() { child.Signal(syscall.SIGKILL) })
	rec, _ := sl.waitFor("mailgate: listening")
	// local5 is facility 21; info is severity 6.
	if !strings.HasPrefix(rec, "<174>") || !strings.Contains(rec, cfg.addr) {
		t.Errorf("syslog record %q, want <174> and the address %s", rec, cfg.addr)
	}
	child.Signal(syscall.SIGTERM)
	sl.waitFor("mailgate: stopped")
}
