package fsutil

import (
	"os"
	"syscall"
)

// FileIDs returns what identifies a file's content beyond its size and
// modification time: its device, inode number and change time (zero
// where the system does not tell). A file replaced by another (a rename
// over it) has another inode or, when the file system hands the freed
// number out again, a later change time.
func FileIDs(fi os.FileInfo) (dev, ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino, st.Ctim.Nano()
	}
	return 0, 0, 0
}
