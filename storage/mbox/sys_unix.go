//go:build unix

package mbox

import (
	"errors"
	"fmt"
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
// belongs to this descriptor only. Beside an open file description lock
// it also takes an flock(2) lock where the two are independent
// (flockBeside), so that programs that lock only with flock (Dovecot with
// mbox_write_locks = flock, Exim's use_flock_lockfile, c-client, flock(1))
// keep us out and see us. ok is false when another process holds a
// conflicting lock of either kind; then neither is held.
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
		case err == nil && flockBeside && cmd == ofdSetLock:
			return flockToo(f, write)
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
		return false, fmt.Errorf("fcntl: %w", err)
	}
}

// flockToo tries once to take an flock(2) lock on f, which holds an open
// file description lock already: exclusive when write is set, shared
// otherwise. When another holds a conflicting flock, it drops the fcntl
// lock too and reports false, so that nothing is held between tries.
//
// Only beside an open file description lock: on NFS, Linux emulates flock
// with a POSIX lock on the server, owned by the open file description as
// ours is, so the server takes the two for one owner's and they cannot
// conflict. A classic POSIX lock belongs to the process instead, and the
// server would refuse our own flock against it on every try.
//
// A file system that has no flock (ENOLCK, EOPNOTSUPP, EINVAL) is locked
// by the fcntl lock alone, as before flock was taken.
func flockToo(f *os.File, write bool) (ok bool, err error) {
	how := unix.LOCK_SH
	if write {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOLCK) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL):
			return true, nil
		}
		kernelUnlock(f)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("flock: %w", err)
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
	if flockBeside {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
	}
}
