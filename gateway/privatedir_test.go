package gateway

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// checkPrivateDir refuses a directory that someone other than root and
// the daemon's user could change, or one below such a directory.
func TestCheckPrivateDir(t *testing.T) {
	root := os.Geteuid() == 0
	tests := []struct {
		name   string
		setup  func(t *testing.T, base string) string // returns the directory to check
		strict bool
		want   string // in the error; "" for none
		root   bool   // needs root (to give a directory to another user)
	}{
		{name: "own 0700", setup: mkdirs("d", 0o700)},
		{name: "own 0755", setup: mkdirs("d", 0o755), strict: true},
		{name: "does not exist yet", setup: func(t *testing.T, base string) string { return filepath.Join(base, "a", "b") }, strict: true},
		{name: "group-writable", setup: mkdirs("d", 0o775), want: "writable by group"},
		{name: "world-writable", setup: mkdirs("d", 0o777), want: "writable by everyone (mode 0777)"},
		{name: "sticky /tmp-like, as the log file's", setup: mkdirs("d", 0o1777)},
		{name: "sticky /tmp-like, as the data directory", setup: mkdirs("d", 0o1777), strict: true, want: "writable by everyone (mode 1777)"},
		{name: "below a sticky directory", setup: mkdirs("tmp/data", 0o1777, 0o700), strict: true},
		{name: "below a world-writable directory", setup: mkdirs("open/data", 0o777, 0o700), want: "open is writable by everyone"},
		{name: "not yet made, below a world-writable directory", setup: func(t *testing.T, base string) string {
			return filepath.Join(mkdirs("open", 0o777)(t, base), "data")
		}, strict: true, want: "open is writable by everyone"},
		{name: "a link to a directory below a world-writable one", setup: func(t *testing.T, base string) string {
			real := mkdirs("open/real", 0o777, 0o700)(t, base)
			link := filepath.Join(mkdirs("safe", 0o755)(t, base), "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, want: "open is writable by everyone"},
		{name: "owned by another user", root: true, setup: func(t *testing.T, base string) string {
			return chown(t, mkdirs("d", 0o755)(t, base), 65534)
		}, strict: true, want: "belongs to uid 65534"},
		{name: "below a directory of another user", root: true, setup: func(t *testing.T, base string) string {
			d := mkdirs("home/data", 0o755, 0o700)(t, base)
			chown(t, filepath.Dir(d), 65534)
			return d
		}, want: "home belongs to uid 65534"},
		{name: "not yet made, in a directory of another user", root: true, setup: func(t *testing.T, base string) string {
			return filepath.Join(chown(t, mkdirs("home", 0o755)(t, base), 65534), "data")
		}, strict: true, want: "home belongs to uid 65534"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && !root {
				t.Skip("needs root, to give a directory to another user")
			}
			dir := tc.setup(t, t.TempDir())
			err := checkPrivateDir(dir, tc.strict)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s: %v; want it taken", dir, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s was taken; want an error with %q", dir, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s: %v; want %q in it", dir, err, tc.want)
			}
		})
	}
}

// mkdirs returns a setup that makes the directories of rel below base,
// one mode per component (as chmod takes it: 0o1777 is sticky), and
// returns the last.
func mkdirs(rel string, modes ...uint32) func(*testing.T, string) string {
	return func(t *testing.T, base string) string {
		t.Helper()
		d := base
		for i, part := range strings.Split(rel, "/") {
			d = filepath.Join(d, part)
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Chmod(d, modes[min(i, len(modes)-1)]); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
}

func chown(t *testing.T, path string, uid int) string {
	t.Helper()
	if err := os.Chown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
	return path
}

// The log file is opened without following a link, and one that has a
// second name or belongs to another user is refused: in a sticky
// directory someone else may have made it first.
func TestOpenLogFileRefusesPlantedFiles(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		plant func(path string) error
		want  string
		root  bool
	}{
		{"symbolic link", func(p string) error { return os.Symlink(victim, p) }, "symbolic link", false},
		{"hard link", func(p string) error { return os.Link(victim, p) }, "2 names", false},
		{"another user's file", func(p string) error {
			if err := os.WriteFile(p, nil, 0o666); err != nil {
				return err
			}
			return os.Chown(p, 65534, 65534)
		}, "belongs to uid 65534", true},
		{"a directory", func(p string) error { return os.Mkdir(p, 0o700) }, "", false},
		// A FIFO nobody reads: opening it for writing would wait for
		// ever, and the daemon with it (at start, at every SIGHUP).
		{"a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o666) }, "", false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root, to give a file to another user")
			}
			path := filepath.Join(dir, "log"+strconv.Itoa(i))
			if err := tc.plant(path); err != nil {
				t.Fatal(err)
			}
			l, err := openLogFile(path)
			if err == nil {
				l.Write([]byte("a log line\n"))
				l.close()
				t.Fatalf("%s: opened", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v; want %q in it", err, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the log was written through a link: %q", b)
	}
	// A log file of our own opens, and opens again (logrotate).
	l, err := openLogFile(filepath.Join(dir, "mailgate.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if err := l.reopen(); err != nil {
		t.Errorf("reopen: %v", err)
	}
	// After logrotate's rename someone plants a link in its place: the
	// reopen fails, and the lines go on to the old file.
	os.Rename(filepath.Join(dir, "mailgate.log"), filepath.Join(dir, "mailgate.log.1"))
	os.Symlink(victim, filepath.Join(dir, "mailgate.log"))
	if err := l.reopen(); err == nil {
		t.Error("reopen took a planted link")
	}
	l.Write([]byte("still logged\n"))
	if b, _ := os.ReadFile(filepath.Join(dir, "mailgate.log.1")); !strings.Contains(string(b), "still logged") {
		t.Errorf("after a failed reopen the old file holds %q", b)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the log was written through a link: %q", b)
	}
}
