package storage

import (
	"errors"
)

// A folder whose own changes each cause a change notification (a maildir
// renames one file per message whose flags change) would have a large
// STORE read back, through the watcher, two notifications per message:
// at 10,000 messages that reading cost more CPU than the renames
// themselves. For such a batch the core lifts the watch on the folder's
// paths instead, makes the changes, watches again and checks the folder
// once (or re-reads it), which catches whatever another program did
// meanwhile at the cost of one directory read.

// quietMin is the smallest batch for which the watch is lifted, and
// quietShare the share of the mailbox it must change at least (one in
// quietShare). Checking the directory afterwards (QuietChecker) costs
// about a sixteenth of what one message's notifications do, per message,
// on the answer's path and after it: at 100,000 messages, a STORE of
// 10,000 cost 370-470 ms CPU watched and 230-330 ms quiet, and the check
// about 80 ms after the answer, where a re-read cost 250 ms. A folder
// that cannot check is re-read, costing about a quarter.
const (
	quietMin          = 500
	quietShare        = 16
	quietShareNoCheck = 4
)

// quietHook, when set by a test, runs while the watch is lifted,
// afterQuietHook before afterQuiet watches again, and quietCheckHook
// before each check after a quiet batch, the last two without mb.mu.
var quietHook, afterQuietHook, quietCheckHook func()

// setFlagsBatchLocked has the folder apply changes as one batch, with
// the watch on its paths lifted when the batch is large enough for that
// to pay; mb.mu is held.
func (mb *mailbox) setFlagsBatchLocked(fb FlagBatcher, changes []FlagChange) error {
	mb.fullLocked()
	qb, ok := mb.folder.(QuietFlagBatcher)
	share := quietShareNoCheck
	if _, check := mb.folder.(QuietChecker); check {
		share = quietShare
	}
	if !ok || len(changes) < quietMin || len(changes)*share < len(mb.msgs) {
		return fb.SetFlagsBatch(changes)
	}
	if mb.watchPending.Load() {
		// Not watched (unwatched.go): nothing to lift. The caller's
		// ownChangedLocked watches the folder after the answer and then
		// checks it, as afterQuiet does.
		if quietHook != nil {
			quietHook()
		}
		return qb.SetFlagsBatchQuiet(changes)
	}
	paths := mb.folder.WatchPaths()
	noter, _ := mb.folder.(WatchNoter)
	if !mb.store.quiet(paths, noter) {
		return fb.SetFlagsBatch(changes)
	}
	// The checks of earlier batches are not needed any more: what
	// another program changed before this one's end is still there for
	// this one's check to find.
	mb.quietSeq++
	if quietHook != nil {
		quietHook()
	}
	err := qb.SetFlagsBatchQuiet(changes)
	// Watching a directory again costs the kernel a walk of every name
	// of it in its cache (9 ms at 100,000 messages), which the answer
	// need not wait for: the check comes after it and finds whatever
	// changed in between. Once Close has begun, nothing is watched again.
	mb.store.bg.start(bgQuiet, func() { mb.afterQuiet(paths) })
	return err
}

// afterQuiet watches paths again after a quiet batch on mb's folder and
// has the folder checked, unless another batch still has the watch
// lifted: that one's afterQuiet does it then. The check is the latest
// batch's, which must come after every batch has watched again. Only
// once the watch is back is the folder told that it is watched
// (WatchNoter): a command that came meanwhile, pipelined after the
// batch, recorded its own change as a notification to come while none
// could come, and that record took another program's change to the same
// name within 10 s for the process's own.
func (mb *mailbox) afterQuiet(paths []string) {
	if afterQuietHook != nil {
		afterQuietHook()
	}
	if mb.store.bg.stopped() {
		return // closing: nothing is watched or checked any more
	}
	// The mailbox open for the folder's path may not be mb any more: mb
	// closed while the watch was lifted, and a new mailbox, with a new
	// Folder, opened. The news that the folder is watched, and the
	// check, are that one's; s.mu keeps it open meanwhile.
	s := mb.store
	s.mu.Lock()
	cur := s.open[mb.path]
	var noter WatchNoter
	if cur != nil && s.watchesLocked(cur, paths) {
		noter, _ = cur.folder.(WatchNoter)
	}
	ok, lifted := s.unquiet(paths, noter)
	s.mu.Unlock()
	if cur == nil {
		return
	}
	if !ok {
		// Polled from now on: no notification comes of its changes.
		s.bg.start(bgPoll, func() { s.pollInstead(cur) })
	}
	if lifted {
		return
	}
	cur.mu.Lock()
	defer cur.mu.Unlock()
	cur.checkAfterQuietLocked()
}

// checkAfterQuietLocked finds whatever another program changed while
// nothing watched mb's folder: a moment after the latest quiet batch
// (mb.quietSeq), once the watch is back, it asks the folder whether its files are
// as the batch left them (QuietChecker), and re-reads it, as after any
// notification, when they are not or the folder cannot tell. mb.mu is
// held.
//
// The check reads the folder's directories without mb.mu, so that a
// session's next command does not wait for it: at 100,000 messages the
// read took 70 ms, and the STORE that came meanwhile waited that long.
// Only the last quiet batch's check runs.
func (mb *mailbox) checkAfterQuietLocked() {
	qc, ok := mb.folder.(QuietChecker)
	if !ok || mb.refreshPending {
		mb.scheduleRefreshLocked(changeDelay, 0)
		return
	}
	seq := mb.quietSeq
	mb.store.bg.after(changeDelay, bgQuiet, func() { mb.checkQuiet(qc, seq, 0) })
}

