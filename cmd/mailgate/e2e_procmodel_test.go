package main_test

// The process model (issue 11 sections 1, 2 and 4): as root, the session
// of a user with a uid runs in a process of its own with that uid, in
// daemon mode and in inetd mode; the daemon counts those processes.

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
	"github.com/mailgate/mailgate/internal/needs"
	"github.com/mailgate/mailgate/tlsmgr/tlsmgrtest"
)

// systemUser is an account that a test made with useradd.
type systemUser struct {
	name, password, home string
	uid                  int
}

// newSystemUser creates a system account whose password chpasswd hashes as
// it does by default (yescrypt on Debian 12, which the pure-Go build
// verifies), with a home outside the test's private directories, and
// removes both when the test ends. It skips the test unless it runs as
// root with useradd.
func newSystemUser(t testing.TB) *systemUser {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the process model's privilege tests need root")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd (Debian's passwd package) is not installed")
	}
	b := make([]byte, 4)
	rand.Read(b)
	u := &systemUser{name: "mgp" + hex.EncodeToString(b), password: "pw-" + hex.EncodeToString(b)}
	base, err := os.MkdirTemp("", "mailgate-home-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	u.home = filepath.Join(base, u.name)
	if out, err := exec.Command("useradd", "-m", "-d", u.home, "-s", "/bin/false", u.name).CombinedOutput(); err != nil {
		os.RemoveAll(base)
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("userdel", "-f", u.name).Run()
		os.RemoveAll(base)
	})
	chpasswd := exec.Command("chpasswd")
	chpasswd.Stdin = strings.NewReader(u.name + ":" + u.password + "\n")
	if out, err := chpasswd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v\n%s", err, out)
	}
	out, err := exec.Command("id", "-u", u.name).Output()
	if err != nil {
		t.Fatal(err)
	}
	u.uid, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	return u
}

// systemAuth lets both the users file (the first-run user) and system
// accounts log in.
const systemAuth = "[auth]\nauthentication = [\"users-file\", \"system\"]\n"

// login logs c in and fails the test unless it succeeds.
func (c *imapConn) login(name, password string) {
	c.t.Helper()
	if l := c.cmd("a", "LOGIN "+quoted(name)+" "+quoted(password)); !strings.HasPrefix(l[len(l)-1], "a OK") {
		c.t.Fatalf("LOGIN %s: %q", name, l)
	}
}

// tagged reads lines up to the one tagged tag, and returns it.
func (c *imapConn) tagged(tag string) (string, error) {
	for {
		l, err := c.line(5 * time.Second)
		if err != nil || strings.HasPrefix(l, tag+" ") {
			return l, err
		}
	}
}

// greeted dials addr and reads the greeting.
func greeted(t testing.TB, addr string) *imapConn {
	t.Helper()
	c := dialIMAP(t, addr)
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK ") {
		t.Fatalf("greeting: %q, %v", l, err)
	}
	return c
}

