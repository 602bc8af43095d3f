//go:build unix

package fsutil

import (
	"errors"
	"syscall"
)

// processRunning reports whether a process with this pid runs on this
// host (as far as kill(2) with signal 0 tells; a process of another user
// counts, and so does one that has exited but is not yet reaped).
func processRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW
