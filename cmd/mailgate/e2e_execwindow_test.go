package main_test

// A root daemon's session and delivery processes run as the user, with
// the mail spool's group. They must never be, even for a moment, both
// the user's and open to the user's other processes: a process that is
// dumpable after exec can be stopped (same uid), and its memory written
// through /proc/PID/mem or ptrace, until it makes itself non-dumpable;
// code of the user's choosing would then run with the mail group (every
// mailbox of a non-sticky root:mail 2775 spool) and the control socket.
// The tests run a copy of the test binary as the user that races the
// user's next logins and deliveries.

import (
	"fmt"
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

// execWindowRaceEnv asks this test binary, run as a user, to catch a new
// process of that user before it is non-dumpable (raceNewProcesses), for
// the number of seconds it holds.
const execWindowRaceEnv = "MAILGATE_TEST_EXEC_WINDOW_RACE"

func init() {
	if v := os.Getenv(execWindowRaceEnv); v != "" {
		secs, _ := strconv.Atoi(v)
		os.Exit(raceNewProcesses(time.Duration(secs) * time.Second))
	}
}

// procState is the one-letter state of pid, or 0 when it is gone.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// raceNewProcesses is what any local user can run: it stops each new
// process of its uid (SIGSTOP is allowed to the same uid) and steps it
// forward with SIGCONT/SIGSTOP until it can open /proc/PID/mem for
// writing (arbitrary code in that process) or the time is up. It prints
// "WON pid=... groups=..." or "lost", with how many processes it stopped.
func raceNewProcesses(d time.Duration) int {
	end := time.Now().Add(d)
	stopped := 0
	for time.Now().Before(end) {
		b, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
		if err != nil {
			fmt.Println("no ns_last_pid:", err)
			return 0
		}
		last, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		for pid := last + 1; pid <= last+8; pid++ {
			if _, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", pid)); err == nil {
				continue // a thread of this process: never stop ourselves
			}
			if syscall.Kill(pid, syscall.SIGSTOP) != nil {
				continue
			}
			stopped++
			if won := stepUntilOpen(pid); won != "" {
				fmt.Println(won)
				return 0
			}
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	fmt.Printf("lost (stopped %d processes, none of them dumpable)\n", stopped)
	return 0
}

// stepUntilOpen steps the stopped process pid until its memory opens for
// writing, and then says what it holds; "" when it never did.
func stepUntilOpen(pid int) string {
	for i := 0; i < 100000; i++ {
		st := procState(pid)
		if st == 0 {
			return ""
		}
		if st != 'T' && st != 't' {
			syscall.Kill(pid, syscall.SIGSTOP)
			continue
		}
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/mem", pid), os.O_RDWR, 0)
		if err != nil {
			syscall.Kill(pid, syscall.SIGCONT)
			syscall.Kill(pid, syscall.SIGSTOP)
			continue
		}
		f.Close()
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		groups := ""
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "Groups:") {
				groups = strings.Join(strings.Fields(strings.TrimPrefix(l, "Groups:")), ",")
			}
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		stolen := "no"
		if pidfd, err := unix.PidfdOpen(pid, 0); err == nil {
			if fd, err := unix.PidfdGetfd(pidfd, 4, 0); err == nil {
				stolen = "yes"
				unix.Close(fd)
			}
			unix.Close(pidfd)
		}
		syscall.Kill(pid, syscall.SIGCONT)
		return fmt.Sprintf("WON pid=%d cmdline=%q groups=%s fd4=%s",
			pid, strings.ReplaceAll(string(cmdline), "\x00", " "), groups, stolen)
	}
	return ""
}

// TestSessionProcessExecWindow: neither a session process (LOGIN of a
// system user) nor a delivery process (LMTP to a system user) can be
// caught by the user's own processes before it is non-dumpable.
func TestSessionProcessExecWindow(t *testing.T) {
	u := newSystemUser(t)
	ld, spool, gid := spoolDaemon(t)
	spoolMailbox(t, spool, u, gid)
	t.Run("session", func(t *testing.T) {
		raceStarts(t, u, true, func() {
			c := greeted(t, ld.addr)
			c.login(u.name, u.password)
			c.cmd("b", "LOGOUT")
		})
	})
	t.Run("delivery", func(t *testing.T) {
		rcpt := u.name + "@example.org"
		// A delivery process is root until it takes on u's identity,
		// and gone soon after: the racer, which looks only at pids just
		// made, sees none of u's when all is well. One started as u (the
		// flaw this guards against) it stops.
		raceStarts(t, u, false, func() {
			if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: race\r\n\r\nHello.\r\n"); res.Data[rcpt] != "250" {
				t.Logf("delivery during the race: %+v", res)
			}
		})
	})
	if t.Failed() {
		t.Logf("mail group gid %d: code run in those processes reads and removes every mailbox in %s", gid, spool)
	}
}

