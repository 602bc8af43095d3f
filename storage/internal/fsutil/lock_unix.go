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

// OpenLocked opens (creating it with mode perm) the file at path, not
// following a symbolic link, and takes an exclusive flock(2) on it; close
// the file to release the lock.
func OpenLocked(path string, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, perm)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
