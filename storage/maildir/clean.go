package maildir

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// tmpMaxAge is how long another program's file may sit untouched in tmp/
// before it counts as abandoned, as the maildir specification says (and
// Dovecot does, by the file's change time).
const tmpMaxAge = 36 * time.Hour

// removeStale removes what writers that died (kill -9, power loss) left
// in the maildir, when a Folder first scans it (one opened from the
// index's summary: when its messages are first built, after the answer):
//
//   - in tmp/, mailgate's files (see fsutil.CreateTemp) whose process is
//     no longer running on this host, and other programs' files
//     untouched for tmpMaxAge;
//   - the messages of batch commits that a dead process did not finish
//     (undoDeadBatches), with their intents;
//   - beside cur/ and new/, mailgate's temporary files of dead processes,
//     the fixed-name ones that only a holder of the maildir lock writes
//     (.mailgate-tmp.mu-prop), seen under the shared lock, and index files
//     half written (their writer leaves no pid) older than tmpMaxAge;
//     under the lock too, the temporary files of whole-file writes
//     (.mu-prop, keywords, the cache) older than fsutil.WriteMaxAge,
//     whatever process and host their names say.
//
// A file of a running process is never removed. Failures are only
// logged: they cost disk space, never a message.
func (f *Folder) removeStale() {
	tmp := filepath.Join(f.path, dirTmp)
	if names, err := readNames(tmp); err == nil {
		removed, err := fsutil.RemoveStaleTemps(tmp, names, false)
		f.logRemoved(tmp, removed, err)
		var old []string
		for _, n := range names {
			if !strings.HasPrefix(n, fsutil.TempPrefix) && f.abandoned(filepath.Join(tmp, n)) {
				old = append(old, n)
			}
		}
		removed, err = fsutil.RemoveFiles(tmp, old)
		f.logRemoved(tmp, removed, err)
	}
	names, err := readNames(f.path)
	if err != nil {
		return
	}
	f.undoDeadBatches(names)
	var locked, old []string
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, indexFile+".tmp") && f.abandoned(filepath.Join(f.path, n)):
			old = append(old, n)
		case fsutil.LockedTemp(n) || fsutil.WriteTemp(n):
			locked = append(locked, n)
		}
	}
	removed, err := fsutil.RemoveStaleTemps(f.path, names, false)
	f.logRemoved(f.path, removed, err)
	removed, err = fsutil.RemoveFiles(f.path, old)
	f.logRemoved(f.path, removed, err)
	if len(locked) > 0 {
		unlock, err := fsutil.LockDir(f.path, true)
		if err != nil {
			return
		}
		defer unlock()
		removed, err := fsutil.RemoveStaleTemps(f.path, locked, true)
		f.logRemoved(f.path, removed, err)
	}
}

// abandoned reports whether the file at path is a regular file whose
// change time is more than tmpMaxAge ago.
func (f *Folder) abandoned(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular() && f.now().Sub(changeTime(fi)) > tmpMaxAge
}

// logRemoved logs what removeStale removed from dir, and why it stopped.
func (f *Folder) logRemoved(dir string, removed []string, err error) {
	if len(removed) > 0 {
		f.log.Info("maildir: removed files that crashed writers left", "dir", dir, "files", removed)
	}
	if err != nil {
		f.log.Warn("maildir: removing files that crashed writers left", "dir", dir, "err", err)
	}
}
