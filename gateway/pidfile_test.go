package gateway

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// A run killed between the create and the rename of its pidfile's new
// file left that file for good. The next start removes such files: only
// regular files of its user, whose names are exactly of the pattern, and
// whose pid, if any, is not a live process's.
func TestWritePIDFileRemovesStaleNewFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mailgate.pid")
	name := func(suffix string) string { return filepath.Join(dir, ".mailgate.pid."+suffix) }
	// Files of a killed run are old; a file of the last minute may be
	// a start under way (TestWritePIDFileSparesAConcurrentStartsEmptyNewFile).
	old := time.Now().Add(-time.Hour)
	write := func(p, content string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	gone := []string{
		name("ABCDEFGHJKLM"), // killed before it wrote
		name("ZZZZ2222ZZZZ"), // killed before the rename: its pid is dead
	}
	write(gone[0], "")
	write(gone[1], "2147483646\n")
	kept := []string{
		name("LIVE2345LIVE"),  // another start, now
		name("ABCDEFGHJKL"),   // too short
		name("ABCDEFGHJKLMN"), // too long
		name("abcdefghjklm"),  // not rand.Text's
		name("ABCDEFGH1KLM"),  // 1 is not base32's
		filepath.Join(dir, ".other.pid.ABCDEFGHJKLM"),
		filepath.Join(dir, "precious"),
	}
	write(kept[0], strconv.Itoa(os.Getppid())+"\n")
	for _, p := range kept[1:] {
		write(p, "")
	}
	link := name("LINK2345LINK") // a link is never removed, nor followed
	if err := os.Symlink(filepath.Join(dir, "precious"), link); err != nil {
		t.Fatal(err)
	}
	subdir := name("DIRS2345DIRS")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}
	kept = append(kept, link, subdir)
	if os.Geteuid() == 0 {
		theirs := name("THEIRS2THEIR")
		write(theirs, "")
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, theirs)
	}

	remove, err := WritePIDFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	for _, p := range gone {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s, a stale new file of the pidfile, is still there (%v)", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("the pidfile holds %q (%v)", b, err)
	}
}