// children returns the pids of pid's child processes.
func children(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

// sessions returns the session processes among pid's children: not a
// session process started ahead that waits for a session (warm, still
// with the daemon's identity).
func sessions(pid int) []int {
	var out []int
	for _, k := range children(pid) {
		if isWarm(k) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// isWarm reports whether process pid is a session process started ahead
// that has taken no session yet.
func isWarm(pid int) bool {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	return strings.Contains(string(cmdline), "--warm") && strings.Contains(string(status), "\nUid:\t0\t")
}

// waitChildren waits until pid has n session processes and returns them.
func waitChildren(t testing.TB, pid, n int) []int {
	t.Helper()
	var kids []int
	for i := 0; i < 250; i++ {
		if kids = sessions(pid); len(kids) == n {
			return kids
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d has children %v, want %d", pid, kids, n)
	return nil
}

// procStatus returns the fields of /proc/PID/status, or nil when the
// process has ended (a process started ahead that the daemon let go).
func procStatus(t testing.TB, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// checkRunsAs fails unless every uid of process pid (real, effective,
// saved, filesystem) is uid, and no_new_privs is set on every thread.
func checkRunsAs(t testing.TB, pid, uid int) {
	t.Helper()
	st := procStatus(t, pid)
	if st == nil {
		return // ended: nothing of it can run as anyone
	}
	for i, id := range strings.Fields(st["Uid"]) {
		if id == "0" || id != strconv.Itoa(uid) {
			t.Errorf("process %d: uid %d of %q is %s, want %d", pid, i, st["Uid"], id, uid)
		}
	}
	checkNoNewPrivs(t, pid)
}

// checkNoNewPrivs fails unless no_new_privs is set on every thread of
// process pid.
func checkNoNewPrivs(t testing.TB, pid int) {
	t.Helper()
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err == nil && !strings.Contains(string(b), "NoNewPrivs:\t1") {
			t.Errorf("process %d thread %s: no_new_privs is not set", pid, task.Name())
		}
	}
}

// TestSessionProcess: as root, a system user's session runs in a process
// of its own with the user's uid (never 0) and no way back to root; a
// users-file user without a uid stays in the daemon; IDLE in one session
// process sees an APPEND from another; killing a session process leaves
// the daemon serving; max-sessions-per-user counts across processes.
func TestSessionProcess(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, "max-sessions-per-user = 2\n"+systemAuth, "")
	pid := d.cmd.Process.Pid

	virtual := greeted(t, d.addr)
	virtual.login("mailgate", d.password)
	virtual.cmd("v", "SELECT INBOX")

	idler := greeted(t, d.addr)
	idler.login(u.name, u.password)
	if l := idler.cmd("b", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "b OK") {
		t.Fatalf("SELECT: %q", l)
	}
	kids := waitChildren(t, pid, 1)
	checkRunsAs(t, kids[0], u.uid)

	writer := greeted(t, d.addr)
	writer.login(u.name, u.password)
	waitChildren(t, pid, 2)

	// A third session of the user is over max-sessions-per-user, though
	// the other two live in other processes.
	third := greeted(t, d.addr)
	if l := third.cmd("a", "LOGIN "+quoted(u.name)+" "+quoted(u.password)); !strings.HasPrefix(l[len(l)-1], "a NO [LIMIT]") {
		t.Errorf("third session of the user: %q, want NO [LIMIT]", l)
	}

	idler.send("c IDLE\r\n")
	if l, err := idler.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	msg := "Subject: across processes\r\n\r\nhello\r\n"
	writer.send(fmt.Sprintf("w APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	start := time.Now()
	if l, err := writer.tagged("w"); err != nil || !strings.HasPrefix(l, "w OK") {
		t.Fatalf("APPEND: %q, %v", l, err)
	}
	if l, err := idler.line(3 * time.Second); err != nil || l != "* 1 EXISTS" {
		t.Fatalf("IDLE after another process's APPEND: %q, %v", l, err)
	}
	t.Logf("IDLE saw the other process's APPEND after %v", time.Since(start))
	idler.send("DONE\r\n")

	// Kill the writer's process mid-session: its client loses the
	// connection, the daemon serves on.
	for _, k := range children(pid) {
		if k != kids[0] {
			syscall.Kill(k, syscall.SIGKILL)
		}
	}
	if l, err := writer.line(5 * time.Second); err == nil {
		t.Errorf("after its session process was killed, the client read %q", l)
	}
	waitChildren(t, pid, 1)
	again := greeted(t, d.addr)
	again.login(u.name, u.password)
	if l := again.cmd("n", "NOOP"); !strings.HasPrefix(l[len(l)-1], "n OK") {
		t.Errorf("NOOP after a session process was killed: %q", l)
	}
	again.cmd("z", "LOGOUT")
	idler.cmd("z", "LOGOUT")
	virtual.cmd("z", "LOGOUT")
	waitChildren(t, pid, 0)
	d.stop(10 * time.Second)
	if _, err := os.Stat(filepath.Join(u.home, "Mail", "INBOX")); err != nil {
		t.Errorf("the user's INBOX: %v", err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(u.home, "Mail", "INBOX"), &st); err == nil && int(st.Uid) != u.uid {
		t.Errorf("INBOX belongs to uid %d, want the user's %d", st.Uid, u.uid)
	}
}

// TestSessionProcessMaxChildren: with -d2, two sessions in processes of
// their own hold both slots; the third connection hears BYE. SIGTERM then
// reaches the session processes' clients as BYE.
func TestSessionProcessMaxChildren(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, systemAuth, "", "-d2")
	pid := d.cmd.Process.Pid
	var open []*imapConn
	for len(open) < 2 {
		c := dialIMAP(t, d.addr)
		l, err := c.line(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l, "* OK ") {
			// The readiness probe's slot was not back yet.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		c.login(u.name, u.password)
		open = append(open, c)
	}
	waitChildren(t, pid, 2)
	c := dialIMAP(t, d.addr)
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* BYE ") {
		t.Errorf("third connection with -d2: %q, %v, want * BYE", l, err)
	}
	open[0].cmd("s", "SELECT INBOX")
	open[0].send("i IDLE\r\n")
	if l, err := open[0].line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	for i, c := range open {
		if l, err := c.line(10 * time.Second); err != nil || !strings.HasPrefix(l, "* BYE") {
			t.Errorf("session %d at SIGTERM: %q, %v, want * BYE", i, l, err)
		}
	}
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not exit after SIGTERM")
	}
	d.stopped = true
}

// TestInetdDropsRoot: "mailgate -i", started as root by a super-server
// with the client's socket as standard input and output (as inetd.conf's
// "imap4 stream tcp nowait root /usr/sbin/mailgate mailgate -i"), runs
// the session with the user's uid once the user has logged in, in a
// session process that it waits for.
func TestInetdDropsRoot(t *testing.T) {
	u := newSystemUser(t)
	cfg := writeConfig(t, "", systemAuth, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	started := make(chan *exec.Cmd, 1)
	go func() {
		// The super-server: accept one connection, run mailgate on it.
		c, err := ln.Accept()
		if err != nil {
			started <- nil
			return
		}
		f, _ := c.(*net.TCPConn).File()
		c.Close()
		cmd := exec.Command(mailgateBin, "--config", cfg.path, "-i")
		cmd.Stdin, cmd.Stdout = f, f
		if err := cmd.Start(); err != nil {
			started <- nil
			return
		}
		f.Close()
		started <- cmd
	}()
	c := greeted(t, ln.Addr().String())
	cmd := <-started
	if cmd == nil {
		t.Fatal("the super-server could not start mailgate -i")
	}
	defer cmd.Process.Kill()
	if st := procStatus(t, cmd.Process.Pid); !strings.HasPrefix(st["Uid"], "0\t") {
		t.Errorf("before login mailgate -i runs as %q, want root", st["Uid"])
	}
	c.login(u.name, u.password)
	c.cmd("s", "SELECT INBOX")
	// The inetd process stays root, waiting; the session goes on in a
	// process of its own.
	checkRunsAs(t, waitChildren(t, cmd.Process.Pid, 1)[0], u.uid)
	c.cmd("z", "LOGOUT")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("mailgate -i: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mailgate -i did not exit after LOGOUT")
	}
}

// TestSessionProcessTLS: over implicit TLS the daemon keeps the TLS
// session (its keys cannot move) and relays the plain bytes to the
// session process, which runs as the user; a large FETCH and LOGOUT pass
// through the relay whole.
func TestSessionProcessTLS(t *testing.T) {
	u := newSystemUser(t)
	ca := tlsmgrtest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, "mail.example.org", x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "cert.pem"), cert, 0o644)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "key.pem"), key, 0o600)
	d := startDaemon(t, systemAuth+"[tls]\ncertificate-file = "+quoted(filepath.Join(dir, "cert.pem"))+
		"\nkey-file = "+quoted(filepath.Join(dir, "key.pem"))+"\n", "tls-mode = \"connection\"\n")
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", d.addr,
		&tls.Config{RootCAs: ca.Pool(), ServerName: "mail.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	c := &imapConn{t: t, conn: tc, r: bufio.NewReader(tc)}
	if g, err := c.line(5 * time.Second); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q, %v", g, err)
	}
	// LOGIN and SELECT in one write: the SELECT that the daemon read
	// ahead reaches the session process.
	c.send("a LOGIN " + quoted(u.name) + " " + quoted(u.password) + "\r\nb SELECT INBOX\r\n")
	for {
		l, err := c.line(5 * time.Second)
		if err != nil {
			t.Fatalf("LOGIN and SELECT: %v", err)
		}
		if strings.HasPrefix(l, "a ") && !strings.HasPrefix(l, "a OK") {
			t.Fatalf("LOGIN: %q", l)
		}
		if strings.HasPrefix(l, "b ") {
			if !strings.HasPrefix(l, "b OK") {
				t.Fatalf("SELECT: %q", l)
			}
			break
		}
	}
	checkRunsAs(t, waitChildren(t, d.cmd.Process.Pid, 1)[0], u.uid)
	body := strings.Repeat("0123456789abcdef", 1<<14) // 256 KiB
	msg := "Subject: big\r\n\r\n" + body + "\r\n"
	c.send(fmt.Sprintf("c APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	if l, err := c.tagged("c"); err != nil || !strings.HasPrefix(l, "c OK") {
		t.Fatalf("APPEND: %q, %v", l, err)
	}
	c.send("d FETCH 1 BODY[TEXT]\r\n")
	l, err := c.line(5 * time.Second)
	if err != nil || !strings.HasSuffix(l, fmt.Sprintf("{%d}", len(body)+2)) {
		t.Fatalf("FETCH: %q, %v", l, err)
	}
	got := make([]byte, len(body)+2)
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c.r, got); err != nil || string(got) != body+"\r\n" {
		t.Fatalf("FETCH body: %v", err)
	}
	c.line(5 * time.Second)
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "d OK") {
		t.Fatalf("FETCH end: %q, %v", l, err)
	}
	if l := c.cmd("z", "LOGOUT"); !strings.HasPrefix(l[0], "* BYE") {
		t.Errorf("LOGOUT: %q", l)
	}
	waitChildren(t, d.cmd.Process.Pid, 0)
	d.stop(10 * time.Second)
}

