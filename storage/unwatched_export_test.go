package storage

import (
	"testing"
	"time"
)

// Watched reports whether v's mailbox is watched (or polled): false
// while its folder vouches for its files (unwatched.go).
func Watched(v *View) bool {
	return !v.mb.watchPending.Load()
}

// Quiesce waits until the background work on v's mailbox that follows
// a command has ended: the check after an own change (watchDue), a
// scheduled re-read, the store's settling, re-reads and checks after
// quiet batches, none running or waiting for 50 ms in a row (an event
// of the watcher may still be on its way when the count first reaches
// zero). Tests wait on it rather than sleep a fixed time, which a
// loaded machine can outlast. It fails t after 10 s.
func Quiesce(t testing.TB, v *View) {
	t.Helper()
	mb := v.mb
	deadline := time.Now().Add(10 * time.Second)
	var quietSince time.Time
	for {
		busy := false
		for _, kind := range []string{bgQuiet, bgRefresh, bgSettle} {
			if running, waiting := mb.store.bg.count(kind); running+waiting > 0 {
				busy = true
			}
		}
		mb.mu.Lock()
		busy = busy || mb.watchDue || mb.refreshPending
		mb.mu.Unlock()
		now := time.Now()
		switch {
		case busy:
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = now
		case now.Sub(quietSince) >= 50*time.Millisecond:
			return
		}
		if now.After(deadline) {
			t.Fatal("the mailbox's background work did not end within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
