package fsutil

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

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
// file system records them, its birth time and inode generation. ext4
// hands a freed inode number out again at once, and its coarse clock may
// give the new one the same birth time; the generation is new each time.
// ok is false when path cannot be read.
func Identity(path string) (id [4]uint64, ok bool) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_INO|unix.STATX_BTIME, &stx); err != nil {
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			return id, false
		}
		// A kernel before 4.11, or a seccomp filter that refuses
		// statx: the device and inode alone.
		fi, err := os.Stat(path)
		if err != nil {
			return id, false
		}
		dev, ino, _ := FileIDs(fi)
		return [4]uint64{dev, ino}, true
	}
	id[0] = unix.Mkdev(stx.Dev_major, stx.Dev_minor)
	id[1] = stx.Ino
	if stx.Mask&unix.STATX_BTIME != 0 {
		id[2] = uint64(stx.Btime.Sec)<<32 ^ uint64(stx.Btime.Nsec)
	}
	id[3] = generation(path)
	return id, true
}

// fsIocGetVersion is FS_IOC_GETVERSION, _IOR('v', 1, long).
const fsIocGetVersion = 0x80007601 | uint(unsafe.Sizeof(uintptr(0)))<<16

// generation returns the inode generation of the file at path, or 0
// where the file system keeps none (tmpfs) or it cannot be opened
// without blocking or following a link.
func generation(path string) uint64 {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	return uint64(generationOf(fd))
}

// Generation returns the inode generation of the open file f: ext4, xfs
// and btrfs give each inode a new one when they hand its number out
// again, so that a file created under a removed file's inode number is
// told from it. It is 0 where the file system keeps none (tmpfs) or the
// call fails.
func Generation(f *os.File) uint32 {
	conn, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	var g uint32
	if err := conn.Control(func(fd uintptr) { g = generationOf(int(fd)) }); err != nil {
		return 0
	}
	return g
}

// generationOf is Generation of the open file descriptor fd.
func generationOf(fd int) uint32 {
	g, err := unix.IoctlGetInt(fd, fsIocGetVersion)
	if err != nil {
		return 0
	}
	return uint32(g)
}
