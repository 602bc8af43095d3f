package storage

// The kinds of background work, for Background.
const (
	BgBuild   = bgBuild
	BgRefresh = bgRefresh
	BgSettle  = bgSettle
	BgPoll    = bgPoll
	BgWatch   = bgWatch
	BgQuiet   = bgQuiet
)

// Background returns how much of s's background work of kind runs, and
// how much waits on a timer.
func Background(s *Store, kind string) (running, waiting int) {
	return s.bg.count(kind)
}

// Settled reports whether v's mailbox has settled (Store.watchLater):
// the full-text indexer was woken, and the mailbox is watched unless its
// folder vouched for its files then (unwatched.go).
func Settled(v *View) bool {
	v.mb.mu.Lock()
	defer v.mb.mu.Unlock()
	return v.mb.settled
}
