package mh

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Expunged messages' backups.
//
// Expunge renames a message's file to ",N", as nmh's rmm and GNU imap4d
// do, so that a user can get it back. nmh reuses numbers, so its ",N"
// files are overwritten in time; mailgate's numbers are UIDs, which never
// come back, so without removal every message ever expunged would stay,
// outside any quota, and every scan would read through the dead names.
// So the backups are kept for a while (Options.KeepExpunged), counted
// from the file's ctime, which the rename set (never its mtime, which is
// the message's INTERNALDATE and may be years old).
//
// A Folder looks for backups to remove while a scan lists the folder
// anyway (it sees the ",N" names at no cost), at most once every
// tidyEvery, and only after the core said that a session that may change
// the mailbox uses it (MayTidy). The removal runs in a goroutine of its
// own, off the command's answer, and takes no lock of the Folder's:
//
//   - Across processes (one per session) the folder is looked at once per
//     tidyEvery: tidyFile's modification time says when a process last
//     began. A time in the future (a clock set back, a touch) is not
//     trusted. The file is written under the shared folder lock and only
//     while the folder is still one, so that it never lands in a folder
//     that Delete is removing (which takes the exclusive lock and
//     removes tidyFile too).
//   - A folder that the process may not write (another user's, a
//     read-only file system) fails that write: nothing is removed.
//   - Only names of the exact form ",<digits>" are backups, and only a
//     regular file is removed (lstat(2), then unlink(2), which removes a
//     symbolic link itself, never its target, and never a directory):
//     another program (nmh's rmm) may make one between the two calls,
//     which then goes with the old one, a window of two system calls.
//   - Close stops a removal at the next file and waits for it. One cut
//     short removes tidyFile again, so that the next process goes on.

// DefaultKeepExpunged is how long an expunged message's ",N" backup
// stays when Options.KeepExpunged is zero.
const DefaultKeepExpunged = 24 * time.Hour

// tidyEvery is how often, at most, a folder's backups are looked at.
const tidyEvery = time.Hour

// tidyFile's modification time is when a process last began to remove a
// folder's old backups.
const tidyFile = ".mailgate-tidied"

// tidyFuture is how far in the future tidyFile's time may be, for clocks
// that differ a little, before it is taken as wrong.
const tidyFuture = time.Minute

// tidying is a Folder's state of backup removal.
type tidying struct {
	may  atomic.Bool // MayTidy was called
	stop atomic.Bool // Close began
	wg   sync.WaitGroup
	next time.Time // the earliest next removal in this Folder; f.mu
}

// MayTidy implements storage.Tidier: from now on a scan may remove
// expunged messages' backups older than the Folder keeps them.
func (f *Folder) MayTidy() { f.tidy.may.Store(true) }

// keepExpunged returns how long a Folder keeps backups: 0 for none.
func (d *Driver) keepExpunged() time.Duration {
	switch k := d.Options.KeepExpunged; {
	case k < 0:
		return 0
	case k == 0:
		return DefaultKeepExpunged
	default:
		return k
	}
}

