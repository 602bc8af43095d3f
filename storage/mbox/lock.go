package mbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// errLocked means that another program held the mailbox through every
// retry.
var errLocked = storage.ErrInUse

// lockedFile is an mbox file opened under the [locking] lock.
type lockedFile struct {
	file  *os.File
	dot   *dotLock
	d     *Driver
	path  string
	write bool
	at    time.Time // when the lock was taken
}

// lockHeldWarn is how long a lock may be held before its release is
// logged as a warning: every other program and session that wants the
// mailbox waits meanwhile, and past [locking]'s retries gives up (NO
// [INUSE], LMTP 451), so an administrator wants to know who held it.
var lockHeldWarn = 2 * time.Second

// unlock releases the locks and closes the file. The kernel lock goes with
// the file: it is an open file description lock where the system has
// them, so no other descriptor of this process can drop it early.
func (l *lockedFile) unlock() {
	l.file.Close()
	l.dot.release()
	if held := time.Since(l.at); held > lockHeldWarn {
		l.d.log.Warn("mbox: held the mailbox's lock long; others that wanted it waited (a slow disk, or a machine short of CPU?)",
			"path", l.path, "write", l.write, "held", held.Round(time.Millisecond), "pid", os.Getpid())
	}
}

// lock opens the mbox file at path and locks it as Options.Type says: for
// "dotlock", NAME.lock and then a kernel lock; for "kernel", a kernel lock
// (fcntl, and flock where the two differ); for "null", nothing. Each try
// is non-blocking and holds nothing while it sleeps, so no program that
// locks in another order can deadlock with it. write opens the file
// read-write and takes an exclusive kernel lock; otherwise read-only with
// a shared one. The file returned is the one at path once locked: if a
// rewrite renamed another over it meanwhile, lock starts again.
//
// Before anyone reads the file, what an APPEND cut short by a crash left
// at its end is removed (torn.go), under the write lock.
func (d *Driver) lock(path string, write bool) (*lockedFile, error) {
	l, err := d.lockOnce(path, write)
	if err != nil || !d.tornAppend(path) {
		return l, err
	}
	if !write {
		l.unlock()
		if l, err = d.lockOnce(path, true); err != nil {
			return nil, err
		}
	}
	if err := d.recoverTorn(l.file, path); err != nil {
		d.log.Error("mbox: cannot remove an APPEND that a crash cut short", "path", path, "err", err)
	}
	if write {
		return l, nil
	}
	l.unlock()
	return d.lockOnce(path, false)
}

// Pauses between tries of a busy lock: the first is retryFirst, each
// next one twice the last, up to retryCap (or RetrySleep, when that is
// shorter); once a try has waited retryLong, the pauses are retryFirst
// again. Each pause is drawn from its half to its whole at random.
const (
	retryFirst = 5 * time.Millisecond
	retryCap   = 100 * time.Millisecond
	retryLong  = time.Second
)

// retryPause is the pause before the next try of a lock that has been
// busy for waited, after a pause of last. A lock that sessions of other
// processes take one after the other (ten session processes on a spool
// INBOX, each command taking it) is free only for moments: a waiter that
// slept as long as RetrySleep (1s, as mutt and procmail wait) would miss
// them try after try and give up (imaptest's stress mode saw that,
// "18 tries at most 1s apart"), while newer waiters, trying often, took
// the lock again and again. So a waiter never sleeps long, and one that
// has waited long tries most often of all; the random part keeps waiters
// that started together from trying together.
func retryPause(last, waited, sleep time.Duration) time.Duration {
	next := min(2*last, retryCap, sleep)
	if waited >= retryLong {
		next = min(retryFirst, sleep)
	}
	next = max(next, time.Millisecond)
	return next/2 + rand.N(next/2+1)
}

// lockOnce is lock without the look for an APPEND cut short.
func (d *Driver) lockOnce(path string, write bool) (*lockedFile, error) {
	useDot := d.typ == "dotlock"
	useKernel := d.typ != "null"
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	busy := ""
	renamed := 0
	// A busy lock is tried again for as long as RetryCount tries
	// RetrySleep apart would take, as mutt and procmail wait, but first
	// after a few milliseconds and then as retryPause says: most locks
	// are held for a delivery's moment, and a session waiting a whole
	// second for each would tell its IDLE clients of new mail seconds
	// late.
	budget := time.Duration(d.retries) * d.sleep
	var wait time.Duration
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			waited := time.Since(start)
			if waited >= budget {
				return nil, fmt.Errorf("mbox %s: lock: held by %s; gave up after %v (%d tries): %w",
					path, busy, waited.Round(time.Millisecond), attempt, errLocked)
			}
			if wait == 0 {
				wait = min(retryFirst, d.sleep)
			} else {
				wait = retryPause(wait, waited, d.sleep)
			}
			time.Sleep(min(wait, budget-waited))
		}
		var dot *dotLock
		if useDot {
			dl, holder, err := d.tryDotlock(path)
			switch {
			case err != nil && unwritable(err) && write:
				return nil, d.noDotlockError(path, err)
			case err != nil && unwritable(err):
				d.warnOnce(filepath.Dir(path), "mbox: cannot create dot-lock files here; reading under kernel locks only",
					"dir", filepath.Dir(path), "err", err)
				useDot = false
			case err != nil:
				return nil, fmt.Errorf("mbox %s: lock: %w", path, err)
			case holder != "":
				busy = holder
				continue
			default:
				dot = dl
			}
		}
		file, err := openRegular(path, flag)
		if err != nil {
			dot.release()
			if errors.Is(err, fs.ErrNotExist) {
				err = storage.ErrNoMailbox
			} else if errors.Is(err, errNotRegular) {
				err = fmt.Errorf("%w: %w", storage.ErrNoMailbox, err)
			} else if errors.Is(err, fs.ErrPermission) {
				err = fmt.Errorf("%w: %w", storage.ErrPermission, err)
			}
			return nil, fmt.Errorf("mbox %s: open: %w", path, err)
		}
		if useKernel {
			ok, err := kernelLock(file, write)
			if err != nil {
				file.Close()
				dot.release()
				return nil, fmt.Errorf("mbox %s: lock: %w", path, err)
			}
			if !ok {
				file.Close()
				dot.release()
				busy = "a kernel lock (fcntl or flock) of another process"
				continue
			}
		}
		if !sameFile(file, path) && renamed < 10 {
			file.Close()
			dot.release()
			renamed++
			attempt--
			continue
		}
		return &lockedFile{file: file, dot: dot, d: d, path: path, write: write, at: time.Now()}, nil
	}
}

