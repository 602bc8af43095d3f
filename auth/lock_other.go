//go:build !unix

package auth

import "os"

// lockPath does nothing where flock(2) is missing: concurrent edits may
// then lose one another's change.
func lockPath(string) (func(), error) { return func() {}, nil }

// keepOwner does nothing where files have no Unix owner.
func keepOwner(*os.File, os.FileInfo) {}
