//go:build unix

package auth

import (
	"fmt"
	"os"
	"syscall"
)

// lockPath takes an exclusive flock(2) on "<path>.lock", waiting for
// another process (or goroutine) that holds it to finish, and returns the
// function that releases it. The lock file stays; the kernel drops the
// lock if the process dies.
func lockPath(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

// keepOwner gives f the owner and group of old where the process may (as
// root), so that "mailgate user add" run by root leaves the file readable by
// the service's own user. Elsewhere it does nothing.
func keepOwner(f *os.File, old os.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid)) // best effort: only root may give a file away
	}
}

// fileOwner returns the uid that owns the file of fi.
func fileOwner(fi os.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// openNoFollow opens path for reading, refusing a symbolic link (ELOOP)
// and never blocking on a FIFO.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}
