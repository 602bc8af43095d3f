package main_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLog waits until the daemon's standard error holds want.
func (d *daemon) waitLog(want string) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(d.stderr.String(), want) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestSIGHUPReload: SIGHUP puts a changed configuration in force for new
// sessions while a session under way goes on; a setting that needs a
// restart is named in the log; a configuration with an error leaves the
// one in force, and the log gives the error's file and line.
func TestSIGHUPReload(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "", "")
	old := dialIMAP(t, d.addr)
	if l, err := old.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* OK") {
		t.Fatalf("greeting %q, %v", l, err)
	}
	if l := old.cmd("a", "LOGIN mailgate "+quoted(d.password)); !strings.HasPrefix(l[len(l)-1], "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	old.cmd("b", "SELECT INBOX")
	text, err := os.ReadFile(d.cfg.path)
	if err != nil {
		t.Fatal(err)
	}
	// login-disabled changes live; [mailbox] only at a restart.
	changed := "login-disabled = true\n" + string(text) + "\n[mailbox]\nmailbox-type = \"mbox\"\n"
	if err := os.WriteFile(d.cfg.path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	if !d.waitLog("configuration reloaded") {
		t.Fatalf("no reload logged:\n%s", d.stderr.String())
	}
	if !strings.Contains(d.stderr.String(), `setting=[mailbox]`) {
		t.Errorf("the log does not say that [mailbox] waits for a restart:\n%s", d.stderr.String())
	}
	fresh := dialIMAP(t, d.addr)
	greeting, _ := fresh.line(5 * time.Second)
	if !strings.Contains(greeting, "LOGINDISABLED") {
		t.Errorf("greeting after the reload: %q, want LOGINDISABLED", greeting)
	}
	if l := fresh.cmd("c", "LOGIN mailgate "+quoted(d.password)); !strings.HasPrefix(l[len(l)-1], "c NO") {
		t.Errorf("LOGIN after login-disabled was reloaded: %q", l)
	}
	if l := old.cmd("d", "NOOP"); !strings.HasPrefix(l[len(l)-1], "d OK") {
		t.Errorf("the session under way after the reload: %q", l)
	}
	// An unknown key on line 2: nothing changes, and the log says where.
	broken := "login-disabled = false\nno-such-key = 1\n" + string(text)
	if err := os.WriteFile(d.cfg.path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	want := fmt.Sprintf("%s:2", d.cfg.path)
	if !d.waitLog("the configuration in force stays in force") || !strings.Contains(d.stderr.String(), want) {
		t.Fatalf("a broken configuration: the log should name %s:\n%s", want, d.stderr.String())
	}
	again := dialIMAP(t, d.addr)
	if g, _ := again.line(5 * time.Second); !strings.Contains(g, "LOGINDISABLED") {
		t.Errorf("after a broken reload the greeting is %q; login-disabled = true should stay in force", g)
	}
	if l := old.cmd("e", "NOOP"); !strings.HasPrefix(l[len(l)-1], "e OK") {
		t.Errorf("the session under way after a broken reload: %q", l)
	}
	d.stop(10 * time.Second)
}
