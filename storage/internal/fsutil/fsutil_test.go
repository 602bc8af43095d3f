package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirPerm(t *testing.T) {
	for in, want := range map[os.FileMode]os.FileMode{0o600: 0o700, 0o660: 0o770, 0o664: 0o775, 0o640: 0o750, 0o604: 0o705} {
		if got := DirPerm(in); got != want {
			t.Errorf("DirPerm(%o) = %o, want %o", in, got, want)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"first", "second"} {
		if err := WriteAtomic(dir, "x", []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "x"))
		fi, _ := os.Stat(filepath.Join(dir, "x"))
		if string(got) != content || fi.Mode().Perm() != 0o640 {
			t.Errorf("after writing %q: %q, mode %o", content, got, fi.Mode().Perm())
		}
	}
	if names, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*")); len(names) > 0 {
		t.Errorf("the temporary file was left behind: %v", names)
	}
}
