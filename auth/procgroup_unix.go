//go:build unix

package auth

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd the leader of a new process group, and its
// cancellation kill the whole group: a shell script's children go too.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
