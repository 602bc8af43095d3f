package maildir

import (
	"os"
	"path/filepath"
	"testing"
)

// Is finds a maildir only where a directory holds both cur and new as
// directories.
func TestIs(t *testing.T) {
	root := t.TempDir()
	mk := func(dirs ...string) {
		for _, d := range dirs {
			os.MkdirAll(filepath.Join(root, d), 0o700)
		}
	}
	mk("box/cur", "box/new", "half/cur")
	os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o600)
	os.MkdirAll(filepath.Join(root, "filecur"), 0o700)
	os.WriteFile(filepath.Join(root, "filecur", "cur"), nil, 0o600)
	os.MkdirAll(filepath.Join(root, "filecur", "new"), 0o700)
	os.Symlink(filepath.Join(root, "box"), filepath.Join(root, "symlinked"))
	d := testDriver()
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"box", true},
		{"symlinked", true}, // as os.Stat has always followed it
		{"half", false},
		{"file", false},
		{"filecur", false},
		{"missing", false},
	} {
		if got := d.Is(filepath.Join(root, tc.path)); got != tc.want {
			t.Errorf("Is(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
