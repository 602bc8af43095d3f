package maildir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestRenameat checks the rename that reuses its buffer: names longer and
// shorter than the last, a missing file, and a name with a NUL byte,
// which must not cut the name short.
func TestRenameat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a-long-first-name"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fd := int(d.Fd())
	var buf []byte
	for _, step := range [][2]string{{"a-long-first-name", "b"}, {"b", "c-longer-than-b"}, {"c-longer-than-b", "d"}} {
		if err := renameat(fd, step[0], step[1], &buf); err != nil {
			t.Fatalf("renameat %s -> %s: %v", step[0], step[1], err)
		}
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "d" {
		t.Fatalf("after the renames: %q, want [d]", names)
	}
	if err := renameat(fd, "gone", "e", &buf); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("renameat of a missing file: %v, want ErrNotExist", err)
	}
	if err := renameat(fd, "d\x00", "e", &buf); err == nil {
		t.Error("renameat of a name with a NUL byte succeeded")
	}
	if err := renameat(fd, "d", "e\x00f", &buf); err == nil {
		t.Error("renameat to a name with a NUL byte succeeded")
	}
	if names := listDir(t, dir); len(names) != 1 || names[0] != "d" {
		t.Fatalf("after the failed renames: %q, want [d]", names)
	}
}
