package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	r := runMailgate(t, 10*time.Second, "", "--version")
	if r.err != nil || r.code != 0 || !regexp.MustCompile(`^mailgate \S+\n$`).MatchString(r.stdout) {
		t.Errorf("--version: %v, exit %d, stdout %q, stderr %q", r.err, r.code, r.stdout, r.stderr)
	}
	for _, arg := range []string{"--help", "-h"} {
		r := runMailgate(t, 10*time.Second, "", arg)
		if r.err != nil || r.code != 0 {
			t.Errorf("%s: %v, exit %d, stderr %q", arg, r.err, r.code, r.stderr)
		}
		for _, want := range []string{"Usage: mailgate", "--daemon", "--inetd", "--preauth", "--config", "user add"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s does not mention %q:\n%s", arg, want, r.stdout)
			}
		}
	}
}

func TestConfigLint(t *testing.T) {
	t.Parallel()
	good := writeConfig(t, "127.0.0.1:1", "", "")
	r := runMailgate(t, 10*time.Second, "", "--config", good.path, "--config-lint")
	if r.err != nil || r.code != 0 {
		t.Errorf("--config-lint on a good file: %v, exit %d, stdout %q, stderr %q", r.err, r.code, r.stdout, r.stderr)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	text := "data-dir = " + quoted(filepath.Join(dir, "data")) + "\n" +
		"\n" +
		"[[server]]\n" +
		"address = \"127.0.0.1:1\"\n" +
		"no-such-key = 3\n" // line 5
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--config", bad, "--config-lint"}, {"config", "check", bad}} {
		r := runMailgate(t, 10*time.Second, "", args...)
		if r.err != nil || r.code == 0 {
			t.Errorf("%s on a bad file: %v, exit %d, want non-zero", strings.Join(args, " "), r.err, r.code)
		}
		if !strings.Contains(r.stderr, bad+":5") || !strings.Contains(r.stderr, "no-such-key") {
			t.Errorf("%s: stderr %q does not name %s:5 and the key", strings.Join(args, " "), r.stderr, bad)
		}
	}

	// A file that does not exist.
	r = runMailgate(t, 10*time.Second, "", "--config", filepath.Join(dir, "missing.toml"), "--config-lint")
	if r.code == 0 || !strings.Contains(r.stderr, "missing.toml") {
		t.Errorf("--config-lint on a missing file: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestDaemonFlags(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "127.0.0.1:1", "", "")
	for _, flag := range []string{"-d", "-d5", "--daemon", "--daemon=5", "--foreground"} {
		r := runMailgate(t, 10*time.Second, "", flag, "--config", cfg.path, "--config-lint")
		if r.err != nil || r.code != 0 {
			t.Errorf("%s: %v, exit %d, stderr %q", flag, r.err, r.code, r.stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want string // in the message
	}{
		{[]string{"-d", "5"}, "-d 5"},
		{[]string{"-d0"}, "-d0"},
		{[]string{"-dx"}, "-dx"},
		{[]string{"--daemon=0"}, "--daemon=0"},
		{[]string{"--daemon=", "--foreground"}, "--daemon="},
		{[]string{"--bogus"}, "--bogus"},
		{[]string{"-d5", "-i"}, "-i"},
		{[]string{"--config"}, "--config"},
	} {
		args := append([]string{"--config-lint"}, tc.args...)
		if tc.args[0] != "--config" {
			args = append(args, "--config", cfg.path)
		}
		r := runMailgate(t, 10*time.Second, "", args...)
		if r.err != nil || r.code == 0 {
			t.Errorf("%q: %v, exit %d, want a failure", tc.args, r.err, r.code)
			continue
		}
		if !strings.HasPrefix(r.stderr, "mailgate: ") || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: the message %q should be one line naming %s", tc.args, r.stderr, tc.want)
		}
		if r.stdout != "" {
			t.Errorf("%q printed %q on standard output", tc.args, r.stdout)
		}
	}
	// Trailing junk after the number.
	for _, arg := range []string{"-d5x", "--daemon=5abc"} {
		r := runMailgate(t, 10*time.Second, "", arg, "--config", cfg.path, "--config-lint")
		if r.code == 0 {
			t.Errorf("%s is accepted as 5", arg)
			continue
		}
		if !strings.Contains(r.stderr, arg) {
			t.Errorf("%s: message %q does not name the argument", arg, r.stderr)
		}
	}
}

// TestDaemonMaxSessions: -dN caps concurrent sessions, and a client over
// the cap hears why.
func TestDaemonMaxSessions(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "", "", "-d1")
	// startDaemon's readiness probe has connected once; wait for that
	// session's slot to come back.
	c1 := dialIMAP(t, d.addr)
	var l string
	var err error
	for i := 0; i < 50; i++ {
		if l, err = c1.line(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(l, "* OK ") {
			break
		}
		// The probe's slot was still taken: try again.
		time.Sleep(20 * time.Millisecond)
		c1 = dialIMAP(t, d.addr)
	}
	if !strings.HasPrefix(l, "* OK ") {
		t.Fatalf("first session greeting %q", l)
	}
	c2 := dialIMAP(t, d.addr)
	if l, err := c2.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* BYE ") {
		t.Errorf("second session with -d1: %q, %v, want * BYE", l, err)
	}
	c1.cmd("a", "LOGOUT")
	d.stop(5 * time.Second)
}

// TestDaemonGracefulStop: SIGTERM with sessions open (one idle, one in
// IDLE) ends them with BYE and the daemon exits 0 quickly.
func TestDaemonGracefulStop(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "", "")
	login := func() *imapConn {
		c := dialIMAP(t, d.addr)
		if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK") {
			t.Fatalf("greeting %q, %v", l, err)
		}
		if l := c.cmd("a", "LOGIN mailgate "+quoted(d.password)); !strings.HasPrefix(l[len(l)-1], "a OK") {
			t.Fatalf("LOGIN: %q", l)
		}
		return c
	}
	idle := login()
	c := login()
	idle.cmd("b", "SELECT INBOX")
	idle.send("c IDLE\r\n")
	if l, err := idle.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	// Let both sessions settle in their reads. Without this pause the test
	// is flaky: a SIGTERM that arrives just after a response was flushed
	// and before the session renews its read deadline is lost for that
	// session (see the report: imap/session.go serve and imap/idle.go
	// overwrite shutdown's SetReadDeadline(now)), and the daemon then
	// waits out its 5s grace period and closes without a BYE.
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	d.stop(10 * time.Second)
	t.Logf("the daemon took %v to stop with two quiet sessions", time.Since(start))
	for name, conn := range map[string]*imapConn{"idle session": c, "session in IDLE": idle} {
		var got []string
		for {
			l, err := conn.line(2 * time.Second)
			if err != nil {
				break
			}
			got = append(got, l)
		}
		if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "* BYE") {
			t.Errorf("%s: got %q at shutdown, want it to end with * BYE", name, got)
		}
	}
}

