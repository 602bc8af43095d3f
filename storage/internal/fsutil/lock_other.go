//go:build !unix

package fsutil

import "os"

// LockDir does nothing where flock(2) is missing: there, only one process
// may use a mailbox at a time.
func LockDir(dir string, shared bool) (unlock func(), err error) {
	return func() {}, nil
}

// OpenLocked opens (creating it with mode perm) the file at path; where
// flock(2) is missing it takes no lock.
func OpenLocked(path string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, perm)
}
