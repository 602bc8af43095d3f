package maildir

import (
	"path/filepath"
	"strconv"
	"testing"
)

// TestForeign: a notification about a name this process changed is its
// own once per expectation; anything else is foreign.
func TestForeign(t *testing.T) {
	dir := t.TempDir()
	f := &Folder{}
	a, b := filepath.Join(dir, "cur", "a"), filepath.Join(dir, "cur", "b")
	expectChange(a, b, b)
	for _, tc := range []struct {
		path    string
		foreign bool
	}{
		{filepath.Join(dir, "cur", "c"), true},
		{a, false},
		{a, true}, // used up
		{b + "/", false},
		{filepath.Join(dir, "cur", ".", "b"), false},
		{b, true},
	} {
		if got := f.Foreign(tc.path); got != tc.foreign {
			t.Errorf("Foreign(%q) = %v, want %v", tc.path, got, tc.foreign)
		}
	}
}

// TestExpectChangeBounded: expectations nobody consumes (a polled
// directory) do not pile up past the sweep, and sweeping stays amortized.
func TestExpectChangeBounded(t *testing.T) {
	dir := t.TempDir()
	saved := maxExpected
	maxExpected = 3 * minSweep
	t.Cleanup(func() {
		maxExpected = saved
		ownChanges.Lock()
		clear(ownChanges.expect)
		ownChanges.sweepAt = minSweep
		ownChanges.Unlock()
	})
	for i := range 3 * maxExpected / 2 {
		expectChange(filepath.Join(dir, "cur", strconv.Itoa(i)))
	}
	ownChanges.Lock()
	n := len(ownChanges.expect)
	ownChanges.Unlock()
	if n > maxExpected {
		t.Fatalf("%d expectations kept, want at most %d", n, maxExpected)
	}
}
