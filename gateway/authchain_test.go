package gateway_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// refusingTCPPort returns a loopback port that refuses connections for
// the rest of the test: a socket is bound to it but never listens. A
// port merely free a moment ago may be taken meanwhile by any listener
// on this machine, the gateway's own among them, which would then answer
// the LDAP client.
func refusingTCPPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*syscall.SockaddrInet4).Port
}

// login connects and sends LOGIN, returning the tagged reply and the
// connection.
func login(t *testing.T, addr, name, password string) (string, net.Conn, *bufio.Reader) {
	t.Helper()
	g, c := greeting(t, addr)
	if !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	r := bufio.NewReader(c)
	return command(t, c, r, "a LOGIN "+quote(name)+" "+quote(password)), c, r
}

// TestChainOverIMAP logs in through a chain of users file, virtdomain and
// an LDAP server that is down: users of the first two log in; a name none
// of the up ones knows gets NO [UNAVAILABLE], which the throttle does not
// count, so that the address is not blocked however often it happens.
func TestChainOverIMAP(t *testing.T) {
	dir := t.TempDir()
	domains := filepath.Join(dir, "domains")
	os.Mkdir(domains, 0o700)
	home := filepath.Join(dir, "vmail", "ann")
	hash, err := auth.HashPassword("ann pw")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(domains, "example.org"), []byte("ann:"+hash+":::Ann:"+home+":\n"), 0o600)
	addr, password := runDir(t, dir, fmt.Sprintf(`create-home-dir = true
[auth]
authentication = ["users-file", "virtdomain", "ldap"]
login-failure-limit = 1
address-failure-limit = 2
[auth.virtdomain]
passwd-dir = %q
[auth.ldap]
url = "ldap://127.0.0.1:%d"
base = "dc=example,dc=org"
timeout = "2s"
`, domains, refusingTCPPort(t)))

	reply, c, r := login(t, addr, "ann@example.org", "ann pw")
	if !strings.HasPrefix(reply, "a OK") {
		t.Fatalf("virtdomain LOGIN: %q", reply)
	}
	if l := command(t, c, r, "b CREATE Lists"); !strings.HasPrefix(l, "b OK") {
		t.Fatalf("CREATE: %q", l)
	}
	if _, err := os.Stat(filepath.Join(home, "Lists")); err != nil {
		t.Errorf("the virtdomain user's folder is not in its home: %v", err)
	}

	reply, c, r = login(t, addr, "nobody", "x")
	for i := 0; ; i++ {
		if !strings.HasPrefix(reply, "a NO [UNAVAILABLE]") {
			t.Fatalf("unknown user with LDAP down, try %d: %q", i+1, reply)
		}
		if i == 3 {
			break
		}
		reply = command(t, c, r, "a LOGIN nobody x")
	}
	// Four failures with limits of 1 and 2 would have blocked the
	// address, had they counted.
	if l := command(t, c, r, "b LOGIN "+gateway.FirstUser+" "+quote(password)); !strings.HasPrefix(l, "b OK") {
		t.Fatalf("users-file LOGIN after the unavailable ones: %q", l)
	}
}

// TestSystemAccountOverIMAP logs in as a system account (useradd,
// chpasswd -c SHA512) through the system back-end: its folders live in
// $home/Mail, not in the home itself. Root only.
func TestSystemAccountOverIMAP(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("creating a system account needs root")
	}
	name := fmt.Sprintf("mggw%d", os.Getpid()%100000)
	home := filepath.Join(t.TempDir(), "home")
	if out, err := exec.Command("useradd", "-m", "-d", home, "-K", "UID_MIN=1000", name).CombinedOutput(); err != nil {
		t.Skipf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", "-r", name).Run() })
	cmd := exec.Command("chpasswd", "-c", "SHA512")
	cmd.Stdin = strings.NewReader(name + ":system pw\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chpasswd: %v: %s", err, out)
	}
	// In the gateway's process: a test binary cannot be a session
	// process (cmd/mailgate's TestSessionProcess tests those).
	addr := run(t, "session-process = \"never\"\n[auth]\nauthentication = [\"users-file\", \"system\"]\n")
	reply, c, r := login(t, addr, name, "system pw")
	if !strings.HasPrefix(reply, "a OK") {
		t.Fatalf("LOGIN: %q", reply)
	}
	if l := command(t, c, r, "b CREATE Lists"); !strings.HasPrefix(l, "b OK") {
		t.Fatalf("CREATE: %q", l)
	}
	if _, err := os.Stat(filepath.Join(home, "Mail", "Lists")); err != nil {
		t.Errorf("the folder is not in $home/Mail: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "Lists")); err == nil {
		t.Error("the folder was made in the home itself")
	}
}

// A configuration that lists "pam" in a build without it is refused at
// its line, saying which build has it.
func TestPAMNeedsItsBuild(t *testing.T) {
	if auth.PAMBuilt {
		t.Skip("this build has PAM")
	}
	cfg, err := config.Parse([]byte("data-dir = \""+t.TempDir()+"\"\n[auth]\nauthentication = [\"pam\"]\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	err = gateway.Check(cfg)
	if err == nil || !strings.Contains(err.Error(), "test.toml:3") || !strings.Contains(err.Error(), "-tags pam") {
		t.Errorf("Check: %v, want a problem at test.toml:3 naming -tags pam", err)
	}
}
