package main_test

// End-to-end tests of the commands that operate a running daemon over its
// control socket: who, kick, reload, stop, auth test, mailbox status and
// mailbox resync (issue 11, sections 6 and 7).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// TestControlCommands runs every control command through the binary
// against a daemon on loopback, with one session in the daemon and, as
// root, one in a session process of its own.
func TestControlCommands(t *testing.T) {
	var sys *systemUser
	if _, err := exec.LookPath("useradd"); err == nil && os.Geteuid() == 0 {
		sys = newSystemUser(t)
	}
	d := startDaemon(t, systemAuth, "")
	waitControl(t, d)
	mg := func(stdin string, args ...string) result {
		t.Helper()
		r := runMailgate(t, 20*time.Second, stdin, append([]string{"--config", d.cfg.path}, args...)...)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	if r := mg("", "who"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no sessions") {
		t.Errorf("who with no session: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	virtual := greeted(t, d.addr)
	virtual.login("mailgate", d.password)
	msg := "Subject: status\r\n\r\nhello\r\n"
	for i := 0; i < 2; i++ {
		virtual.send(fmt.Sprintf("p APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
		if l, err := virtual.tagged("p"); err != nil || !strings.HasPrefix(l, "p OK") {
			t.Fatalf("APPEND: %q, %v", l, err)
		}
	}
	virtual.cmd("s", "SELECT INBOX")
	virtual.cmd("f", "FETCH 1 (FLAGS ENVELOPE)") // seen by nobody: both unseen
	var child *imapConn
	if sys != nil {
		child = greeted(t, d.addr)
		child.login(sys.name, sys.password)
		child.cmd("s", "SELECT INBOX")
		waitChildren(t, d.cmd.Process.Pid, 1)
	}

	// who: both sessions, the user's mailbox, where each runs. A session
	// process tells the daemon its mailbox after it answers SELECT, so
	// who may list it without one for a moment.
	childName := "-"
	if sys != nil {
		childName = sys.name
	}
	childRow := regexp.MustCompile(`(?m)^\d+ +` + regexp.QuoteMeta(childName) + ` +127\.0\.0\.1:\d+ +imap +INBOX +\S+ \S+ +\d+$`)
	r := mg("", "who")
	for deadline := time.Now().Add(10 * time.Second); sys != nil && !childRow.MatchString(r.stdout) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		r = mg("", "who")
	}
	if r.code != 0 || !regexp.MustCompile(`(?m)^\d+ +mailgate +127\.0\.0\.1:\d+ +imap +INBOX +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +daemon$`).MatchString(r.stdout) {
		t.Errorf("who: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if sys != nil && !childRow.MatchString(r.stdout) {
		t.Errorf("who does not list the session process of %s with its pid:\n%s", sys.name, r.stdout)
	}

	// mailbox status, of one mailbox and of all; resync keeps the figures.
	status := regexp.MustCompile(`(?m)^INBOX +2 +2 +3 +(\d+) +(\d+) +\d+ +maildir +` + regexp.QuoteMeta(d.cfg.inbox("mailgate")) + `$`)
	r = mg("", "mailbox", "status", "mailgate", "INBOX")
	m := status.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("mailbox status mailgate INBOX: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := mg("", "mailbox", "status", "mailgate"); r.code != 0 || !status.MatchString(r.stdout) {
		t.Errorf("mailbox status mailgate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	cache := filepath.Join(d.cfg.inbox("mailgate"), ".mailgate-cache")
	virtual.cmd("u", "UNSELECT") // the cache file is written when the mailbox is let go
	r = mg("", "mailbox", "resync", "mailgate", "INBOX")
	if m2 := status.FindStringSubmatch(r.stdout); r.code != 0 || m2 == nil || m2[1] != m[1] || m2[2] != m[2] {
		t.Errorf("mailbox resync: exit %d, stdout %q (before %q), stderr %q; want the same UIDVALIDITY and HIGHESTMODSEQ", r.code, r.stdout, m, r.stderr)
	}
	if _, err := os.Stat(cache); err == nil {
		t.Errorf("the cache file %s survived the resync", cache)
	}
	if l := virtual.cmd("s", "SELECT INBOX"); !strings.Contains(strings.Join(l, "\n"), "[UIDVALIDITY "+m[1]+"]") {
		t.Errorf("SELECT after the resync: %q, want UIDVALIDITY %s", l, m[1])
	}
	if l := virtual.cmd("f", "UID FETCH 1:* (UID)"); len(l) != 3 {
		t.Errorf("UID FETCH after the resync: %q", l)
	}
	for _, args := range [][]string{{"mailbox", "status", "nosuchuser"}, {"mailbox", "resync", "mailgate", "NoSuchBox"}} {
		if r := mg("", args...); r.code != 1 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q, want a refusal", args, r.code, r.stderr)
		}
	}

	// auth test: the back-end that answers; the password never logged.
	if r := mg(d.password+"\n", "auth", "test", "mailgate"); r.code != 0 || !strings.Contains(r.stdout, "accepted by the users-file back-end") {
		t.Errorf("auth test mailgate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := mg("wrong-pw-XYZ\n", "auth", "test", "mailgate"); r.code != 1 || !strings.Contains(r.stderr, "users-file refused the password") {
		t.Errorf("auth test with a wrong password: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := mg("x\n", "auth", "test", "nosuchuser"); r.code != 1 || !strings.Contains(r.stderr, "no back-end knows user nosuchuser (asked: users-file, system)") {
		t.Errorf("auth test of an unknown user: exit %d, stderr %q", r.code, r.stderr)
	}
	if sys != nil {
		if r := mg(sys.password+"\n", "auth", "test", sys.name); r.code != 0 || !strings.Contains(r.stdout, "accepted by the system back-end") {
			t.Errorf("auth test %s: exit %d, stdout %q, stderr %q", sys.name, r.code, r.stdout, r.stderr)
		}
	}
	if !d.waitLog("request=\"auth-test mailgate ***\"") {
		t.Errorf("the control request auth-test is not logged, masked:\n%s", d.stderr.String())
	}
	if strings.Contains(d.stderr.String(), "wrong-pw-XYZ") {
		t.Errorf("the log shows a password tested:\n%s", d.stderr.String())
	}

	// kick: by user, in the daemon and in a session process; each client
	// hears why.
	if sys != nil {
		if r := mg("", "kick", sys.name); r.code != 0 || !strings.Contains(r.stdout, "disconnected 1 session(s) of "+sys.name) {
			t.Errorf("kick %s: exit %d, stdout %q, stderr %q", sys.name, r.code, r.stdout, r.stderr)
		}
		if l, err := child.line(5 * time.Second); l != "* BYE "+gateway.KickReason {
			t.Errorf("the session process's client read %q, %v; want BYE %s", l, err, gateway.KickReason)
		}
		waitChildren(t, d.cmd.Process.Pid, 0)
	}
	if r := mg("", "kick", "mailgate"); r.code != 0 || !strings.Contains(r.stdout, "disconnected 1 session(s) of mailgate") {
		t.Errorf("kick mailgate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if l, err := virtual.line(5 * time.Second); l != "* BYE "+gateway.KickReason {
		t.Errorf("the kicked client read %q, %v", l, err)
	}
	// The daemon forgets a session once it has seen it end, a moment
	// after its process is gone: wait for who to say so.
	for i := 0; i < 250; i++ {
		if r := mg("", "who"); strings.Contains(r.stderr, "no sessions") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := mg("", "kick", "127.0.0.1"); r.code != 1 || !strings.Contains(r.stderr, "no session of 127.0.0.1") {
		t.Errorf("kick with no session left: exit %d, stderr %q", r.code, r.stderr)
	}

	// reload: a setting that waits for a restart is named. A broken
	// configuration is refused, with its line, by the command itself,
	// which reads it to find the daemon.
	text, err := os.ReadFile(d.cfg.path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(d.cfg.path, string(text)+"\n[mailbox]\nmailbox-type = \"mbox\"\n")
	if r := mg("", "reload"); r.code != 0 || !strings.Contains(r.stdout, "[mailbox] changed; the change waits for a restart") {
		t.Errorf("reload: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	writeFile(d.cfg.path, "no-such-key = 1\n"+string(text))
	if r := mg("", "reload"); r.code != 78 || !strings.Contains(r.stderr, d.cfg.path+":1") {
		t.Errorf("reload of a broken configuration: exit %d, stderr %q", r.code, r.stderr)
	}
	writeFile(d.cfg.path, string(text))

	// Usage errors.
	for _, args := range [][]string{{"who", "x"}, {"kick"}, {"reload", "now"}, {"auth", "test"}, {"mailbox", "resync", "mailgate"}, {"mailbox", "frob", "a"}} {
		if r := mg("", args...); r.code != 2 || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("%q: exit %d, stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}

	// stop: graceful, as SIGTERM; a session under way hears BYE.
	last := greeted(t, d.addr)
	last.login("mailgate", d.password)
	if r := mg("", "stop"); r.code != 0 || !strings.Contains(r.stdout, "stopping") {
		t.Errorf("stop: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if l, err := last.line(5 * time.Second); !strings.HasPrefix(l, "* BYE ") {
		t.Errorf("a session at stop read %q, %v", l, err)
	}
	select {
	case <-d.exited:
		if code := d.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("the daemon exited with %d after stop", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon did not exit within 15s of mailgate stop")
	}
	d.stopped = true
}

// TestControlRefusesOtherUsersCommand: a user other than root and the
// daemon's, running the binary, is refused by the daemon even when the
// socket's mode would let it connect (SO_PEERCRED decides).
func TestControlRefusesOtherUsersCommand(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the command as another user")
	}
	t.Parallel()
	d := startDaemon(t, "", "")
	// Its chmod to 0600 comes before this test's.
	socket := waitControl(t, d)
	// Only for this test: let uid 65534 read the configuration and reach
	// the socket.
	for _, p := range []string{filepath.Dir(d.cfg.dir), d.cfg.dir, d.cfg.dataDir} {
		os.Chmod(p, 0o755)
	}
	os.Chmod(d.cfg.path, 0o644)
	os.Chmod(socket, 0o666)
	for _, args := range [][]string{{"who"}, {"stop"}, {"kick", "mailgate"}} {
		cmd := exec.Command(mailgateBin, append([]string{"--config", d.cfg.path}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "permission denied: only root and the daemon's user") {
			t.Errorf("%q as uid 65534: %v, %q; want a refusal", args, err, out)
		}
	}
	// The daemon is still there, and root is answered.
	if r := runMailgate(t, 10*time.Second, "", "--config", d.cfg.path, "who"); r.code != 0 {
		t.Errorf("who as root after the refusals: exit %d, stderr %q", r.code, r.stderr)
	}
	d.stop(10 * time.Second)
}

// waitControl waits until d answers on its control socket, which it
// opens after its listeners, and returns the socket's path.
func waitControl(t *testing.T, d *daemon) string {
	t.Helper()
	socket := gateway.ControlSocket(d.cfg.dataDir)
	for i := 0; ; i++ {
		_, _, err := gateway.ControlRequest(socket, "who")
		if err == nil {
			return socket
		}
		if i == 200 {
			t.Fatalf("the daemon's control socket: %v", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
