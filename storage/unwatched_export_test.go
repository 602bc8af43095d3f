package storage

// Watched reports whether v's mailbox is watched (or polled): false
// while its folder vouches for its files (unwatched.go).
func Watched(v *View) bool {
	return !v.mb.watchPending.Load()
}
