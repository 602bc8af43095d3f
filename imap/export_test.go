package imap

import "time"

// SetStreamSectionsAbove sets the message size above which FETCH streams
// sections from the file (fetch_stream.go) and returns a function that
// puts the old size back.
func SetStreamSectionsAbove(n int64) (restore func()) {
	old := streamSectionsAbove.Swap(n)
	return func() { streamSectionsAbove.Store(old) }
}

// WatchedLooks returns how many times NOTIFY read the counts of a
// watched mailbox after a change, in every session so far.
func WatchedLooks() uint64 { return watchedLooks.Load() }

// SetAfterNotifySend makes f run at the end of every NOTIFY look at the
// watched mailboxes, and returns a function that removes it.
func SetAfterNotifySend(f func()) (restore func()) {
	afterNotifySend.Store(&f)
	return func() { afterNotifySend.Store(nil) }
}

// MinParallelReads is how many messages to read make a command read
// them in parallel.
const MinParallelReads = minParallelReads

// LostEnvelope is the ENVELOPE sent for a message that can no longer be
// read.
const LostEnvelope = lostEnvelope

// Prefilled returns how many values FETCH derived ahead in parallel
// (fetcher.prefill), in every session so far.
func Prefilled() uint64 { return prefilled.Load() }

// SetGoneCheckEvery sets how often an idling session looks whether its
// mailbox is still at its path (gone.go), and returns a function that
// puts the old interval back.
func SetGoneCheckEvery(d time.Duration) (restore func()) {
	old := goneCheckEvery.Swap(int64(d))
	return func() { goneCheckEvery.Store(old) }
}
