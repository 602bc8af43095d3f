//go:build unix

package maildir

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an flock(2) on the maildir directory itself: exclusive to
// allocate UIDs and keyword letters and to rename new messages into place,
// shared to read the directories. So mailgate processes sharing a maildir
// give UIDs one at a time, and a scan never sees a message without the
// ones given lower UIDs before it. It needs no lock file of its own.
func lockDir(dir string, shared bool) (unlock func(), err error) {
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