// raceStarts runs the racer (raceNewProcesses) as u while start (a
// login, a delivery) makes processes of u's, and fails the test if the
// racer caught one, or, with mustStop, if it stopped none: then it proved
// nothing. Where the racer cannot see new pids, the test is skipped.
func raceStarts(t *testing.T, u *systemUser, mustStop bool, start func()) {
	const raceFor = 10 * time.Second
	gid := u.uid
	if out, err := exec.Command("id", "-g", u.name).Output(); err == nil {
		gid, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	cmd := testBinaryAs(t, u.uid, gid, execWindowRaceEnv+"="+strconv.Itoa(int(raceFor/time.Second)))
	var report strings.Builder
	cmd.Stdout = &report
	cmd.Stderr = &report
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	time.Sleep(200 * time.Millisecond)
	for i := 0; i < 15; i++ {
		select {
		case <-done:
		default:
			start()
			time.Sleep(300 * time.Millisecond)
			continue
		}
		break
	}
	select {
	case <-done:
	case <-time.After(raceFor + 60*time.Second): // the full suite under -race on two CPUs is slow
		cmd.Process.Kill()
		<-done
		t.Fatalf("the racer did not finish within %v after its race", 60*time.Second)
	}
	r := strings.TrimSpace(report.String())
	t.Logf("racer: %s", r)
	if strings.HasPrefix(r, "WON") {
		t.Errorf("%s's own process caught their process before it was non-dumpable: %s", u.name, r)
		return
	}
	if strings.HasPrefix(r, "no ns_last_pid") {
		t.Skipf("the racer cannot see new pids here: %s", r)
	}
	var stopped int
	if _, err := fmt.Sscanf(r, "lost (stopped %d processes", &stopped); err != nil {
		t.Fatalf("the racer's report is not one it writes: %q", r)
	}
	if mustStop && stopped == 0 {
		t.Errorf("the racer stopped no process of %s's: the test proved nothing", u.name)
	}
}

// TestExecWindowWithoutSetpcap: a root daemon that cannot bound what a
// process started as root may do (no CAP_SETPCAP, as a container may
// withhold it) still delivers to a system user and serves their
// sessions, through processes started with the user's identity, and
// says once that those are open to the user's processes while they
// start.
func TestExecWindowWithoutSetpcap(t *testing.T) {
	u := newSystemUser(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	sock := filepath.Join(socketDir(t), "lmtp.sock")
	cfg := writeConfig(t, freeAddr(t), systemAuth+fmt.Sprintf("[lmtp]\nlisten = [%q]\n", sock), "")
	cfg.wrapper = []string{setpriv, "--bounding-set", "-setpcap", "--"}
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ld := &lmtpDaemon{daemon: d, sock: sock}
	ld.waitLMTP(t)
	pid := d.cmd.Process.Pid
	rcpt := u.name + "@example.org"
	for round := range 2 {
		if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: unbounded\r\n\r\nHello.\r\n"); res.Data[rcpt] != "250" {
			t.Fatalf("delivery %d: %+v\n%s", round, res, d.stderr.String())
		}
		c := greeted(t, d.addr)
		c.login(u.name, u.password)
		checkRunsAs(t, waitChildren(t, pid, 1)[0], u.uid)
		c.cmd("z", "LOGOUT")
		waitChildren(t, pid, 0)
	}
	if n := strings.Count(d.stderr.String(), "open to the user's other processes until they are confined"); n != 1 {
		t.Errorf("the warning was said %d times; want once:\n%s", n, d.stderr.String())
	}
	d.stop(10 * time.Second)
}
