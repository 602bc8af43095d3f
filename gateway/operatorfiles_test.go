package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

// A root daemon refuses a data directory owned by another user: that user
// could write <data-dir>/users (the default users file: any login), read
// <data-dir>/acme (the ACME account and certificate keys), and replace
// <data-dir>/control with a socket of their own, which "mailgate auth
// test USER" would send the administrator's password for USER to.
func TestNewRefusesDataDirOwnedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte("data-dir = "+quote(dir)+"\n[[server]]\naddress = \"127.0.0.1:0\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.EnsureUser(cfg.UsersFile()); err != nil { // as the first run does
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		g.Close()
		t.Fatal("a root daemon accepted a data directory owned by uid 65534")
	}
	if want := "test.toml:1: data-dir: " + dir + ": " + dir + " belongs to uid 65534"; !strings.Contains(err.Error(), want) {
		t.Errorf("New: %v; want %q in it", err, want)
	}
}

// "mailgate config check" (Check) says what the daemon would: a data
// directory, pidfile or log file in a directory that others can change
// is refused, with the key's line and the directory at fault.
func TestCheckRefusesDirectoriesOthersCanWrite(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	sticky := filepath.Join(base, "sticky")
	for d, mode := range map[string]uint32{open: 0o777, sticky: 0o1777} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Chmod(d, mode); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(base, "link.log")
	if err := os.Symlink(filepath.Join(base, "elsewhere.log"), link); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(base, "data")
	tests := []struct {
		name, text string
		want       string // "" for none
	}{
		{"good", "data-dir = " + quote(good) + "\npidfile = " + quote(filepath.Join(base, "m.pid")) +
			"\n[logging]\ndestination = " + quote(filepath.Join(base, "m.log")) + "\n", ""},
		{"log file in a sticky directory", "data-dir = " + quote(good) +
			"\n[logging]\ndestination = " + quote(filepath.Join(sticky, "m.log")) + "\n", ""},
		{"pidfile in a sticky directory", "data-dir = " + quote(good) + "\npidfile = " + quote(filepath.Join(sticky, "m.pid")) + "\n",
			"test.toml:2: pidfile: " + filepath.Join(sticky, "m.pid") + ": " + sticky + " is writable by everyone (mode 1777)"},
		{"data directory below a sticky one", "data-dir = " + quote(filepath.Join(sticky, "data")) + "\n", ""},
		{"data directory world-writable", "data-dir = " + quote(open) + "\n",
			"test.toml:1: data-dir: " + open + ": " + open + " is writable by everyone (mode 0777)"},
		{"data directory sticky", "data-dir = " + quote(sticky) + "\n",
			"test.toml:1: data-dir: " + sticky + ": " + sticky + " is writable by everyone (mode 1777)"},
		{"data directory below a world-writable one", "data-dir = " + quote(filepath.Join(open, "data")) + "\n",
			"test.toml:1: data-dir: " + filepath.Join(open, "data") + ": " + open + " is writable by everyone"},
		{"pidfile", "data-dir = " + quote(good) + "\n\npidfile = " + quote(filepath.Join(open, "m.pid")) + "\n",
			"test.toml:3: pidfile: " + filepath.Join(open, "m.pid") + ": " + open + " is writable by everyone"},
		{"log file", "data-dir = " + quote(good) + "\n[logging]\ndestination = " + quote(filepath.Join(open, "m.log")) + "\n",
			"test.toml:3: logging.destination: " + filepath.Join(open, "m.log") + ": " + open + " is writable by everyone"},
		{"log file is a link", "data-dir = " + quote(good) + "\n[logging]\ndestination = " + quote(link) + "\n",
			"test.toml:3: logging.destination: " + link + " is a symbolic link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(tc.text), "test.toml")
			if err != nil {
				t.Fatal(err)
			}
			err = gateway.Check(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("Check passed; want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("Check: %v\nwant %q in it", err, tc.want)
			}
		})
	}
}

// The pidfile is written into a new file renamed into place: a link
// planted where it goes is replaced, not written through, and a file
// someone else made there is replaced by one of root's.
func TestWritePIDFile(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(os.Getpid()) + "\n"
	check := func(path string) {
		t.Helper()
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want a regular file of mode 0644", path, fi.Mode())
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Geteuid() {
			t.Errorf("%s belongs to uid %d", path, st.Uid)
		}
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s holds %q, want %q", path, b, want)
		}
	}

	link := filepath.Join(dir, "link.pid")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	remove, err := gateway.WritePIDFile(link)
	if err != nil {
		t.Fatal(err)
	}
	check(link)
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the pidfile was written through a link: %s holds %q", victim, b)
	}
	remove()
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after remove: %v", err)
	}

	if os.Geteuid() == 0 {
		theirs := filepath.Join(dir, "theirs.pid")
		if err := os.WriteFile(theirs, []byte("1\n"), 0o666); err != nil {
			t.Fatal(err)
		}
		os.Chown(theirs, 65534, 65534)
		if _, err := gateway.WritePIDFile(theirs); err != nil {
			t.Fatal(err)
		}
		check(theirs)
	}

	// Another process's pidfile in its place by the time this one stops
	// (a second daemon started meanwhile) is not removed.
	p := filepath.Join(dir, "mailgate.pid")
	remove, err = gateway.WritePIDFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	os.WriteFile(p, []byte("1\n"), 0o644)
	remove()
	if b, _ := os.ReadFile(p); string(b) != "1\n" {
		t.Errorf("remove took another pidfile (%q)", b)
	}

	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}

	// A directory that others can write is refused, and nothing is made.
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	syscall.Chmod(open, 0o777)
	if _, err := gateway.WritePIDFile(filepath.Join(open, "mailgate.pid")); err == nil || !strings.Contains(err.Error(), "writable by everyone") {
		t.Errorf("a pidfile in a world-writable directory: %v", err)
	}
	if entries, _ := os.ReadDir(open); len(entries) != 0 {
		t.Errorf("%s holds %d files", open, len(entries))
	}
	// So is a sticky one (/tmp): anyone could make the name first.
	sticky := filepath.Join(dir, "sticky")
	os.Mkdir(sticky, 0o700)
	syscall.Chmod(sticky, 0o1777)
	if _, err := gateway.WritePIDFile(filepath.Join(sticky, "mailgate.pid")); err == nil || !strings.Contains(err.Error(), "writable by everyone") {
		t.Errorf("a pidfile in a sticky world-writable directory: %v", err)
	}
}

// The control commands check who answers before they send anything: a
// socket that another user put where the daemon's should be (while the
// daemon is down) hears no request, and so no "auth test" password. Root
// still reaches a daemon that runs as its own user, in a directory that
// is that user's alone.
func TestControlRequestChecksTheDaemon(t *testing.T) {
	python := pythonAsNobody(t)
	ownDir := func(t *testing.T) string {
		dir := filepath.Join(tempDirOfMode(t, 0o755), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tc := range []struct {
		name   string
		dir    func(t *testing.T) string
		served bool
	}{
		{"planted in a directory anyone can write", func(t *testing.T) string { return tempDirOfMode(t, 0o777) }, false},
		{"a daemon of its own user, in its own directory", ownDir, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			socket := filepath.Join(tc.dir(t), gateway.ControlSocketName)
			// The other user's process: listens, takes one connection,
			// prints what it hears (for up to a second) and answers OK.
			script := `import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
c.settimeout(1)
try:
    got = c.recv(4096)
except OSError:
    got = b""
print("heard", repr(got.decode()), flush=True)
try:
    c.sendall(b"OK\tverified\n")
except OSError:
    pass`
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "-c", script, socket)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 6)
			if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "ready\n" {
				t.Fatalf("the other user's process did not start: %q %v", buf, err)
			}
			_, text, err := gateway.ControlRequest(socket, "auth-test", "alice", "s3cret")
			heard, _ := io.ReadAll(out)
			cmd.Wait()
			if tc.served {
				if err != nil || text != "verified" {
					t.Errorf("ControlRequest to the daemon of uid 65534 in its own directory: %q, %v", text, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "uid 65534") {
				t.Errorf("ControlRequest to a socket of uid 65534: %v; want a refusal naming the uid", err)
			}
			if !strings.Contains(string(heard), "heard ''") {
				t.Errorf("the impostor %s", heard)
			}
		})
	}
}

// pythonAsNobody returns the python3 that a test runs as uid 65534,
// skipping the test without root or python3.
func pythonAsNobody(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a program as another user")
	}
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("needs " + python + ", runnable by another user")
	}
	return python
}

// tempDirOfMode makes a directory of mode in the system's temporary
// directory (another user cannot reach into t.TempDir's), removed at the
// end of the test.
func tempDirOfMode(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mgctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}
