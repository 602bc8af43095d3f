package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIdentityTellsRecreatedDirectory: a directory removed and made again
// at the same path has another identity, even where the file system
// hands the freed inode number out again at once and gives the new one
// the old one's birth time (ext4 within one tick of its clock): the inode
// generation tells them apart. A file system that keeps neither and
// reuses the number cannot, and the test says so rather than fail.
func TestIdentityTellsRecreatedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "box")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	first, ok := Identity(dir)
	if !ok || first == ([4]uint64{}) {
		t.Fatalf("Identity = %v, %v", first, ok)
	}
	if again, _ := Identity(dir); again != first {
		t.Fatalf("the same directory: %v, then %v", first, again)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, ok := Identity(dir); ok {
		t.Fatal("Identity of a removed directory")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	second, _ := Identity(dir)
	if second == first {
		if first[3] == 0 {
			t.Skip("no inode generation here, and the inode number and birth time were reused")
		}
		t.Fatalf("a directory made again has the old one's identity %v", first)
	}
}
