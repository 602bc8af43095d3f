//go:build !unix

package mbox

import (
	"errors"
	"os"
)

// Flags that openRegular and createOwn add where the system has them.
const (
	noFollow = 0
	nonBlock = 0
)

// kernelLock does nothing where fcntl(2) is missing: there, only the dot
// lock guards the mailbox.
func kernelLock(f *os.File, write bool) (ok bool, err error) { return true, nil }

// pidAlive cannot tell without kill(2): every holder counts as alive, and
// only ExpireTimeout breaks a lock.
func pidAlive(pid int) bool { return true }

// fileOwner is unknown here.
func fileOwner(fi os.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

// kernelUnlock has nothing to drop here.
func kernelUnlock(f *os.File) {}

// unusedElsewhere cannot tell here whether another process has a replaced
// file open for writing: replaced files are watched for retiredFor.
func unusedElsewhere(f *os.File) bool { return false }

// inBackground runs fn: a thread's own priority cannot be set here
// without setting the whole process's.
func inBackground(fn func()) { fn() }

// syncData makes what was written to f durable.
func syncData(f *os.File) error { return f.Sync() }

// openUnnamed fails: there is no O_TMPFILE here (see tempSpool).
func openUnnamed(dir string, perm os.FileMode) (*os.File, error) { return nil, errors.ErrUnsupported }
