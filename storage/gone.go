package storage

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// A selected mailbox can go while a view is open on it: a session of
// this process deletes or renames it, or a mailbox above it (forget);
// another program removes or moves its directory or mbox file; or
// another program makes it anew, with another UIDVALIDITY. The view then
// shows nothing more of what the name holds (a new view does), and tells
// why through GoneWhy: an IMAP session cannot go on with it, as RFC 3501
// (section 2.3.1.1) forbids a UIDVALIDITY change within a session, and
// ends with BYE, as Dovecot does.
//
// How each is found:
//   - Delete and Rename fence the mailboxes they touch before their
//     files change (Store.fence: no re-read, gone check or cache write
//     meanwhile, and nothing a view can see), and once the driver has
//     changed them mark them gone (forget) and wake their views. When
//     the driver fails or panics, nothing went: the fence is lifted,
//     the mailboxes are read again, and their sessions go on.
//   - A removal or a move by another program: a re-read (a watched
//     mailbox's file event, polling, an unwatched mailbox's check) that
//     cannot read the mailbox finds its path empty; and View.Check, at
//     the start of a command (at most once a second for all the
//     mailbox's sessions: lookAway), View.CheckGone and Account.open of
//     a mailbox open already find the path empty or holding another
//     directory (a
//     maildir's inotify watches are on new/ and cur/, which hear nothing
//     of a move of the maildir itself). A gone mailbox leaves the store's
//     table of open mailboxes (forget, or acquire when it finds one), so
//     that the next open reads what the path holds now.
//   - A re-creation: the re-read finds another UIDVALIDITY, which the
//     view compares with the one it was opened with.
//
// An mbox INBOX in a mail spool (/var/mail/$user) is not gone when its
// file is removed: mutt, mailx and movemail remove it once it is empty,
// and the next delivery makes it again. It reads as empty meanwhile, with
// the same UIDVALIDITY, and the new file's messages get new UIDs
// (SpoolFolder): a user of GNU imap4d's default INBOX is not to be
// thrown out each time the spool empties (imap4d itself not checked).

// GoneReason tells whether, and why, a view's mailbox is no longer the
// mailbox the view was opened on.
type GoneReason int

const (
	// NotGone: the mailbox is still there.
	NotGone GoneReason = iota
	// GoneDeleted: a session of this process deleted it.
	GoneDeleted
	// GoneRenamed: a session of this process renamed it, or a mailbox
	// above it.
	GoneRenamed
	// GoneRemoved: another program removed or moved away its directory
	// or mbox file, or put another directory in its place.
	GoneRemoved
	// GoneReset: another program made it anew: its UIDVALIDITY changed.
	GoneReset
)

// String names the reason, for logs.
func (r GoneReason) String() string {
	switch r {
	case NotGone:
		return "not gone"
	case GoneDeleted:
		return "deleted"
	case GoneRenamed:
		return "renamed"
	case GoneRemoved:
		return "removed by another program"
	case GoneReset:
		return "UIDVALIDITY changed"
	}
	return "unknown"
}

// GoneWhy reports whether, and why, the view's mailbox is gone since the
// view was opened (see the top of gone.go). A view whose mailbox is gone
// hears of no more changes worth telling; its session should end.
func (v *View) GoneWhy() GoneReason {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	switch {
	case mb.gone:
		return mb.goneWhy
	case mb.uidValidity != v.validity:
		return GoneReset
	}
	return NotGone
}

// goneLocked marks mb gone for why, once. mb.mu is held. The caller
// wakes its views (wakeViewsLocked) once the files are gone: a session
// woken before might read them again (a NOTIFY session's STATUS, say)
// while a DELETE removes them.
func (mb *mailbox) goneLocked(why GoneReason) {
	if mb.gone {
		return
	}
	mb.gone, mb.goneWhy = true, why
	// A message file opened without the lock meanwhile may be of the
	// mailbox made at the path since (see View.Open).
	mb.scans.Add(1)
	if d, ok := mb.folder.(IndexDeferrer); ok {
		d.DropIndex() // its files are gone, or about to go
	}
}

// wakeGone wakes the views of the mailboxes forget marked gone, once
// their files were removed or moved.
func wakeGone(gone []*mailbox) {
	for _, mb := range gone {
		mb.mu.Lock()
		mb.wakeViewsLocked()
		mb.mu.Unlock()
	}
}

// wakeViewsLocked wakes every view of mb, so that a session waiting for
// news (IDLE, NOTIFY) learns at once that mb is gone. mb.mu is held.
func (mb *mailbox) wakeViewsLocked() {
	for v := range mb.views {
		select {
		case v.wake <- struct{}{}:
		default:
		}
		if v.notify != nil {
			v.notify()
		}
	}
}

// checkAway marks mb gone when its directory or mbox file is no longer
// at its path (awayLocked), and reports whether mb is gone. View.Check
// calls it at the start of every command, and Account.open when it
// finds mb open already: one stat.
func (mb *mailbox) checkAway() bool {
	fi, err := os.Stat(mb.path) // without the lock, which a scan may hold
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.loaded && !mb.gone && mb.fenced == 0 && !mb.closed && mb.awayLocked(fi, err) {
		mb.removedLocked()
	}
	return mb.gone
}