// sameFile reports whether file is still the file at path.
func sameFile(file *os.File, path string) bool {
	a, err1 := file.Stat()
	b, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// unwritable reports whether err says that a directory takes no new
// files from us.
func unwritable(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EROFS)
}

// dotLock is a NAME.lock file that this process created.
type dotLock struct {
	name string
	info os.FileInfo
}

// release removes the lock file if it is still the one we created. A nil
// dotLock releases nothing.
func (l *dotLock) release() {
	if l == nil {
		return
	}
	if fi, err := os.Lstat(l.name); err == nil && os.SameFile(fi, l.info) {
		os.Remove(l.name)
	}
}

// tryDotlock tries once to create path.lock holding our pid. When another
// holds it, holder describes them. A lock older than ExpireTimeout, or
// holding the pid of a process that no longer exists, is stale: it is
// removed and the creation tried again at once.
func (d *Driver) tryDotlock(path string) (l *dotLock, holder string, err error) {
	name := path + ".lock"
	for try := 0; try < 3; try++ {
		fi, err := createDotlock(name)
		if err == nil {
			return &dotLock{name: name, info: fi}, "", nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
		var stale bool
		stale, holder = d.staleDotlock(name)
		if !stale {
			return nil, holder, nil
		}
	}
	if holder == "" {
		holder = name
	}
	return nil, holder, nil
}

// createDotlock creates the lock file name holding our pid. It writes
// the pid into a file of its own first and then links that to name, so
// that no crash can leave a lock file without its pid, which only
// ExpireTimeout would break. Where the file system has no hard links it
// creates name with O_EXCL and writes the pid after. The error is
// fs.ErrExist when another holds the lock.
func createDotlock(name string) (os.FileInfo, error) {
	pid := strconv.Itoa(os.Getpid())
	own := dotlockOwnPrefix(name) + pid + "." + strconv.FormatUint(rand.Uint64(), 36)
	if err := writeNew(own, pid); err != nil {
		return nil, err
	}
	defer os.Remove(own)
	err := os.Link(own, name)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// Over NFS a link that worked may report an error.
		if a, err1 := os.Lstat(own); err1 == nil {
			if b, err2 := os.Lstat(name); err2 == nil && os.SameFile(a, b) {
				err = nil
			}
		}
	}
	switch {
	case err == nil:
		return os.Lstat(name)
	case errors.Is(err, fs.ErrExist):
		return nil, err
	case errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EMLINK):
		// No hard links here.
		if err := writeNew(name, pid); err != nil {
			return nil, err
		}
		return os.Lstat(name)
	}
	return nil, err
}

// dotlockOwnPrefix starts the names of the files that createDotlock
// links to the lock file name: hidden, beside it, followed by the pid.
func dotlockOwnPrefix(name string) string {
	dir, base := filepath.Split(name)
	return filepath.Join(dir, "."+base+".")
}

// writeNew creates name, which must not exist, holding pid and a line
// ending.
func writeNew(name, pid string) error {
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := file.WriteString(pid + "\n")
	cerr := file.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// staleDotlock looks at an existing lock file, removes it when it is
// stale, and otherwise describes its holder.
func (d *Driver) staleDotlock(name string) (removed bool, holder string) {
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return true, "" // released meanwhile: try again
	}
	if err != nil {
		return false, name
	}
	holder = name
	age := time.Since(fi.ModTime())
	why := ""
	if age > d.expire {
		why = fmt.Sprintf("older than %v", d.expire)
	}
	pid := 0
	if b, err := readSmall(name, 32); err == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid > 0 {
		holder = fmt.Sprintf("%s (pid %d)", name, pid)
		if why == "" && pid != os.Getpid() && !pidAlive(pid) {
			why = fmt.Sprintf("pid %d is gone", pid)
		}
	}
	if why == "" {
		return false, holder
	}
	// Make sure that the file is still the one judged stale.
	if again, err := os.Lstat(name); err != nil || !os.SameFile(fi, again) {
		return true, ""
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, holder
	}
	d.log.Info("mbox: removed a stale lock", "lock", name, "why", why)
	return true, ""
}

func readSmall(name string, n int) ([]byte, error) {
	f, err := openRegular(name, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := f.Read(b)
	if k > 0 {
		err = nil
	}
	return b[:k], err
}

// warnOnce logs msg the first time it is said of key.
func (d *Driver) warnOnce(key, msg string, args ...any) {
	d.logOnce(slog.LevelWarn, key, msg, args...)
}

// logOnce logs msg at level the first time it is said of key.
func (d *Driver) logOnce(level slog.Level, key, msg string, args ...any) {
	d.mu.Lock()
	seen := d.warned[key]
	d.warned[key] = true
	d.mu.Unlock()
	if !seen {
		d.log.Log(context.Background(), level, msg, args...)
	}
}
