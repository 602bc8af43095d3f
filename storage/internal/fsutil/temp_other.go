//go:build !unix

package fsutil

// processRunning reports true: where kill(2) is missing, no process is
// known to be gone, and no temporary file is ever removed as stale.
func processRunning(pid int) bool { return true }

// noFollow is 0 where open has no O_NOFOLLOW; O_EXCL still refuses a
// symbolic link at the name.
const noFollow = 0
