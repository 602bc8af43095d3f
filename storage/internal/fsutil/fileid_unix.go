//go:build unix && !linux

package fsutil

import (
	"os"
	"syscall"
)

// FileIDs returns the device and inode number of a file; the change
// time, whose field's name differs between these systems, is zero.
func FileIDs(fi os.FileInfo) (dev, ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino), 0
	}
	return 0, 0, 0
}
