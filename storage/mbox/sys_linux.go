package mbox

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ofdSetLock is the fcntl command for an open file description lock.
const ofdSetLock = unix.F_OFD_SETLK

// fileIDs returns what identifies a file's content beyond its size and
// modification time: device, inode and change time.
func fileIDs(fi os.FileInfo) (dev, ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino, st.Ctim.Nano()
	}
	return 0, 0, 0
}
