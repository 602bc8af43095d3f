package maildir

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// renameat renames from to to inside the directory fd. It builds the two
// NUL-terminated names in *buf, which it keeps for the next call, where
// unix.Renameat allocates a copy of each name per call: two of the five
// allocations per message that a STORE on 10,000 messages made.
func renameat(fd int, from, to string, buf *[]byte) error {
	if strings.IndexByte(from, 0) >= 0 || strings.IndexByte(to, 0) >= 0 {
		return unix.EINVAL
	}
	b := append((*buf)[:0], from...)
	b = append(b, 0)
	k := len(b)
	b = append(b, to...)
	b = append(b, 0)
	*buf = b
	// renameat2(2) with no flags is renameat(2), which some
	// architectures lack.
	_, _, errno := unix.Syscall6(unix.SYS_RENAMEAT2, uintptr(fd), uintptr(unsafe.Pointer(&b[0])),
		uintptr(fd), uintptr(unsafe.Pointer(&b[k])), 0, 0)
	switch errno {
	case 0:
		return nil
	case unix.ENOSYS, unix.EPERM:
		// ENOSYS before Linux 3.15; EPERM from a seccomp filter that
		// knows renameat(2) but not renameat2(2) (the default answer of
		// Docker's and systemd's filters): renameat(2) says what a
		// rename that is really not permitted says.
		return unix.Renameat(fd, from, fd, to)
	}
	return errno
}
