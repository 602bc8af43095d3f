package storage

// A folder whose own changes each cause a change notification (a maildir
// renames one file per message whose flags change) would have a large
// STORE read back, through the watcher, two notifications per message:
// at 10,000 messages that reading cost more CPU than the renames
// themselves. For such a batch the core lifts the watch on the folder's
// paths instead, makes the changes, watches again and re-reads the
// folder once, which catches whatever another program did meanwhile at
// the cost of one directory read.

// quietMin is the smallest batch for which the watch is lifted, and
// quietShare the share of the mailbox it must change at least (one in
// quietShare): reading the directory back costs about a quarter of what
// reading one message's notifications does, per message.
const (
	quietMin   = 500
	quietShare = 4
)

// quietHook, when set by a test, runs while the watch is lifted.
var quietHook func()

// setFlagsBatchLocked has the folder apply changes as one batch, with
// the watch on its paths lifted when the batch is large enough for that
// to pay; mb.mu is held.
func (mb *mailbox) setFlagsBatchLocked(fb FlagBatcher, changes map[uint32][]string) error {
	mb.fullLocked()
	qb, ok := mb.folder.(QuietFlagBatcher)
	if !ok || len(changes) < quietMin || len(changes)*quietShare < len(mb.msgs) {
		return fb.SetFlagsBatch(changes)
	}
	if mb.watchPending.Load() {
		// Not watched yet (Store.watchLater): nothing to lift, and the
		// check made once the watch is set re-reads the folder.
		if quietHook != nil {
			quietHook()
		}
		err := qb.SetFlagsBatchQuiet(changes)
		mb.scheduleRefreshLocked(changeDelay, 0)
		return err
	}
	paths := mb.folder.WatchPaths()
	if !mb.store.quiet(paths) {
		return fb.SetFlagsBatch(changes)
	}
	if quietHook != nil {
		quietHook()
	}
	err := qb.SetFlagsBatchQuiet(changes)
	if !mb.store.unquiet(paths) {
		go mb.store.pollInstead(mb)
	}
	// Whatever another program changed while nothing watched: one
	// re-read, as after any notification.
	mb.scheduleRefreshLocked(changeDelay, 0)
	return err
}

// addWatch starts watching path, or, while a batch has its watch
// lifted, leaves that to the batch's end. s.mu is held.
func (s *Store) addWatch(path string) error {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	if s.quieted[path] == 0 {
		if err := s.watcher.Add(path); err != nil {
			return err
		}
	}
	s.live[path] = true
	return nil
}

// removeWatch stops watching path. s.mu is held.
func (s *Store) removeWatch(path string) {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	delete(s.live, path)
	if s.quieted[path] == 0 {
		s.watcher.Remove(path)
	}
}

// quiet lifts the watch on every one of paths and reports true, or, when
// one of them is not watched (it is polled), changes nothing and reports
// false. unquiet undoes it.
func (s *Store) quiet(paths []string) bool {
	if s.watcher == nil || len(paths) == 0 {
		return false
	}
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	for _, p := range paths {
		if !s.live[p] {
			return false
		}
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
// other batch keeps their watch lifted. It reports false when one of
// them cannot be watched again.
func (s *Store) unquiet(paths []string) bool {
	ok := true
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	for _, p := range paths {
		s.quieted[p]--
		if s.quieted[p] > 0 {
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
	return ok
}

// pollInstead polls mb, still open, whose watch could not be restored.
func (s *Store) pollInstead(mb *mailbox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[mb.path] == mb && mb.stopPoll == nil {
		mb.startPolling(s.poll)
	}
}