// removedLocked marks mb gone, removed or moved away by another program,
// and wakes its views to say so; mb.mu is held.
func (mb *mailbox) removedLocked() {
	mb.store.log.Info("storage: mailbox removed or moved by another program", "path", mb.path)
	mb.goneLocked(GoneRemoved)
	mb.wakeViewsLocked()
}

// lookAway is checkAway for View.Check, at the start of every command:
// the stat is made at most once every Options.GoneLookEvery for all the
// sessions of mb, so that a pipelined burst of commands, or many
// sessions of one mailbox, cost one stat and not one each. A mailbox
// removed meanwhile is found by the next look, or at once by its re-read
// (its watch's events, polling), which finds it unreadable.
func (mb *mailbox) lookAway() {
	if every := mb.store.goneLook; every > 0 {
		now, last := monoNow(), mb.lookedAt.Load()
		if last != 0 && now-last < int64(every) {
			return
		}
		if !mb.lookedAt.CompareAndSwap(last, now) {
			return // another session looks now
		}
	}
	mb.checkAway()
}

// monoStart and monoNow give a monotonic clock in nanoseconds, above zero.
var monoStart = time.Now()

func monoNow() int64 { return int64(time.Since(monoStart)) + 1 }

// awayLocked reports, from fi and err of a stat of mb's path, whether
// the directory or mbox file mb was read from is no longer at its path:
// nothing is there, or, for a directory, another one is (its inode
// number differs: the one moved away still holds its own). An mbox file
// put anew at its path is not told from the core's own rewrites (a
// rename over the file) here; its re-read finds another UIDVALIDITY, or
// keeps the old one and new UIDs (the mbox driver's sidecar files).
// mb.mu is held.
func (mb *mailbox) awayLocked(fi os.FileInfo, err error) bool {
	if mb.spool {
		// An INBOX spool file that another program removed once it
		// was empty is an empty INBOX, as with GNU imap4d (Dovecot
		// ends the session here); its next delivery makes it again.
		return false
	}
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil || !fi.IsDir() {
		return false
	}
	_, ino, _ := fsutil.FileIDs(fi)
	return ino != 0 && mb.loadedAt[1] != 0 && ino != mb.loadedAt[1]
}

// CheckGone looks whether the view's mailbox is still at its path (one
// stat), as Check does at the start of every command, for a session
// that waits for news (IDLE): inotify hears nothing of a maildir moved
// away, only of changes in its new/ and cur/. When it is gone, the view
// is woken (SetNotify's function, Wake) and GoneWhy tells. Unlike the
// view's other methods, it may be called from any goroutine, even after
// Close.
func (v *View) CheckGone() { v.mb.checkAway() }

// A fence keeps a DELETE or RENAME from ending sessions before it is
// sure to succeed: a driver may fail (an mbox's dot lock held by mutt
// past its retries, EXDEV, EACCES), and then nothing went. While it
// holds, the mailboxes it fenced are not read again, not checked for
// being gone and their cache files not written (their files are on
// their way out), yet their views see nothing: commands go on as before.
type fence struct {
	s      *Store
	path   string
	below  bool
	held   []*mailbox
	lifted bool
}

// fence holds off re-reads and writes of the mailbox open at path, and
// with below of those below it, for a DELETE (not below: the children
// stay) or a RENAME (below: they move along). The caller defers lift at
// once, so that a driver that fails or panics leaves no mailbox fenced,
// changes the files, and calls forget when that succeeded.
func (s *Store) fence(path string, below bool) *fence {
	f := &fence{s: s, path: path, below: below}
	s.mu.Lock()
	for p, mb := range s.open {
		if p == path || below && isBelow(p, path) {
			f.held = append(f.held, mb)
		}
	}
	s.mu.Unlock()
	for _, mb := range f.held {
		mb.mu.Lock()
		mb.fenced++
		mb.mu.Unlock()
		if d, ok := mb.folder.(IndexDeferrer); ok {
			// Its index file must not come back while the files
			// go; a mailbox that stays only writes it no more.
			d.DropIndex()
		}
		// A cache save under way ends before the files change; those
		// that start now write nothing (saveCache).
		mb.cacheSaving.Lock()
		mb.cacheSaving.Unlock()
	}
	return f
}

// forget marks the fenced mailboxes, and any opened at the paths since,
// gone for why once the driver changed their files (Store.forget), lifts
// the fence, and returns them for wakeGone.
func (f *fence) forget(why GoneReason) []*mailbox {
	gone := f.s.forget(f.path, f.below, why)
	f.lift()
	return gone
}

// lift ends the fence; once ended, it does nothing. Unless they went
// (forget), the mailboxes are read again, as a DELETE or RENAME that
// failed may have changed some of their files, and news put off
// meanwhile is told.
func (f *fence) lift() {
	if f.lifted {
		return
	}
	f.lifted = true
	for _, mb := range f.held {
		mb.mu.Lock()
		mb.fenced--
		if mb.fenced == 0 && !mb.gone && !mb.closed && mb.loaded {
			mb.scheduleRefreshLocked(changeDelay, 0)
		}
		mb.mu.Unlock()
	}
}
