package gateway

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNeverDumpableAsTheUser checks that a process started as
// root is not dumpable at any moment once it is the user's, whatever
// fs.suid_dumpable says: with suid_dumpable = 1 the kernel makes it
// dumpable again at setresuid, and until confine() runs the user's
// processes can stop it, open /proc/PID/mem and ptrace it (review S1
// again, with the control socket and the mail group). It sets
// fs.suid_dumpable to 1 for the length of one child process, and puts
// the old value back.
func TestNeverDumpableAsTheUser(t *testing.T) {
	if os.Getenv("MAILGATE_TEST_DUMPABLE_CHILD") == "1" {
		dumpableChild()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const knob = "/proc/sys/fs/suid_dumpable"
	old, err := os.ReadFile(knob)
	if err != nil {
		t.Skip(err)
	}
	if err := os.WriteFile(knob, []byte("1\n"), 0); err != nil {
		t.Skip(err)
	}
	defer os.WriteFile(knob, old, 0)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNeverDumpableAsTheUser$")
	cmd.Env = append(os.Environ(), "MAILGATE_TEST_DUMPABLE_CHILD=1")
	out, err := cmd.CombinedOutput()
	os.WriteFile(knob, old, 0)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res string
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "DUMPABLE="); ok {
			res = v
		}
	}
	if res == "" {
		t.Fatalf("child said nothing:\n%s", out)
	}
	if res != "0" {
		t.Errorf("after takeIdentity, before confine, the process was the user's and dumpable (%s)", res)
	}
}

// dumpableChild is the process started as root: undumpable first, as
// a warm or delivery process, then takeIdentity; it prints whether it is
// dumpable right after (the moment before confine).
func dumpableChild() {
	if err := undumpable(); err != nil {
		os.Stdout.WriteString("ERR " + err.Error() + "\n")
		os.Exit(2)
	}
	if err := takeIdentity(identityMessage{UID: 65534, GID: 65534}); err != nil {
		os.Stdout.WriteString("ERR " + err.Error() + "\n")
		os.Exit(2)
	}
	if r, e, s := unix.Getresuid(); r != 65534 || e != 65534 || s != 65534 {
		os.Stdout.WriteString("ERR uids " + strconv.Itoa(r) + " " + strconv.Itoa(e) + " " + strconv.Itoa(s) + "\n")
		os.Exit(2)
	}
	d, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	os.Stdout.WriteString("DUMPABLE=" + strconv.Itoa(d) + "\n")
	os.Exit(0)
}
