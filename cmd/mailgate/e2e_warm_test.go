package main_test

import (
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWarmProcessCapabilities: a session process started ahead for
// wake-ups waits as uid 0 (it does not know its user yet) but with no
// capability of root's beyond CAP_SETUID and CAP_SETGID (0xc0), which
// it needs to take on the user's identity: none effective, permitted,
// inheritable or ambient besides, a bounding set of those two, and
// no_new_privs. Once it has taken a session it runs as the user with no
// capability at all, and serves the session. So too when the daemon was
// started with inheritable capabilities (systemd's AmbientCapabilities,
// some container runtimes), which a root exec would otherwise add to
// the waiting process's permitted set whatever its bounding set.
func TestWarmProcessCapabilities(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testWarmCapabilities(t, nil) })
	t.Run("inheritable", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("setpriv (util-linux) is not installed")
		}
		testWarmCapabilities(t, []string{setpriv, "--inh-caps", "+dac_override,+sys_ptrace", "--"})
	})
}

func testWarmCapabilities(t *testing.T, wrapper []string) {
	u := newSystemUser(t)
	cfg := writeConfig(t, freeAddr(t), "hibernate-after = \"200ms\"\n"+systemAuth+"[logging]\nlevel = \"debug\"\n", "")
	cfg.wrapper = wrapper
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := d.cmd.Process.Pid
	c := idling(t, d, u)
	waitChildren(t, pid, 0) // hibernated: processes are started ahead
	var warm []int
	for i := 0; i < 500 && len(warm) < 2; i++ {
		warm = warm[:0]
		for _, k := range children(pid) {
			if isWarm(k) {
				warm = append(warm, k)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(warm) == 0 {
		t.Fatal("no session process was started ahead")
	}
	// Started is not ready: a wake-up before the handshake is served by
	// a process of its own, which is not what this test is about.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(d.stderr.String(), "started ahead is ready"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no session process started ahead became ready within 10 s")
		}
	}
	const setuidSetgid = "00000000000000c0"
	for _, k := range warm {
		st := procStatus(t, k)
		for field, want := range map[string]string{
			"CapEff": setuidSetgid, "CapPrm": setuidSetgid, "CapBnd": setuidSetgid,
			"CapInh": "0000000000000000", "CapAmb": "0000000000000000",
		} {
			if st[field] != want {
				t.Errorf("waiting process %d: %s %s, want %s", k, field, st[field], want)
			}
		}
		checkNoNewPrivs(t, k)
	}

	// The wake-up goes to a process started ahead, which serves it as
	// the user, without a capability left.
	c.send("DONE\r\n")
	if l, err := c.line(5 * time.Second); err != nil || l != "i OK Completed" {
		t.Fatalf("DONE to a hibernated IDLE: %q, %v", l, err)
	}
	if l := c.cmd("n", "NOOP"); !strings.HasPrefix(l[len(l)-1], "n OK") {
		t.Fatalf("NOOP after the wake-up: %q", l)
	}
	kids := waitChildren(t, pid, 1)
	st := procStatus(t, kids[0])
	for _, field := range []string{"CapEff", "CapPrm", "CapInh", "CapAmb"} {
		if st[field] != "0000000000000000" {
			t.Errorf("the woken session's process %d: %s %s, want none", kids[0], field, st[field])
		}
	}
	checkRunsAs(t, kids[0], u.uid)
	// The daemon logs the handover once the process has the client,
	// which may be after it answered the NOOP.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(d.stderr.String(), "started ahead takes the session"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Error("the wake-up was not served by a process started ahead")
			break
		}
	}
	c.cmd("z", "LOGOUT")
	d.stop(10 * time.Second)
}

// TestWarmWithoutSetpcap: a root daemon that lacks CAP_SETPCAP (a
// container may withhold it) cannot bound what a process started ahead
// may do, so it starts none, says so once, and a wake-up starts its own
// session process, as the user.
func TestWarmWithoutSetpcap(t *testing.T) {
	u := newSystemUser(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	cfg := writeConfig(t, freeAddr(t), "hibernate-after = \"200ms\"\n"+systemAuth, "")
	cfg.wrapper = []string{setpriv, "--bounding-set", "-setpcap", "--"}
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := d.cmd.Process.Pid
	c := greeted(t, d.addr)
	c.login(u.name, u.password)
	c.cmd("s", "SELECT INBOX")
	for round := range 2 {
		c.send("i IDLE\r\n")
		if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
			t.Fatalf("IDLE %d: %q, %v", round, l, err)
		}
		waitChildren(t, pid, 0) // hibernated
		time.Sleep(500 * time.Millisecond)
		for _, k := range children(pid) {
			if isWarm(k) {
				t.Errorf("process %d was started ahead as root without a bounded capability set", k)
			}
		}
		c.send("DONE\r\n")
		if l, err := c.line(5 * time.Second); err != nil || l != "i OK Completed" {
			t.Fatalf("DONE %d: %q, %v", round, l, err)
		}
		checkRunsAs(t, waitChildren(t, pid, 1)[0], u.uid)
	}
	if n := strings.Count(d.stderr.String(), "no session processes are started ahead"); n != 1 {
		t.Errorf("the warning was said %d times; want once:\n%s", n, d.stderr.String())
	}
	c.cmd("z", "LOGOUT")
	d.stop(10 * time.Second)
}

// warmChildren returns the daemon's processes started ahead.
func warmChildren(pid int) []int {
	var warm []int
	for _, k := range children(pid) {
		if isWarm(k) {
			warm = append(warm, k)
		}
	}
	return warm
}

// waitWarm waits up to 10 s until ok accepts the daemon's processes
// started ahead, and returns them.
func waitWarm(t *testing.T, pid int, what string, ok func([]int) bool) []int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if w := warmChildren(pid); ok(w) {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes started ahead: %v; want %s", warmChildren(pid), what)
		}
	}
}

// TestWarmProcessesFollowHibernation: processes started ahead (root's,
// with CAP_SETUID) exist only while sessions hibernate, and those a
// reload made useless (they read the old configuration) are replaced at
// the reload, not at the next wake-up. Both stayed for ever before.
func TestWarmProcessesFollowHibernation(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, "hibernate-after = \"300ms\"\n"+systemAuth+"[logging]\nlevel = \"debug\"\n", "")
	pid := d.cmd.Process.Pid
	c := idling(t, d, u)
	before := waitWarm(t, pid, "two, while the session hibernates", func(w []int) bool { return len(w) == 2 })

	d.cmd.Process.Signal(syscall.SIGHUP)
	waitWarm(t, pid, "two new ones after the reload", func(w []int) bool {
		return len(w) == 2 && !slices.Contains(w, before[0]) && !slices.Contains(w, before[1])
	})

	// The hibernated session's client goes away: nothing hibernates.
	c.conn.Close()
	waitWarm(t, pid, "none once no session hibernates", func(w []int) bool { return len(w) == 0 })
	d.stop(10 * time.Second)
}

// idling logs u in to d, selects INBOX and starts IDLE, which a session
// process hibernates once hibernate-after has passed.
func idling(t *testing.T, d *daemon, u *systemUser) *imapConn {
	t.Helper()
	c := greeted(t, d.addr)
	c.login(u.name, u.password)
	c.cmd("s", "SELECT INBOX")
	c.send("i IDLE\r\n")
	if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q, %v", l, err)
	}
	return c
}
