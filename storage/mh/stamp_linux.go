package mh

import (
	"os"
	"syscall"
)

// fileIDs returns what identifies a file beyond its size and
// modification time: its inode number and change time.
func fileIDs(fi os.FileInfo) (ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, st.Ctim.Nano()
	}
	return 0, 0
}
