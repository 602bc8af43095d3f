//go:build !unix

package maildir

// lockDir does nothing where flock(2) is missing: there, only one process
// may use a maildir at a time.
func lockDir(dir string, shared bool) (unlock func(), err error) {
	return func() {}, nil
}
