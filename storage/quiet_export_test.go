package storage

// SetQuietHook has f run while a large flag batch has the watch on its
// folder lifted, and returns the function that takes it away.
func SetQuietHook(f func()) (restore func()) {
	quietHook = f
	return func() { quietHook = nil }
}

// SetAfterQuietHook has f run, in the background, before the watch on
// the folder of a large flag batch is restored, and returns the function
// that takes it away.
func SetAfterQuietHook(f func()) (restore func()) {
	afterQuietHook = f
	return func() { afterQuietHook = nil }
}

// SetQuietCheckHook has f run before each check that follows a large
// flag batch, without the mailbox's lock, and returns the function that
// takes it away.
func SetQuietCheckHook(f func()) (restore func()) {
	quietCheckHook = f
	return func() { quietCheckHook = nil }
}

// Summarized reports whether v's mailbox still stands on its folder's
// summary, its messages not built yet (Summarizer).
func Summarized(v *View) bool {
	v.mb.mu.Lock()
	defer v.mb.mu.Unlock()
	return v.mb.summary != nil
}

// SetCopyBatch sets how many copies or moves are committed as one batch,
// and f to run before each commit; it returns the function that puts
// both back.
func SetCopyBatch(n int, f func()) (restore func()) {
	old := copyBatch
	copyBatch, copyCommitHook = n, f
	return func() { copyBatch, copyCommitHook = old, nil }
}

// HasWatcher reports whether s has made its file watcher.
func HasWatcher(s *Store) bool {
	s.quietMu.Lock()
	defer s.quietMu.Unlock()
	return s.watcher != nil
}

// SetEarlyModSeqHook has f run with the modseq file's path when the first
// read of a mailbox has reserved its first block, before the scan; it
// returns the function that takes it away.
func SetEarlyModSeqHook(f func(path string)) (restore func()) {
	earlyModSeqHook = f
	return func() { earlyModSeqHook = nil }
}

// SetEarlyModSeqSyncHook has f run, in the background, once the sync
// of a first block reserved before the scan has returned err; the sync's
// result is what f returns. It returns the function that takes it away.
func SetEarlyModSeqSyncHook(f func(path string, err error) error) (restore func()) {
	earlyModSeqSyncHook = f
	return func() { earlyModSeqSyncHook = nil }
}

// SetExpungeHook has f run, with the mailbox's lock held, before the
// folder removes the messages of an expunge; it returns the function that
// takes it away.
func SetExpungeHook(f func()) (restore func()) {
	expungeHook = f
	return func() { expungeHook = nil }
}
