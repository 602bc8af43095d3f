package auth

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Issue 10, item 5: a missing home is created with home-dir-mode despite
// the umask, and given to the user when running as root.
func TestCreateHome(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	home := filepath.Join(t.TempDir(), "homes", "alice")
	uid, gid := 4321, 4322
	if err := CreateHome(home, 0o750, uid, gid); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(home)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Fatalf("home: %v, %v", fi.Mode(), err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if os.Geteuid() == 0 && (int(st.Uid) != uid || int(st.Gid) != gid) {
		t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	if os.Geteuid() != 0 && int(st.Uid) != os.Geteuid() {
		t.Errorf("owner %d, want ourselves", st.Uid)
	}
	// An existing home is left alone.
	os.Chmod(home, 0o700)
	if err := CreateHome(home, 0o750, uid, gid); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(home); fi.Mode().Perm() != 0o700 {
		t.Errorf("existing home's mode changed to %v", fi.Mode())
	}
	if err := CreateHome("relative", 0o700, -1, -1); err == nil {
		t.Error("relative home created")
	}
}
