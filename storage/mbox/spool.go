package mbox

import (
	"errors"
	"io/fs"
	"os"

	"github.com/mailgate/mailgate/storage"
)

// An mbox INBOX in a mail spool (/var/mail/$user) has its file removed
// once it is empty by mutt (save_empty unset), mailx and movemail, and
// created again by the next delivery. GNU imap4d reads a missing spool
// file as an empty INBOX; so does a Folder the core told so
// (ReadMissingAsEmpty), once it has read the file: its messages vanish,
// its UIDVALIDITY and UIDNEXT stay (in memory, and in the sidecar index
// for the next process), and the messages of a file made again get UIDs
// above every earlier one, never one of a message that vanished.

var _ storage.SpoolFolder = (*Folder)(nil)

// ReadMissingAsEmpty implements storage.SpoolFolder.
func (f *Folder) ReadMissingAsEmpty() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.missingEmpty = true
}

// missing reports whether the Folder reads its file, which it read
// before, as an empty mailbox because nothing is at its path; err is
// what a look at the path (a stat, or the lock's open) said. f.mu is
// held.
func (f *Folder) missing(err error) bool {
	if !f.missingEmpty || !f.loaded || err == nil {
		return false
	}
	if errors.Is(err, storage.ErrNoMailbox) {
		// The lock's open: not found, or not a regular file.
		_, err = os.Lstat(f.path)
	}
	return errors.Is(err, fs.ErrNotExist)
}

// readMissing makes the Folder's state that of an empty file: every
// message known vanished (a message that comes back in the file made
// again is noticed, see pass), UIDVALIDITY and UIDNEXT stay. f.mu is
// held.
func (f *Folder) readMissing() {
	if len(f.msgs) == 0 && f.stamp == (stamp{}) {
		return // read so already
	}
	old := f.msgs
	p := &pass{f: f, mode: modeReplaced, known: true, top: f.uidTop, h: hints{old: old},
		base: baseLine{off: -1}, validity: f.validity, uidNext: f.uidNext, cut: -1}
	if n := len(old); n > 0 {
		p.top = max(p.top, old[n-1].uid)
	}
	p.commit(nil, old, 0, false)
	p.noteVanished(nil, old, 0)
	// No file state matches the zero stamp: the file made again is
	// read whole. Nothing is left to rewrite.
	f.stamp, f.tailSum, f.unsettled = stamp{}, 0, stamp{}
	f.mustRewrite, f.indexStale = false, true
}

// takeSpoolGroup gives a new mbox file the group of its directory dir
// where dir is a spool that users share through its group (another
// user's, group-writable: /var/spool/mail root:mail 0775 on Red Hat),
// as Postfix's local(8) leaves a new mailbox there, and as a setgid
// directory (Debian's /var/mail) does by itself. It does what this
// process may and nothing else: only a member of the group may give it.
func takeSpoolGroup(f *os.File, dir string) {
	di, err1 := os.Stat(dir)
	fi, err2 := f.Stat()
	if err1 != nil || err2 != nil || di.Mode().Perm()&0o020 == 0 {
		return
	}
	dirUID, dirGID, ok1 := fileOwner(di)
	_, gid, ok2 := fileOwner(fi)
	if ok1 && ok2 && dirUID != os.Geteuid() && gid != dirGID {
		f.Chown(-1, dirGID)
	}
}
