package main_test

// A session process runs as its user. The user's other processes must
// not reach into it (it is non-dumpable), and what it sends the root
// daemon must not make the daemon run anything as anyone else: a local
// user took their session process's control socket with pidfd_getfd and
// sent a hibernation naming another uid, gid 0 and another home, and the
// daemon started the next session process as that uid, in group root
// (review D1, d1_exploit.py).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stealEnv asks this test binary (TestMain) to take descriptor FD of
// process PID ("PID:FD") with pidfd_getfd, and say how it went on
// standard output.
const stealEnv = "MAILGATE_TEST_STEAL_FD"

// stealControlSocket is this test binary run with stealEnv: it prints
// "ok" when it took the descriptor, else the error, and exits 0.
func stealControlSocket(spec string) int {
	pidText, fdText, _ := strings.Cut(spec, ":")
	pid, _ := strconv.Atoi(pidText)
	fd, _ := strconv.Atoi(fdText)
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err == nil {
		var stolen int
		if stolen, err = unix.PidfdGetfd(pidfd, fd, 0); err == nil {
			unix.Close(stolen)
		}
	}
	if err != nil {
		fmt.Println(err)
	} else {
		fmt.Println("ok")
	}
	return 0
}

// stealAsUser runs this test binary as uid and gid to take descriptor fd
// of process pid, and returns its report: "ok" or the error.
func stealAsUser(t *testing.T, uid, gid, pid, fd int) string {
	t.Helper()
	cmd := testBinaryAs(t, uid, gid, fmt.Sprintf("%s=%d:%d", stealEnv, pid, fd))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running the test binary as uid %d: %v\n%s", uid, err, out)
	}
	return strings.TrimSpace(string(out))
}

// testBinaryAs is this test binary (a copy readable by every user,
// beside the mailgate binary), to run as uid and gid with env alone as
// its environment, which tells it what to do instead of testing.
func testBinaryAs(t *testing.T, uid, gid int, env string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(filepath.Dir(mailgateBin), "asuser.test")
	if _, err := os.Stat(cp); err != nil {
		in, err := os.Open(self)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		out, err := os.OpenFile(cp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(cp, "-test.run=^$")
	cmd.Dir = "/"
	cmd.Env = []string{env}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	return cmd
}

// TestHibernationCannotChangeUser replays the exploit. The user, from a
// process of their own, cannot take the session process's control
// socket (non-dumpable). Root can, standing for a user who got it all
// the same (a daemon that cannot bound capabilities starts session
// processes as the user, dumpable until they confine themselves; or
// fs.suid_dumpable is 1): the daemon refuses the forged hibernation,
// ends the session and says so in its log, and no process runs as the
// other uid or in group root.
func TestHibernationCannotChangeUser(t *testing.T) {
	u := newSystemUser(t)
	pw, err := user.Lookup(u.name)
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(pw.Gid)
	d := startDaemon(t, systemAuth, "")
	pid := d.cmd.Process.Pid
	c := greeted(t, d.addr)
	c.login(u.name, u.password)
	kid := waitChildren(t, pid, 1)[0]
	// Served by the session process: it has made itself non-dumpable.
	if l := c.cmd("n", "NOOP"); !strings.HasPrefix(l[len(l)-1], "n OK") {
		t.Fatalf("NOOP: %q", l)
	}
	ctl := controlSocketOf(t, kid)

	if got := stealAsUser(t, u.uid, gid, kid, ctl); got != unix.EPERM.Error() {
		t.Errorf("%s's own process took the control socket of their session process (pidfd_getfd): %s", u.name, got)
	}
	if st, err := os.Stat(fmt.Sprintf("/proc/%d/mem", kid)); err != nil || st.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Errorf("/proc/%d/mem of a non-dumpable process belongs to root: %v", kid, err)
	}

	pidfd, err := unix.PidfdOpen(kid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, ctl, 0)
	if err != nil {
		t.Fatalf("pidfd_getfd as root: %v", err)
	}
	f := os.NewFile(uintptr(fd), "stolen control socket")
	defer f.Close()
	const otherUID = 54321
	forged := map[string]any{
		"op": "hibernate",
		"state": map[string]any{"id": 99, "remote": "127.0.0.1:1",
			"user": map[string]any{"Name": u.name, "UID": otherUID, "GID": 0, "Home": t.TempDir()}},
		"watch": []string{t.TempDir()},
	}
	enc := json.NewEncoder(f)
	if err := enc.Encode(forged); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(map[string]any{"op": "commit", "pending": []byte("z NAMESPACE\r\n")}); err != nil && !errors.Is(err, syscall.EPIPE) {
		t.Fatal(err)
	}
	if l, err := c.line(3 * time.Second); err != nil || !strings.HasPrefix(l, "* BYE") {
		t.Errorf("after a forged hibernation: %q, %v; want the session ended with * BYE", l, err)
		// As the exploit went on: LOGOUT ends the session process, and
		// the daemon would wake the hibernation it was sent.
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c.conn, "b LOGOUT\r\n")
	}
	logged := regexp.MustCompile(`hibernation names someone else.* pid=` + strconv.Itoa(kid) + `\b`)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, k := range sessions(pid) {
			st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", k))
			if err != nil {
				continue
			}
			s := string(st)
			if strings.Contains(s, fmt.Sprintf("\nUid:\t%d\t", otherUID)) || strings.Contains(s, "\nGid:\t0\t") && !strings.Contains(s, "\nUid:\t0\t") {
				t.Fatalf("after a forged hibernation from %s's session process, the daemon runs a session process as:\n%s",
					u.name, s[strings.Index(s, "Uid:"):strings.Index(s, "FDSize:")])
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := d.stderr.String(); !logged.MatchString(s) || !strings.Contains(s, "conn=") {
		t.Errorf("the daemon's log does not name the session and process %d:\n%s", kid, s)
	}
}

// controlSocketOf returns the descriptor of session process pid's unix
// socket to the daemon (the client's connection is TCP).
func controlSocketOf(t *testing.T, pid int) int {
	t.Helper()
	unixInodes := map[string]bool{}
	b, rerr := os.ReadFile("/proc/net/unix")
	if rerr != nil {
		t.Fatal(rerr)
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 6 {
			unixInodes[f[6]] = true
		}
	}
	ents, derr := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if derr != nil {
		t.Fatal(derr)
	}
	for _, e := range ents {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); ok && unixInodes[strings.TrimSuffix(ino, "]")] {
			n, _ := strconv.Atoi(e.Name())
			return n
		}
	}
	t.Fatalf("session process %d has no unix socket", pid)
	return -1
}