// TestInetd: mailgate under a real inetd (Debian's openbsd-inetd), from
// the inetd.conf line imap4d's manual gives ("imap4 stream tcp nowait
// root /usr/sbin/mailgate mailgate -i"; here on a test port, with the
// test's binary and configuration): the session works, and runs as the
// user in a process of its own.
func TestInetd(t *testing.T) {
	inetd, err := exec.LookPath("/usr/sbin/inetd")
	if err != nil {
		needs.Missing(t, "no /usr/sbin/inetd (Debian's openbsd-inetd)")
	}
	u := newSystemUser(t)
	cfg := writeConfig(t, "", systemAuth, "")
	addr := freeAddr(t)
	conf := filepath.Join(cfg.dir, "inetd.conf")
	line := fmt.Sprintf("%s stream tcp nowait root %s mailgate -i --config %s\n", addr, mailgateBin, cfg.path)
	if err := os.WriteFile(conf, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(inetd, "-d", conf) // -d: in the foreground
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("inetd:\n%s", out.String())
		}
	})
	var c *imapConn
	for i := 0; ; i++ {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			break
		}
		if i == 250 {
			t.Fatalf("inetd does not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The probe above was a connection too: its mailgate -i ends on its own.
	c = greeted(t, addr)
	c.login(u.name, u.password)
	c.cmd("s", "SELECT INBOX")
	found := false
	for _, session := range children(cmd.Process.Pid) {
		for _, k := range children(session) {
			checkRunsAs(t, k, u.uid)
			found = true
		}
	}
	if !found {
		t.Errorf("no session process under inetd's mailgate -i")
	}
	if l := c.cmd("z", "LOGOUT"); !strings.HasPrefix(l[0], "* BYE") {
		t.Errorf("LOGOUT: %q", l)
	}
}

// TestHibernation: a session process that idles in IDLE past
// hibernate-after ends, leaving the connection with the daemon; another
// session's APPEND wakes it in a new process, which tells the client
// EXISTS in the same sequence numbers; DONE (and what the client sends
// with it) wakes it too and is answered; SIGTERM reaches a hibernated
// client as BYE. Over implicit TLS, where the daemon relays.
func TestHibernation(t *testing.T) {
	for _, tlsMode := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "tls"}[tlsMode], func(t *testing.T) {
			testHibernation(t, tlsMode)
		})
	}
}

