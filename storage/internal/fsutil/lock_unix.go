//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
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
// the file to release the lock. Only a regular file is opened: a FIFO or
// a device planted under the name gives ErrNotRegular rather than an
// open(2) that never returns (its callers hold the mailbox meanwhile).
// It opens the file with open(2) itself rather than os.OpenFile, which
// for a regular file tries the network poller first and puts the
// descriptor back in blocking mode: four system calls of the ten a cold
// SELECT made for its modseq file's header.
func OpenLocked(path string, perm os.FileMode) (*os.File, error) {
	fd, _, err := openRegularFD(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW, uint32(perm.Perm()))
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}
