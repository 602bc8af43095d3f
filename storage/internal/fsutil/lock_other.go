//go:build !unix

package fsutil

// LockDir does nothing where flock(2) is missing: there, only one process
// may use a mailbox at a time.
func LockDir(dir string, shared bool) (unlock func(), err error) {
	return func() {}, nil
}