func testHibernation(t *testing.T, useTLS bool) {
	u := newSystemUser(t)
	top, server := "hibernate-after = \"200ms\"\n"+systemAuth, ""
	var d *daemon
	dial := func() *imapConn { return greeted(t, d.addr) }
	if useTLS {
		var tlsTop, tlsServer string
		tlsTop, tlsServer, dial = implicitTLS(t, func() string { return d.addr })
		top, server = top+tlsTop, server+tlsServer
	}
	d = startDaemon(t, top, server)
	pid := d.cmd.Process.Pid
	c := dial()
	c.login(u.name, u.password)
	c.cmd("s", "SELECT INBOX")
	c.send("i IDLE\r\n")
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	waitChildren(t, pid, 0) // hibernated

	// A second session idling in the same mailbox, and a third that
	// opens it: the sessions hibernated there do not wake. (A session
	// process that opens a mailbox writes its bookkeeping files there;
	// that once woke every hibernated session in the mailbox, whose new
	// processes woke the others in turn, for ever.)
	c2 := dial()
	c2.login(u.name, u.password)
	c2.cmd("s", "SELECT INBOX")
	c2.send("i IDLE\r\n")
	if l, err := c2.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("second IDLE: %q, %v", l, err)
	}
	waitChildren(t, pid, 0)
	w := dial()
	w.login(u.name, u.password)
	w.cmd("s", "SELECT INBOX")
	for i := 0; i < 20; i++ {
		if k := sessions(pid); len(k) > 1 {
			t.Fatalf("another session's SELECT woke the hibernated sessions: processes %v", k)
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := "Subject: wake up\r\n\r\nhello\r\n"
	w.send(fmt.Sprintf("w APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	if l, err := w.tagged("w"); err != nil || !strings.HasPrefix(l, "w OK") {
		t.Fatalf("APPEND: %q, %v", l, err)
	}
	start := time.Now()
	if l, err := c.line(5 * time.Second); err != nil || l != "* 1 EXISTS" {
		t.Fatalf("hibernated IDLE after another session's APPEND: %q, %v", l, err)
	}
	t.Logf("woken by the APPEND, EXISTS after %v", time.Since(start))
	// The processes that took the woken sessions may have been started
	// ahead, as root: they run as the user now, with no way back; one
	// still waiting has no_new_privs on every thread.
	for _, k := range children(pid) {
		if isWarm(k) {
			checkNoNewPrivs(t, k)
		} else {
			checkRunsAs(t, k, u.uid)
		}
	}
	w.cmd("z", "LOGOUT")
	c.line(5 * time.Second) // * 1 RECENT
	waitChildren(t, pid, 0) // hibernated again

	start = time.Now()
	c.send("DONE\r\nn NOOP\r\n")
	if l, err := c.line(5 * time.Second); err != nil || l != "i OK Completed" {
		t.Fatalf("DONE to a hibernated IDLE: %q, %v", l, err)
	}
	t.Logf("woken by DONE, answered after %v", time.Since(start))
	if l, err := c.tagged("n"); err != nil || !strings.HasPrefix(l, "n OK") {
		t.Fatalf("NOOP sent with DONE: %q, %v", l, err)
	}
	if l := c.cmd("f", "FETCH 1 (FLAGS)"); !strings.Contains(l[0], "FETCH (FLAGS (") {
		t.Errorf("FETCH after waking: %q", l)
	}
	c.send("j IDLE\r\n")
	c.line(5 * time.Second)
	waitChildren(t, pid, 0)
	d.cmd.Process.Signal(syscall.SIGTERM)
	if l, err := c.line(10 * time.Second); err != nil || !strings.HasPrefix(l, "* BYE") {
		t.Errorf("hibernated session at SIGTERM: %q, %v, want * BYE", l, err)
	}
	select {
	case <-d.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not exit after SIGTERM")
	}
	d.stopped = true
}

// TestSessionProcessSIGHUP: as root, SIGHUP puts a changed configuration
// in force for new connections while a session in a process of its own
// and a hibernated one go on: the first answers NOOP, the second wakes
// for DONE, in a new process started under the new configuration.
// "mailgate kick" then reaches both, the hibernated one too.
func TestSessionProcessSIGHUP(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, "hibernate-after = \"200ms\"\n"+systemAuth, "")
	pid := d.cmd.Process.Pid
	busy := greeted(t, d.addr)
	busy.login(u.name, u.password)
	busy.cmd("s", "SELECT INBOX")
	sleeper := greeted(t, d.addr)
	sleeper.login(u.name, u.password)
	sleeper.cmd("s", "SELECT INBOX")
	sleeper.send("i IDLE\r\n")
	if l, err := sleeper.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	waitChildren(t, pid, 1) // the sleeper hibernated; busy's process stays

	text, err := os.ReadFile(d.cfg.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.cfg.path, []byte("login-disabled = true\n"+string(text)), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	if !d.waitLog("configuration reloaded") {
		t.Fatalf("no reload logged:\n%s", d.stderr.String())
	}
	fresh := dialIMAP(t, d.addr)
	if g, _ := fresh.line(5 * time.Second); !strings.Contains(g, "LOGINDISABLED") {
		t.Errorf("greeting after the reload: %q, want LOGINDISABLED", g)
	}
	if l := busy.cmd("n", "NOOP"); !strings.HasPrefix(l[len(l)-1], "n OK") {
		t.Errorf("the session process's session after the reload: %q", l)
	}
	sleeper.send("DONE\r\n")
	if l, err := sleeper.line(5 * time.Second); err != nil || l != "i OK Completed" {
		t.Errorf("DONE to a session hibernated across the reload: %q, %v", l, err)
	}

	// "mailgate kick" reaches both: the hibernated client hears the
	// reason from the daemon, the other from its session process.
	sleeper.send("j IDLE\r\n")
	if l, err := sleeper.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE again: %q, %v", l, err)
	}
	waitChildren(t, pid, 1)
	r := runMailgate(t, 20*time.Second, "", "--config", d.cfg.path, "kick", u.name)
	if r.err != nil || r.code != 0 || !strings.Contains(r.stdout, "disconnected 2 session(s)") {
		t.Errorf("kick %s: %v, exit %d, stdout %q, stderr %q", u.name, r.err, r.code, r.stdout, r.stderr)
	}
	for name, c := range map[string]*imapConn{"hibernated": sleeper, "in a process": busy} {
		if l, err := c.line(5 * time.Second); l != "* BYE "+gateway.KickReason {
			t.Errorf("kicked session %s: %q, %v; want BYE %s", name, l, err, gateway.KickReason)
		}
	}
	waitChildren(t, pid, 0)
	d.stop(10 * time.Second)
}

// implicitTLS returns the configuration of a daemon with a test CA's
// certificate and implicit TLS (top: the [tls] table; server: the
// [[server]] line), and a dial that connects to addr() over TLS and
// reads the greeting.
func implicitTLS(t testing.TB, addr func() string) (top, server string, dial func() *imapConn) {
	ca := tlsmgrtest.NewCA(t, "test CA")
	dir := t.TempDir()
	cert, key := ca.Issue(t, "mail.example.org", x509.ExtKeyUsageServerAuth)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "cert.pem"), cert, 0o644)
	tlsmgrtest.WriteFile(t, filepath.Join(dir, "key.pem"), key, 0o600)
	top = "[tls]\ncertificate-file = " + quoted(filepath.Join(dir, "cert.pem")) + "\nkey-file = " + quoted(filepath.Join(dir, "key.pem")) + "\n"
	server = "tls-mode = \"connection\"\n"
	dial = func() *imapConn {
		tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr(),
			&tls.Config{RootCAs: ca.Pool(), ServerName: "mail.example.org"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tc.Close() })
		c := &imapConn{t: t, conn: tc, r: bufio.NewReader(tc)}
		if g, err := c.line(5 * time.Second); !strings.HasPrefix(g, "* OK") {
			t.Fatalf("greeting %q, %v", g, err)
		}
		return c
	}
	return top, server, dial
}

// TestSessionProcessAfterUpgrade: a package upgrade puts another program
// at the daemon's path while it runs (a new file renamed over the old,
// as dpkg does). The daemon's session processes still run the program
// it started from, which speaks its protocol, until it is restarted.
func TestSessionProcessAfterUpgrade(t *testing.T) {
	u := newSystemUser(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "mailgate")
	exe, err := os.ReadFile(mailgateBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, freeAddr(t), systemAuth, "")
	cfg.bin = bin
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The "new version": a program that cannot serve a session.
	upgrade := filepath.Join(dir, ".mailgate.dpkg-new")
	if err := os.WriteFile(upgrade, []byte("#!/bin/sh\necho new version >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(upgrade, bin); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second may be a process started ahead
		c := greeted(t, d.addr)
		c.login(u.name, u.password)
		if l := c.cmd("s", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "s OK") {
			t.Fatalf("SELECT after the upgrade: %q\n%s", l, d.stderr)
		}
		c.cmd("z", "LOGOUT")
	}
	if strings.Contains(d.stderr.String(), "new version") {
		t.Errorf("a session process ran the new program:\n%s", d.stderr)
	}
}
