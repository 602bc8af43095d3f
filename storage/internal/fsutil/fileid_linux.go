package fsutil

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
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

// Identity returns what tells the file or directory at path from another
// put at the same path later: its device, inode number and, where the
// file system records it, its birth time (ext4, XFS and btrfs hand a
// freed inode number out again at once; the birth time is new). ok is
// false when path cannot be read.
func Identity(path string) (id [3]uint64, ok bool) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_INO|unix.STATX_BTIME, &stx); err != nil {
		return id, false
	}
	id[0] = unix.Mkdev(stx.Dev_major, stx.Dev_minor)
	id[1] = stx.Ino
	if stx.Mask&unix.STATX_BTIME != 0 {
		id[2] = uint64(stx.Btime.Sec)<<32 ^ uint64(stx.Btime.Nsec)
	}
	return id, true
}
