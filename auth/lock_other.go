//go:build !unix

package auth

import (
	"errors"
	"os"
)

// lockPath does nothing where flock(2) is missing: concurrent edits may
// then lose one another's change.
func lockPath(string) (func(), error) { return func() {}, nil }

// keepOwner does nothing where files have no Unix owner.
func keepOwner(*os.File, os.FileInfo) {}

// fileOwner reports no owner where files have no Unix owner.
func fileOwner(os.FileInfo) (uid int, ok bool) { return 0, false }

// openNoFollow opens path for reading, refusing a symbolic link.
func openNoFollow(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, errors.New("a symbolic link")
	}
	return os.Open(path)
}
