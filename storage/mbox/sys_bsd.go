//go:build unix && !linux

package mbox

import (
	"errors"
	"os"
)

// ofdSetLock is zero where the system has no open file description locks:
// kernelLock then takes a classic POSIX lock, which any close of another
// descriptor of the same file in this process would drop; the Folder
// keeps only one descriptor of the file open while it holds the lock.
const ofdSetLock = 0

// flockBeside is false: on the BSDs, macOS and Solaris flock(2) and
// fcntl(2) locks are one kind of lock, so the fcntl lock already keeps out a program that
// takes flock, and an flock next to it would conflict with our own fcntl
// lock.
const flockBeside = false

// unusedElsewhere cannot tell here whether another process has a replaced
// file open for writing: replaced files are watched for retiredFor.
func unusedElsewhere(f *os.File) bool { return false }

// inBackground runs fn: a thread's own priority cannot be set here
// without setting the whole process's.
func inBackground(fn func()) { fn() }

// syncData makes what was written to f durable (fdatasync(2) is not
// everywhere here).
func syncData(f *os.File) error { return f.Sync() }

// openUnnamed fails: there is no O_TMPFILE here (see tempSpool).
func openUnnamed(dir string, perm os.FileMode) (*os.File, error) { return nil, errors.ErrUnsupported }
