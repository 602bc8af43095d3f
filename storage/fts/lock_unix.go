//go:build unix

package fts

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f: one writer at a time.
func lockFile(f *os.File) (unlock func(), err error) {
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	// Through f, not fd: f may be closed by then (its lock went with
	// it: the log was replaced), and fd given to another file.
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}

// inodeOf returns the inode number of a file: a file replaced by
// another process has a new one.
func inodeOf(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}

// ownFile reports whether f belongs to the process's effective user.
func ownFile(f *os.File) bool {
	st, err := f.Stat()
	if err != nil {
		return false
	}
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Geteuid()
}