// quietBusyTries bounds how often a check that the folder's own changes
// made unsure is tried again before the folder is re-read.
const quietBusyTries = 5

// checkQuiet is the check of the quiet batch numbered seq, tried for the
// tries-th time.
func (mb *mailbox) checkQuiet(qc QuietChecker, seq uint64, tries int) {
	// stale reports whether the check is not needed, or not any more.
	stale := func() bool {
		return mb.closed || mb.refreshPending || mb.quietSeq != seq
	}
	mb.mu.Lock()
	if stale() {
		mb.mu.Unlock()
		return
	}
	mb.mu.Unlock()
	if quietCheckHook != nil {
		quietCheckHook()
	}
	got := qc.OnlyOwnChanges()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if stale() {
		return
	}
	switch {
	case got == QuietSame:
	case got == QuietBusy && tries+1 < quietBusyTries:
		mb.store.bg.after(changeDelay, bgQuiet, func() { mb.checkQuiet(qc, seq, tries+1) })
	default:
		mb.scheduleRefreshLocked(0, 0)
	}
}

// errNoWatcher: the Store could not make its watcher (see startWatcher).
var errNoWatcher = errors.New("file watching unavailable")

// addWatch starts watching path, or, while a batch has its watch
// lifted, leaves that to the batch's end. s.mu is held.
func (s *Store) addWatch(path string) error {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	if !s.startWatcher() {
		return errNoWatcher
	}
	if s.quieted[path] == 0 {
		if err := s.watcher.Add(path); err != nil {
			return err
		}
	}
	s.live[path] = true
	return nil
}

// noteWatchedLocked tells mb's folder, when it is a WatchNoter, that it
// is watched, unless a batch has the watch on one of paths lifted: that
// batch's afterQuiet tells it once the watch is back. s.mu is held.
func (s *Store) noteWatchedLocked(mb *mailbox, paths []string) {
	n, is := mb.folder.(WatchNoter)
	if !is {
		return
	}
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	for _, p := range paths {
		if s.quieted[p] > 0 {
			return
		}
	}
	n.NoteWatched(true)
}

// watchesLocked reports whether mb is watched through every one of
// paths; s.mu is held.
func (s *Store) watchesLocked(mb *mailbox, paths []string) bool {
	for _, p := range paths {
		if _, ok := s.watched[p][mb]; !ok {
			return false
		}
	}
	return true
}

// removeWatch stops watching path. s.mu is held.
func (s *Store) removeWatch(path string) {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	delete(s.live, path)
	if s.quieted[path] == 0 && s.watcher != nil {
		s.watcher.Remove(path)
	}
}

// quiet lifts the watch on every one of paths and reports true, or, when
// one of them is not watched (it is polled), changes nothing and reports
// false. Before the watch goes, it tells noter, the folder of paths when
// it is a WatchNoter, that nothing watches it, so that the folder records
// none of its own changes as a notification to come until afterQuiet has
// watched again. unquiet undoes it.
func (s *Store) quiet(paths []string, noter WatchNoter) bool {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	if s.watcher == nil || len(paths) == 0 {
		return false
	}
	for _, p := range paths {
		if !s.live[p] {
			return false
		}
	}
	if noter != nil {
		noter.NoteWatched(false)
	}
	for _, p := range paths {
		if s.quieted[p] == 0 {
			s.watcher.Remove(p)
		}
		s.quieted[p]++
	}
	return true
}

// unquiet watches paths again, those that are still wanted, once no
// other batch keeps their watch lifted. ok is false when one of them
// cannot be watched again, and lifted true when another batch still
// keeps one of them unwatched. When every path is watched again it tells
// noter, the folder of paths when it is a WatchNoter, that it is watched,
// under quietMu as quiet tells it the opposite: told after quietMu is
// released, the news could land after another batch's quiet lifted the
// watch again, and the folder would record its own changes as
// notifications to come while none can come.
func (s *Store) unquiet(paths []string, noter WatchNoter) (ok, lifted bool) {
	ok = true
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	for _, p := range paths {
		s.quieted[p]--
		if s.quieted[p] > 0 {
			lifted = true
			continue
		}
		delete(s.quieted, p)
		if s.live[p] {
			if err := s.watcher.Add(p); err != nil {
				// The directory went away, or the system's watch limit
				// was reached by another program in between.
				s.log.Warn("storage: cannot watch again after a large change; polling instead", "path", p, "err", err)
				delete(s.live, p)
				ok = false
			}
		}
	}
	if ok && !lifted && noter != nil {
		noter.NoteWatched(true)
	}
	return ok, lifted
}

// pollInstead polls mb, still open, whose watch could not be restored.
func (s *Store) pollInstead(mb *mailbox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[mb.path] == mb && mb.stopPoll == nil {
		mb.startPolling(s.poll)
	}
}