func TestUserCommands(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	mg := func(stdin string, args ...string) result {
		t.Helper()
		r := runMailgate(t, 10*time.Second, stdin, append([]string{"--config", cfg.path}, args...)...)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	}
	ok := func(r result, what string) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", what, r.code, r.stderr)
		}
	}
	login := func(name, password string) bool {
		t.Helper()
		r := mg("a LOGIN "+quoted(name)+" "+quoted(password)+"\r\nb LOGOUT\r\n", "-i")
		return strings.Contains(r.stdout, "\r\na OK ")
	}

	ok(mg("first pw\n", "user", "add", "dora", "--password-stdin"), "user add dora")
	ok(mg("other\n", "user", "add", "eli", "--password-stdin", "--home", filepath.Join(cfg.dir, "eli-home")), "user add eli --home")
	r := mg("", "user", "list")
	ok(r, "user list")
	wantList := "dora\t" + filepath.Join(cfg.dataDir, "dora") + " (default)\n" + "eli\t" + filepath.Join(cfg.dir, "eli-home") + "\n"
	if r.stdout != wantList {
		t.Errorf("user list:\n%q\nwant\n%q", r.stdout, wantList)
	}
	if !login("dora", "first pw") {
		t.Errorf("dora cannot log in with the password given to user add")
	}
	if r := mg("again\n", "user", "add", "dora", "--password-stdin"); r.code == 0 {
		t.Errorf("adding dora twice succeeded")
	}
	ok(mg("second pw\r\n", "user", "passwd", "dora", "--password-stdin"), "user passwd dora")
	if login("dora", "first pw") {
		t.Errorf("dora can still log in with the old password")
	}
	if !login("dora", "second pw") {
		t.Errorf("dora cannot log in with the new password (sent with CRLF)")
	}
	ok(mg("", "user", "del", "dora"), "user del dora")
	if login("dora", "second pw") {
		t.Errorf("dora can log in after user del")
	}
	r = mg("", "user", "list")
	ok(r, "user list")
	if want := "eli\t" + filepath.Join(cfg.dir, "eli-home") + "\n"; r.stdout != want {
		t.Errorf("user list after del: %q, want %q", r.stdout, want)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"user", "del", "dora"}},                              // no longer exists
		{"pw\n", []string{"user", "passwd", "nobody", "--password-stdin"}}, // never existed
		{"\n", []string{"user", "add", "empty", "--password-stdin"}},       // empty password
		{"pw\n", []string{"user", "add", "users", "--password-stdin"}},     // reserved
		{"", []string{"user", "add"}},
		{"", []string{"user", "frob"}},
		{"", []string{"user"}},
		{"pw\n", []string{"user", "add", "x", "--bogus"}},
	} {
		if r := mg(tc.stdin, tc.args...); r.code == 0 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q, want a failure with a message", tc.args, r.code, r.stderr)
		}
	}
}

