//go:build unix && !linux

package mh

import (
	"os"
	"syscall"
)

// fileIDs returns what identifies a file beyond its size and
// modification time: its inode number (the change time is not read
// here).
func fileIDs(fi os.FileInfo) (ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), 0
	}
	return 0, 0
}
