package maildir

import (
	"path/filepath"
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