func TestConfigDefault(t *testing.T) {
	t.Parallel()
	r := runMailgate(t, 10*time.Second, "", "config", "default")
	if r.err != nil || r.code != 0 || !strings.Contains(r.stdout, "[[server]]") {
		t.Fatalf("config default: %v, exit %d, stderr %q", r.err, r.code, r.stderr)
	}
	path := filepath.Join(t.TempDir(), "default.toml")
	if err := os.WriteFile(path, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runMailgate(t, 10*time.Second, "", "config", "check", path)
	if r.err != nil || r.code != 0 {
		t.Errorf("config check of the default: %v, exit %d, stdout %q, stderr %q", r.err, r.code, r.stdout, r.stderr)
	}
	r = runMailgate(t, 10*time.Second, "", "--config", path, "--config-lint")
	if r.err != nil || r.code != 0 {
		t.Errorf("--config-lint of the default: %v, exit %d, stderr %q", r.err, r.code, r.stderr)
	}
	for _, args := range [][]string{{"config"}, {"config", "check"}, {"config", "frob"}} {
		if r := runMailgate(t, 10*time.Second, "", args...); r.code == 0 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}
}

// TestDaemonStopDuringCommand: a SIGTERM that comes while sessions are
// running a command (here LOGIN, busy checking a bcrypt hash) still ends
// each of them with BYE once the command is answered, at once.
func TestDaemonStopDuringCommand(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "", "")
	const n = 3
	type outcome struct {
		lines []string
		err   error
	}
	results := make(chan outcome, n)
	var conns []*imapConn
	for i := 0; i < n; i++ {
		c := dialIMAP(t, d.addr)
		if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK") {
			t.Fatalf("greeting %q, %v", l, err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.send("a LOGIN mailgate " + quoted(d.password) + "\r\n")
	}
	time.Sleep(15 * time.Millisecond)
	for _, c := range conns {
		go func() {
			var o outcome
			for {
				l, err := c.line(8 * time.Second)
				if err != nil {
					o.err = err
					break
				}
				o.lines = append(o.lines, l)
			}
			results <- o
		}()
	}
	start := time.Now()
	d.stop(8 * time.Second)
	stopTime := time.Since(start)
	var noBye []string
	for i := 0; i < n; i++ {
		select {
		case r := <-results:
			if len(r.lines) == 0 || !strings.HasPrefix(r.lines[len(r.lines)-1], "* BYE") {
				noBye = append(noBye, fmt.Sprintf("%q (%v)", r.lines, r.err))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a client hangs")
		}
	}
	if len(noBye) > 0 {
		t.Errorf("%d of %d sessions busy at SIGTERM ended without * BYE (the daemon took %v): %s",
			len(noBye), n, stopTime, strings.Join(noBye, ", "))
	}
}
