package mbox

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Where the mailbox's directory takes no new files from this process (a
// /var/mail without the mail group), Stage spools an APPEND in the
// system's temporary directory (os.TempDir: TMPDIR, else /tmp) instead.
// A process killed there while the client sends its literal (kill -9,
// the OOM killer, session-memory-limit) must not leave the spool for
// ever, as .mailgate-mbox-spool-RANDOM did: nothing could tell a dead
// process's spool from a live one's. The spool is only ever read through
// its descriptor (Commit), never opened again by name, so it has none:
//
//   - on Linux it is made with O_TMPFILE: a file without a name, which
//     goes with its last descriptor, whatever ends the process;
//   - elsewhere, or on a file system without O_TMPFILE, it is created as
//     .mailgate-mbox-spool-PID.HOST.N (O_EXCL, never through a link) and
//     its name removed at once. Only a process killed between the two
//     leaves the (empty) file; the next such spool made by the same user
//     removes those that dead processes of this host left
//     (removeDeadTempSpools).

// tempSpoolPrefix starts the name of a spool in the temporary directory.
const tempSpoolPrefix = ".mailgate-mbox-spool-"

// tempSpool creates a spool without a name in the temporary directory.
func (d *Driver) tempSpool() (*os.File, error) {
	dir := os.TempDir()
	if file, err := openUnnamed(dir, 0o600); err == nil {
		return file, nil
	}
	// Once a process: dead processes' names do not come back while it
	// runs, and TMPDIR may be large.
	d.tmpSwept.Do(func() { d.removeDeadTempSpools(dir) })
	return namedTempSpool(dir)
}

// namedTempSpool creates a spool in dir under a name that says whose it
// is, and removes the name at once.
func namedTempSpool(dir string) (*os.File, error) {
	file, err := createOwnAt(filepath.Join(dir, tempSpoolPrefix), 0, 0o600)
	if err != nil {
		return nil, err
	}
	if err := removeOwn(file.Name()); err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

// removeDeadTempSpools removes from dir the spools that dead processes
// of this host left (see ownName.dead): regular files of this process's
// user only, named exactly .mailgate-mbox-spool-PID.HOST.N. Another
// user's file, a link (which is never followed), and a name of the older
// form .mailgate-mbox-spool-RANDOM, which says nothing of its maker, are
// left as they are.
func (d *Driver) removeDeadTempSpools(dir string) {
	file, err := os.Open(dir)
	if err != nil {
		return
	}
	names, _ := file.Readdirnames(-1)
	file.Close()
	prefix := filepath.Join(dir, tempSpoolPrefix)
	uid := os.Geteuid()
	for _, n := range names {
		if !strings.HasPrefix(n, tempSpoolPrefix) {
			continue
		}
		name := filepath.Join(dir, n)
		o, ok := parseOwnAt(prefix, name)
		if !ok || o.host != hostTag() || o.seq == 0 || !o.dead() {
			continue
		}
		fi, err := os.Lstat(name)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if owner, _, ok := fileOwner(fi); !ok || owner != uid {
			continue
		}
		// unlink(2) alone: a directory put there meanwhile stays.
		if err := fsutil.Unlink(name); err == nil {
			d.log.Info("mbox: removed a file a dead process left", "path", name, "pid", o.pid)
		}
	}
}
