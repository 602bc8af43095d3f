//go:build !linux

package fsutil

import "os"

// Identity returns what tells the file or directory at path from another
// put at the same path later: here its device and inode number, where
// the system tells them. ok is false when path cannot be read.
func Identity(path string) (id [4]uint64, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return id, false
	}
	dev, ino, _ := FileIDs(fi)
	return [4]uint64{dev, ino}, true
}

// Generation returns 0: no inode generation is known here.
func Generation(f *os.File) uint32 { return 0 }
