package mbox

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ofdSetLock is the fcntl command for an open file description lock.
const ofdSetLock = unix.F_OFD_SETLK

// flockBeside is true: on Linux flock(2) and fcntl(2) locks do not see
// each other (but on NFS, see flockToo), so kernelLock takes both.
const flockBeside = true

// unusedElsewhere reports whether a replaced mailbox file, open here
// read-only, can no longer be written: it has no name left (no link), and
// no process has it open for writing, which the kernel tells by granting
// a read lease (fcntl F_SETLEASE), dropped at once. A file without a name
// cannot be opened again, so nothing can be written into it any more.
// Where leases are refused (another owner without CAP_LEASE, file systems
// without them) it reports false.
func unusedElsewhere(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Nlink != 0 {
		return false
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_RDLCK); err != nil {
		return false
	}
	unix.FcntlInt(f.Fd(), unix.F_SETLEASE, unix.F_UNLCK)
	return true
}

// rewriteNice is the CPU priority (nice value) of a rewrite's copying,
// so that it gives way to the sessions it runs beside.
const rewriteNice = 10

// inBackground runs fn on an operating-system thread of its own at a
// lower CPU priority (rewriteNice), and waits for it. The thread ends
// with fn, taking its priority with it (an unprivileged process could
// not raise it back).
func inBackground(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the runtime ends the thread with the goroutine.
		runtime.LockOSThread()
		tid := unix.Gettid()
		if tid == unix.Getpid() {
			// The main thread cannot end (it would stay wedged): keep
			// it, so that fn goes to another thread.
			defer runtime.UnlockOSThread()
			inBackground(fn)
			return
		}
		// The system call gives 20 - nice. Never raise the priority
		// of a server that runs niced already.
		if p, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil && 20-p < rewriteNice {
			unix.Setpriority(unix.PRIO_PROCESS, tid, rewriteNice)
		}
		fn()
	}()
	<-done
}

// bootID identifies the running boot of the system (Linux's boot_id), or
// is empty when it cannot be read.
var bootID = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
})

// syncData makes the data written to f durable, and its size, but not
// its times (fdatasync(2)).
func syncData(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// openUnnamed creates a file without a name in dir (O_TMPFILE), which
// goes with its last descriptor; it fails where the kernel or dir's file
// system has none.
func openUnnamed(dir string, perm os.FileMode) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm))
	if err != nil {
		return nil, &os.PathError{Op: "open O_TMPFILE", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), nil
}
