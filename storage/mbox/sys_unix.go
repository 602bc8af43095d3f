//go:build unix

package mbox

import (
	"errors"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Flags that openRegular and createOwn add: never follow a symbolic
// link in the last component, and never wait in open(2) for a FIFO's
// other end.
const (
	noFollow = unix.O_NOFOLLOW
	nonBlock = unix.O_NONBLOCK
)

// kernelLock tries once to take an fcntl(2) lock on the whole file:
// exclusive when write is set, shared otherwise. It uses an open file
// description lock where the system has one (ofdSetLock), which conflicts
// with the classic POSIX locks that mutt, procmail and Postfix take, but
// belongs to this descriptor only. ok is false when another process holds
// a conflicting lock.
func kernelLock(f *os.File, write bool) (ok bool, err error) {
	lk := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
	if write {
		lk.Type = unix.F_WRLCK
	}
	cmd := ofdSetLock
	if cmd == 0 {
		cmd = unix.F_SETLK
	}
	fd := f.Fd()
	for {
		err = unix.FcntlFlock(fd, cmd, &lk)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES):
			return false, nil
		case errors.Is(err, unix.EINVAL) && cmd != unix.F_SETLK:
			cmd = unix.F_SETLK // a kernel without OFD locks
			continue
		}
		return false, err
	}
}

// pidAlive reports whether a process with this pid exists.
func pidAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// fileOwner returns the owner and group of a file.
func fileOwner(fi os.FileInfo) (uid, gid int, ok bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid), true
	}
	return 0, 0, false
}

// kernelUnlock drops a lock that kernelLock took on a file that stays
// open.
func kernelUnlock(f *os.File) {
	lk := unix.Flock_t{Type: unix.F_UNLCK, Whence: io.SeekStart}
	cmd := ofdSetLock
	if cmd == 0 {
		cmd = unix.F_SETLK
	}
	if unix.FcntlFlock(f.Fd(), cmd, &lk) != nil && cmd != unix.F_SETLK {
		unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk)
	}
}
