//go:build unix

package storage

import (
	"os"
	"syscall"
)

// lockPath takes an exclusive lock (flock) on the file at path, creating
// it, so that mailgate processes serving the same user take turns; the
// returned function releases it.
func lockPath(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
