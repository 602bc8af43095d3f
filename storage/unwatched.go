package storage

// A mailbox whose folder can tell cheaply whether its files changed
// (Unchanger: two stats for a maildir) is not watched while nobody waits
// for news of it, as Dovecot does: adding an inotify watch costs the
// kernel a walk of every name of the directory in its cache (at 100,000
// messages about 26 ms for new/ and cur/, a quarter of a whole short
// "mailgate -i" session that logs in, selects, fetches the flags and
// logs out). Instead:
//
//   - When the mailbox settles (Store.watchLater, a moment after
//     SELECT's answer, or watchDelay after the opening) the core asks
//     the folder whether its files are as they were read. When they are
//     not (changed since, or too recently for their times to prove
//     anything, as after the first read's renames or a delivery just
//     before), the mailbox is watched then and read again, as before.
//   - After that, at the start of every command (View.Check), at its end
//     (View.Poll, unless Check came first), whenever the mailbox is
//     opened again while open or lingering (Account.open), and right
//     before anything that changes its files from what it holds (STORE,
//     EXPUNGE, COPY or MOVE from it, APPEND or delivery to it), the core
//     asks the folder again (syncUnwatched). When it cannot vouch for its
//     files, the mailbox is watched from then on and read again at once,
//     so that the command works from, and its answer carries, what
//     another program changed. Acting on what the mailbox held at the
//     previous command instead lost data: a STORE computed the new flags
//     from old ones and dropped another program's \Seen, an EXPUNGE
//     removed a message another program had undeleted.
//   - A session that waits for news (IDLE, NOTIFY: View.Watch, which
//     SetNotify calls) has the mailbox watched at once, and read again
//     when its folder cannot vouch for what changed before.
//   - The process's own changes (STORE, EXPUNGE, APPEND, COPY or MOVE
//     into it, \Recent claimed from new/) leave the folder unable to
//     vouch: the mailbox is watched right after the change, in the
//     background, and checked once for what other programs did
//     (ownChangedLocked), as after a quiet flag batch; or, before it
//     settled, when it settles. The folder records none of those changes
//     as a notification to come (WatchNoter) while nothing watches it:
//     such a record, never used up, would have the watch take another
//     program's removal of the same name, seconds later, for the
//     process's own.
//
// Once watched, a mailbox stays watched until it closes. A lingering
// mailbox (no view left) that is not watched is checked when it is
// opened again, like any other unwatched one; nothing else trusts its
// state meanwhile except the quota totals and the full-text index,
// which lag behind other programs' changes to closed mailboxes too.

// Watch tells the view that its session waits for news of the mailbox
// (IDLE, NOTIFY): from now on changes by other programs reach the view
// as they happen, not only at the next command. A change made before the
// call that the mailbox's folder cannot rule out is looked for at once.
// SetNotify and SetNotifyHolding call it; calling it again costs an
// atomic load.
func (v *View) Watch() {
	mb := v.mb
	if !mb.store.watchNow(mb) {
		return
	}
	mb.mu.Lock()
	stale := mb.unvouchedLocked()
	mb.mu.Unlock()
	if stale {
		mb.changed()
	}
}

// Check makes sure, for a mailbox nobody watches, that what the view
// holds is what the folder's files hold (two stats for a maildir),
// reading the mailbox again when the folder cannot vouch for them. A
// session calls it at the start of every command, before the command
// reads or changes the mailbox; the Poll at the command's end and the
// changes the command makes (Store, Expunge, Copy, Move) then do not
// ask again, unless the mailbox had not settled yet (Settle), when
// Check leaves it to Store.watchLater and Poll asks again. Its cost is
// an atomic load once the mailbox is watched, and, at most once a
// second for all the mailbox's sessions (Options.GoneLookEvery), a stat
// of its path, which finds it removed or moved away by another program
// (see gone.go).
func (v *View) Check() {
	v.checked = v.mb.syncUnwatched()
	v.mb.lookAway()
}

// checkFirst is Check for a change the view is about to make, unless
// Check came since the last Poll.
func (v *View) checkFirst() {
	if !v.checked {
		v.mb.syncUnwatched()
	}
}

// watchNow starts change notification for mb if it waits for it
// (Unchanger), and reports whether it did. The caller then asks the
// folder whether it changed meanwhile.
func (s *Store) watchNow(mb *mailbox) bool {
	if !mb.watchPending.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !mb.watchPending.Load() || s.open[mb.path] != mb || s.closed {
		return false
	}
	mb.watchPending.Store(false)
	s.watch(mb)
	return true
}

// unvouchedLocked reports whether mb's folder cannot vouch that its
// files are as mb last read them, when that matters: mb is loaded and
// open, and no check after its own changes is under way (watchDue),
// which finds what another program did anyway. mb.mu is held.
func (mb *mailbox) unvouchedLocked() bool {
	if !mb.loaded || mb.closed || mb.gone || mb.watchDue {
		return false
	}
	u, ok := mb.folder.(Unchanger)
	return ok && !u.Unchanged()
}

// syncUnwatched makes sure that what a settled mailbox nobody watches
// holds is what its files hold, before a view trusts it (see the top of
// this file); until it settles, that is left to Store.watchLater, and
// it reports false: a later call must ask again. It costs an atomic load
// once the mailbox is watched.
func (mb *mailbox) syncUnwatched() bool {
	if !mb.watchPending.Load() {
		return true
	}
	mb.mu.Lock()
	settled := mb.settled
	stale := settled && mb.unvouchedLocked()
	mb.mu.Unlock()
	if !stale {
		return settled
	}
	mb.store.watchNow(mb)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.closed || mb.gone {
		return true
	}
	if err := mb.refreshLocked(); err != nil {
		mb.store.log.Debug("storage: re-reading mailbox", "path", mb.path, "err", err)
		mb.scheduleRefreshLocked(changeDelay, 1)
	}
	return true
}

// ownChangedLocked follows a change this process made to mb's files.
// While mb is not watched, its folder cannot vouch for its files any
// more (their directories' times moved): mb is watched now, in the
// background, and its folder then checked once for what another program
// changed, as after a quiet batch (checkAfterQuietLocked). Before mb
// settled, Store.watchLater does both then, finding the folder unable
// to vouch. mb.mu is held.
func (mb *mailbox) ownChangedLocked() {
	if !mb.watchPending.Load() || mb.watchDue || !mb.settled {
		return
	}
	mb.watchDue = mb.store.bg.start(bgQuiet, func() {
		mb.store.watchNow(mb)
		mb.mu.Lock()
		defer mb.mu.Unlock()
		mb.watchDue = false
		if !mb.closed && !mb.gone {
			mb.checkAfterQuietLocked()
		}
	})
}