// isBackup reports whether name is that of an expunged message's backup:
// exactly "," and decimal digits.
func isBackup(name string) bool {
	if len(name) < 2 || name[0] != ',' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// backUp moves message uid's file at path away as the Folder keeps it:
// renamed to ",uid", or removed when it keeps no backups. f.mu and the
// exclusive folder lock are held.
func (f *Folder) backUp(path string, uid uint32) error {
	if f.keep == 0 {
		return fsutil.Unlink(path)
	}
	return os.Rename(path, filepath.Join(f.path, ","+strconv.FormatUint(uint64(uid), 10)))
}

// tidyDue reports whether a scan should collect the backups it lists;
// f.mu is held.
func (f *Folder) tidyDue() bool {
	return f.tidy.may.Load() && !f.tidy.stop.Load() && !f.now().Before(f.tidy.next)
}

// startTidy starts the removal of those of backups (names a scan listed)
// that are older than the Folder keeps them; f.mu is held.
func (f *Folder) startTidy(backups []string) {
	if len(backups) > 0 {
		f.startTidyOf(backups)
	}
}

// tidyAfterExpunge starts a removal, when one is due, after an expunge
// that made backups: a session that stays (IDLE for days) may never
// list the folder again. The removal lists the folder itself, after the
// expunge's answer. f.mu is held.
func (f *Folder) tidyAfterExpunge() {
	if f.keep > 0 && f.tidyDue() {
		f.startTidyOf(nil)
	}
}

// startTidyOf starts removeOld on names, or on the folder's listing when
// names is nil; f.mu is held.
func (f *Folder) startTidyOf(names []string) {
	if f.tidy.stop.Load() {
		return
	}
	now := f.now()
	f.tidy.next = now.Add(tidyEvery)
	f.tidy.wg.Add(1)
	go func() {
		defer f.tidy.wg.Done()
		f.removeOld(names, now)
	}()
}

// stopTidy stops a removal under way and waits for it; f.mu is held
// (the removal never takes it).
func (f *Folder) stopTidy() {
	f.tidy.stop.Store(true)
	f.tidy.wg.Wait()
}

// removeOld removes the backups (names, or those the folder holds when
// nil) whose ctime is keep or more before now, unless another process
// began less than tidyEvery ago. It reads only the Folder's fields that
// never change after Open.
func (f *Folder) removeOld(names []string, now time.Time) {
	if !f.claimTidy(now) {
		return
	}
	if names == nil {
		all, err := readNames(f.path)
		if err != nil {
			return
		}
		names = slices.DeleteFunc(all, func(n string) bool { return !isBackup(n) })
	}
	cutoff := now.Add(-f.keep).UnixNano()
	var removed, denied int
	var failed error
	for _, name := range names {
		if f.tidy.stop.Load() {
			// The next process goes on where this one stopped.
			os.Remove(filepath.Join(f.path, tidyFile))
			break
		}
		path := filepath.Join(f.path, name)
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		// Where the system gives no ctime (0), the age is not known,
		// and the backup stays.
		if _, _, ctime := fsutil.FileIDs(fi); ctime == 0 || ctime > cutoff {
			continue
		}
		switch err := fsutil.Unlink(path); {
		case err == nil:
			removed++
		case errors.Is(err, fs.ErrNotExist):
		case readOnlyErr(err):
			// Another user's, in a sticky shared folder.
			denied++
		default:
			failed = err
		}
		if failed != nil {
			break
		}
	}
	if removed > 0 {
		f.log.Info("mh: removed backups of expunged messages older than their keep time",
			"dir", f.path, "files", removed, "keep", f.keep)
	}
	if denied > 0 {
		f.log.Debug("mh: backups of expunged messages that this user may not remove stay",
			"dir", f.path, "files", denied)
	}
	if failed != nil {
		f.log.Warn("mh: removing backups of expunged messages", "dir", f.path, "err", failed)
	}
}

// claimTidy reports whether this process is to look at the folder's
// backups now, and when so, records it in tidyFile: not when another
// process began less than tidyEvery before now, nor when the folder is
// gone or may not be written.
func (f *Folder) claimTidy(now time.Time) bool {
	unlock, err := fsutil.LockDir(f.path, true)
	if err != nil {
		return false
	}
	defer unlock()
	mark := filepath.Join(f.path, tidyFile)
	if fi, err := os.Lstat(mark); err == nil && fi.Mode().IsRegular() {
		if t := fi.ModTime(); t.After(now.Add(-tidyEvery)) && !t.After(now.Add(tidyFuture)) {
			return false
		}
	}
	// Delete removes these under the exclusive lock: a folder without
	// them is gone, or going.
	if !exists(filepath.Join(f.path, propsFile)) && !exists(filepath.Join(f.path, seqFile)) {
		return false
	}
	// Nothing depends on it after a crash: not synced.
	if err := fsutil.ReplaceUnsynced(f.path, tidyFile, nil, f.perm); err != nil {
		if readOnlyErr(err) {
			f.log.Debug("mh: this user may not write the folder; its old backups of expunged messages stay", "dir", f.path)
		} else {
			f.log.Warn("mh: "+tidyFile, "dir", f.path, "err", err)
		}
		return false
	}
	// Its time is on the Folder's clock (Options.Now), which later
	// scans compare it with.
	if err := os.Chtimes(mark, now, now); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.log.Debug("mh: "+tidyFile, "dir", f.path, "err", err)
	}
	return true
}

// exists reports whether anything is at path.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
