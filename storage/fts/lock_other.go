//go:build !unix

package fts

import "os"

// lockFile does nothing where flock(2) is missing: one process only.
func lockFile(f *os.File) (unlock func(), err error) { return func() {}, nil }

// inodeOf is 0 where there are no inode numbers: a replaced file is not
// noticed, which one process alone never does.
func inodeOf(st os.FileInfo) uint64 { return 0 }

// ownFile is true where files have no owners.
func ownFile(f *os.File) bool { return true }
