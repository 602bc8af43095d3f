//go:build linux

package mh

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobodyID is the uid and gid that runAsOtherUser runs a test as.
const nobodyID = 65534

// runAsOtherUser runs the calling test once more, alone, in a copy of
// the test binary as uid and gid 65534 when this process is root (as in
// CI), where permissions do not hold, and reports whether it did: the
// caller then returns. The child gets env too. Its output is logged,
// and its failure fails the test. As any other user it reports false, and the test
// runs here.
func runAsOtherUser(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to run as another user: %v", err)
	}
	// The go tool's build directory is root's alone: the copy and the
	// child's temporary files go where uid 65534 may go.
	dir, err := os.MkdirTemp("", "mh-otheruser")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tmp := filepath.Join(dir, "tmp")
	bin := filepath.Join(dir, "mh.test")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		copyFile(exe, bin),
		os.Chmod(dir, 0o755), os.Chmod(bin, 0o755),
		os.Chown(tmp, nobodyID, nobodyID),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run", "^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Dir = tmp
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp, "HOME="+tmp), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: nobodyID, Gid: nobodyID, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	t.Logf("as uid %d:\n%s", nobodyID, out)
	switch {
	case err != nil:
		t.Errorf("%s as uid %d: %v", t.Name(), nobodyID, err)
	case strings.Contains(string(out), "--- SKIP"):
		t.Skipf("skipped as uid %d", nobodyID)
	case !strings.Contains(string(out), "--- PASS: "+t.Name()):
		t.Errorf("%s did not run as uid %d", t.Name(), nobodyID)
	}
	return true
}

// copyFile copies the file at src to a new file dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
