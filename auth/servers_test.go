package auth

// Real servers from Debian, started on loopback by the tests that need
// them: PostgreSQL, MariaDB, slapd and FreeRADIUS. A test whose server is
// not installed skips, naming the package to install (in CI it fails:
// internal/needs).

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// needPrograms skips t (in CI, fails it) unless every program is
// installed; pkg is the Debian package that brings them.
func needPrograms(t *testing.T, pkg string, programs ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, p := range programs {
		path, err := exec.LookPath(p)
		if err != nil {
			// Debian keeps the PostgreSQL server programs under a
			// versioned directory that is not on PATH.
			dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
			for _, dir := range append([]string{"/usr/sbin"}, dirs...) {
				if _, err2 := os.Stat(filepath.Join(dir, p)); err2 == nil {
					path, err = filepath.Join(dir, p), nil
				}
			}
		}
		if err != nil {
			needs.Missing(t, "%s is not installed (apt-get install %s)", p, pkg)
		}
		paths[p] = path
	}
	return paths
}

// serverDir makes a directory for a server's files, owned by account when
// the test runs as root (servers that refuse to run as root), and removed
// at the end. It is outside t.TempDir(), whose parents only root may
// enter.
func serverDir(t *testing.T, prefix, account string) (dir string, uid, gid int) {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailgate-"+prefix+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uid, gid = os.Getuid(), os.Getgid()
	if os.Getuid() == 0 && account != "" {
		u, err := user.Lookup(account)
		if err != nil {
			needs.Missing(t, "the %s account is missing: %v", account, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	return dir, uid, gid
}

// freePort returns a port that was free on 127.0.0.1 a moment ago, for
// servers that cannot be told to pick one themselves.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs a set-up command, failing t with its output on error.
func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// asAccount makes cmd run as uid and gid when the test is root.
func asAccount(cmd *exec.Cmd, uid, gid int) *exec.Cmd {
	if os.Getuid() == 0 && uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	return cmd
}

// startServer starts a server in the foreground of its own process group,
// logging to dir/name.log, and stops it (SIGTERM, then SIGKILL) at the
// end of the test.
func startServer(t *testing.T, dir, name string, cmd *exec.Cmd) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, tail(string(out), 3000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitReady polls ready until it is true, failing t if the server does
// not come up within a minute (a readiness wait, not a timing check).
func waitReady(t *testing.T, what string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tcpReady tells whether something listens on addr.
func tcpReady(addr string) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}
