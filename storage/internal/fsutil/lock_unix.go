//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// LockDir takes an flock(2) on a mailbox directory itself: exclusive to
// give out UIDs or message numbers and to rewrite metadata, shared to read
// the directory. So mailgate processes sharing a mailbox give numbers one
// at a time, and a scan never sees a message without the ones given lower
// numbers before it. It needs no lock file of its own.
func LockDir(dir string, shared bool) (unlock func(), err error) {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	fd := int(d.Fd())
	for {
		err = syscall.Flock(fd, how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(fd, syscall.LOCK_UN)
		d.Close()
	}, nil
}
