//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// OwnedByUs reports whether the file fi describes belongs to this
// process's user: a hard link to another user's file, or that file moved
// into a mailbox, would let that user change the message there under a
// fixed UID (and count it against their quota).
func OwnedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}

// Unlinkable reports whether err from link(2) means that this file
// cannot be linked there (another file system, a system or file system
// that refuses it), rather than a failure to report.
func Unlinkable(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.EXDEV, syscall.EPERM, syscall.EMLINK, syscall.EACCES, syscall.ENOTSUP:
		return true
	}
	return false
}
