// Package needs lets a test say that a program or file it needs from the
// machine is missing. Outside CI the test skips, saying what to install;
// in CI (the environment variable CI set, as .ci/run sets it), which
// installs all of them, a missing one means the installation failed, and
// the test fails rather than hide it.
package needs

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: CI is set to anything but ""
// or "false".
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// Missing ends tb for want of what the message, formatted as fmt.Sprintf
// does, names: a skip, or in CI a failure.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (CI installs it: see .ci/run)", msg)
		return
	}
	tb.Skip(msg)
}
