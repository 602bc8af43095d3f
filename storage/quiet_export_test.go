package storage

// SetQuietHook has f run while a large flag batch has the watch on its
// folder lifted, and returns the function that takes it away.
func SetQuietHook(f func()) (restore func()) {
	quietHook = f
	return func() { quietHook = nil }
}
