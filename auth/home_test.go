package auth

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Issue 10, item 5: a missing home is created with home-dir-mode despite
// the umask, and given to the user when running as root.
func TestCreateHome(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	dir := t.TempDir()
	home := filepath.Join(dir, "homes", "alice")
	uid, gid := 4321, 4322
	if err := CreateHome(home, NewHome{Mode: 0o750, UID: uid, GID: gid, Below: dir}); err != nil {
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
	if err := CreateHome(home, NewHome{Mode: 0o750, UID: uid, GID: gid}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(home); fi.Mode().Perm() != 0o700 {
		t.Errorf("existing home's mode changed to %v", fi.Mode())
	}
	if err := CreateHome("relative", NewHome{Mode: 0o700, UID: -1, GID: -1}); err == nil {
		t.Error("relative home created")
	}
}

// The seed's create-home-dir makes the home only: the directories above
// it are made below NewHome.Below (the data directory) and nowhere else.
func TestCreateHomeMakesParentsOnlyBelowTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		home string
		ok   bool
	}{
		{filepath.Join(data, "example.org", "alice"), true},
		{filepath.Join(data, "a", "b", "c", "bob"), true},
		{filepath.Join(dir, "elsewhere", "carol"), false},
		{filepath.Join(dir, "data-not", "dave"), false},
		{filepath.Join(data, "..", "up", "erin"), false},
	} {
		err := CreateHome(tc.home, NewHome{Mode: 0o700, UID: -1, GID: -1, Below: data})
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.home, err)
		}
		if !tc.ok {
			if err == nil {
				t.Errorf("%s: made, with its parents, outside %s", tc.home, data)
			} else if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "make the directories above it") {
				t.Errorf("%s: %v; want a missing parent, and what to do", tc.home, err)
			}
			if _, err := os.Stat(filepath.Dir(filepath.Clean(tc.home))); err == nil {
				t.Errorf("%s: its parent was made", tc.home)
			}
		}
	}
}

// An existing name that is not a directory is not a home, and a link is
// never created through, whoever owns it.
func TestCreateHomeRefusesWhatIsNotADirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	toDir := filepath.Join(dir, "todir")
	os.Mkdir(filepath.Join(dir, "real"), 0o700)
	os.Symlink(filepath.Join(dir, "real"), toDir)
	for _, home := range []string{file, dangling, toDir} {
		if err := CreateHome(home, NewHome{Mode: 0o755, UID: -1, GID: -1}); err == nil {
			t.Errorf("%s: taken for a home", home)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("the dangling link's target was made")
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode changed to %v", fi.Mode())
	}
}

// D4 of the security review: create-home-dir as root must not take a
// link someone planted at the home's path for the home. Mkdir fails with
// EEXIST on a dangling link, which CreateHome took for "another login
// made it", so the session (in the root daemon for a user without a
// uid) then worked in whatever the link names. The link here belongs to
// another user (nobody), as one planted in a shared parent directory
// would.
func TestCreateHomeRefusesAPlantedLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as create-home-dir does")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	home := filepath.Join(dir, "homes", "carol")
	if err := os.MkdirAll(filepath.Dir(home), 0o1777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, home); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := CreateHome(home, NewHome{Mode: 0o700, UID: 1001, GID: 1001})
	if err == nil {
		t.Errorf("CreateHome accepted a link planted by another user as the home")
	}
	if fi, lerr := os.Lstat(home); lerr == nil && fi.Mode()&os.ModeSymlink != 0 && err == nil {
		t.Errorf("the home %s is still a link to %s, and CreateHome said all is well", home, target)
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("the link's target %s was made", target)
	}
}

// The race of D4: the home is made, then someone who may write its
// parent swaps it for a link to a file of root's before its owner and
// mode are set. Nothing may be given away or chmodded through the link.
func TestCreateHomeSwappedForALinkWhileMade(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "shadow")
	if err := os.WriteFile(victim, []byte("root:*:"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "carol")
	swap := func() {
		if err := os.Rename(home, filepath.Join(dir, "moved")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, home); err != nil {
			t.Fatal(err)
		}
	}
	err := createHome(home, NewHome{Mode: 0o755, UID: 1001, GID: 1001}, swap)
	if err == nil {
		t.Error("CreateHome accepted a home swapped for a link")
	}
	fi, _ := os.Stat(victim)
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o600 || int(st.Uid) != os.Geteuid() {
		t.Errorf("the link's target is now mode %v, uid %d", fi.Mode(), st.Uid)
	}
}

// The links on the way to a home (auth.CheckHome) as fs.protected_symlinks
// would judge them, made stricter: a link must be root's or the home
// owner's, and a home reached through one must be its owner's.
func TestCheckHomeLinks(t *testing.T) {
	root := os.Geteuid() == 0
	const other, owner = 65534, 4321
	me := owner
	if !root {
		me = os.Geteuid()
	}
	dir := t.TempDir()
	mk := func(path string, uid int) string {
		t.Helper()
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if root {
			os.Chown(p, uid, uid)
		}
		return p
	}
	link := func(name, target string, uid int) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if root {
			os.Lchown(p, uid, uid)
		}
		return p
	}
	mine := mk("mine", me)
	theirs := mk("theirs", other)
	mk("parent/sub/home", me)
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
	tests := []struct {
		name     string
		home     string
		ok       bool
		rootOnly bool
		missing  bool
	}{
		{"a directory", mine, true, false, false},
		{"another's directory, not through a link", theirs, true, false, false},
		{"the owner's link to its directory", link("l-mine", mine, me), true, false, false},
		{"root's link to the owner's directory", link("l-root", mine, 0), true, false, false},
		{"a relative link", link("l-rel", "parent/sub/home", me), true, false, false},
		{"a link to a link", link("l-l", filepath.Join(dir, "l-mine"), me), true, false, false},
		{"a link on the way", filepath.Join(link("l-parent", "parent", 0), "sub", "home"), true, false, false},
		{"a link with .. in it", link("l-up", "parent/sub/../sub/home", me), true, false, false},
		{"a link planted by another", link("l-other", mine, other), false, true, false},
		{"a link on the way planted by another", filepath.Join(link("l-other-parent", "parent", other), "sub", "home"), false, true, false},
		{"root's link to another's directory", link("l-theirs", theirs, 0), false, true, false},
		{"a link to a file", link("l-file", filepath.Join(dir, "file"), me), false, false, false},
		{"a file", filepath.Join(dir, "file"), false, false, false},
		{"missing", filepath.Join(dir, "none"), false, false, true},
		{"a dangling link", link("l-none", filepath.Join(dir, "none"), me), false, false, true},
		{"a loop", link("l-loop", "l-loop", me), false, false, false},
	}
	for _, tc := range tests {
		if tc.rootOnly && !root {
			continue
		}
		err := CheckHome(tc.home, me)
		if tc.ok != (err == nil) {
			t.Errorf("%s (%s): %v", tc.name, tc.home, err)
		}
		if errors.Is(err, fs.ErrNotExist) != tc.missing {
			t.Errorf("%s: %v; missing: want %v", tc.name, err, tc.missing)
		}
	}
}
