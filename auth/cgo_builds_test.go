//go:build !libcrypt && !pam

package auth

import (
	"os"
	"os/exec"
	"testing"

	"github.com/mailgate/mailgate/internal/needs"
)

// TestCgoBuilds runs this package's tests again in the build with
// -tags "libcrypt pam", which verifies yescrypt ($y$, Debian 12's default)
// through crypt(3) and logs in through PAM. The default build stays pure
// Go, so without this test the project's one test command would never
// compile or run the cgo back-ends. It skips, naming what is missing,
// where the C headers or the go command are not there.
func TestCgoBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package again with cgo")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	for header, pkg := range map[string]string{
		"/usr/include/crypt.h":             "libcrypt-dev",
		"/usr/include/security/pam_appl.h": "libpam0g-dev",
	} {
		if _, err := os.Stat(header); err != nil {
			needs.Missing(t, "%s is missing (apt-get install %s)", header, pkg)
		}
	}
	cmd := exec.Command(goCmd, "test", "-count=1", "-tags", "libcrypt pam",
		"-run", "TestPAM|TestSystem|TestCrypt|TestVerify", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -tags \"libcrypt pam\": %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
