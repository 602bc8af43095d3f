//go:build unix

package mh

import (
	"os"

	"golang.org/x/sys/unix"
)

// posixLock takes a POSIX record lock on the whole file, as nmh does.
func posixLock(f *os.File) error {
	return unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &unix.Flock_t{Type: unix.F_WRLCK})
}
