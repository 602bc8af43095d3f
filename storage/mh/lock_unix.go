//go:build unix

package mh

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// seqLockWait is how long lockSeqFile waits for nmh to let go of
// .mh_sequences; nmh itself gives up after about five seconds.
var seqLockWait = 10 * time.Second

// lockSeqFile opens .mh_sequences in dir and takes the fcntl(2) lock that
// nmh's default "datalocking: fcntl" takes on it: a write lock (creating
// the file with mode perm when missing) or a read lock. nmh holds its
// lock from reading the file until it has rewritten it in place, and
// opens the file again each time it tries, so that mailgate's writes by
// rename are safe: after locking, lockSeqFile checks that the file it
// locked is still the one at the path. A missing file under a read lock
// gives (nil, nil). Closing the file releases the lock.
func lockSeqFile(dir string, write bool, perm os.FileMode) (*os.File, error) {
	path := dir + string(os.PathSeparator) + seqFile
	// Never follow a symbolic link or wait on a FIFO put in its place.
	flag, typ := os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, int16(unix.F_RDLCK)
	if write {
		flag, typ = os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, unix.F_WRLCK
	}
	deadline := time.Now().Add(seqLockWait)
	for {
		f, err := os.OpenFile(path, flag, perm)
		if !write && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if errors.Is(err, syscall.ELOOP) {
			err = fsutil.ErrNotRegular
		}
		if err != nil {
			return nil, err
		}
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, cmp.Or(err, fsutil.ErrNotRegular)
		}
		lk := unix.Flock_t{Type: typ, Whence: 0}
		err = unix.FcntlFlock(f.Fd(), setLock, &lk)
		if err == nil {
			same, serr := sameFile(f, path)
			if serr == nil && same {
				return f, nil
			}
			f.Close()
			switch {
			case serr != nil && !errors.Is(serr, fs.ErrNotExist):
				return nil, serr
			case serr != nil && !write:
				return nil, nil // removed meanwhile
			}
			continue // replaced meanwhile: lock the new file
		}
		f.Close()
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s is locked by another program: %w", seqFile, storage.ErrInUse)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sameFile reports whether the open file f is still the file at path.
func sameFile(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}
