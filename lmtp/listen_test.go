package lmtp_test

import (
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp"
)

// shortDir returns a directory with a short path: t.TempDir() can be too
// long for a unix socket name.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lmtp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestListenUnixSocket: the socket appears with its mode (0660 by
// default) and owner, serves, and goes away when the listener closes;
// nothing else is left in its directory.
func TestListenUnixSocket(t *testing.T) {
	dir := shortDir(t)
	for _, tc := range []struct {
		name  string
		cfg   lmtp.ListenConfig
		mode  fs.FileMode
		owner int // -1: ours
	}{
		{"default mode", lmtp.ListenConfig{}, 0o660, -1},
		{"mode 0600", lmtp.ListenConfig{Mode: 0o600}, 0o600, -1},
		{"mode 0666", lmtp.ListenConfig{Mode: 0o666}, 0o666, -1},
		{"owner and group by id", lmtp.ListenConfig{Owner: "65534", Group: "65534"}, 0o660, 65534},
		{"owner by name", lmtp.ListenConfig{Owner: "nobody"}, 0o660, 65534},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.owner >= 0 && os.Geteuid() != 0 {
				t.Skip("giving a file away needs root")
			}
			cfg := tc.cfg
			cfg.Address = filepath.Join(dir, "sub", "lmtp.sock")
			ln, err := lmtp.Listen(cfg)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(cfg.Address)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != tc.mode {
				t.Errorf("socket mode %v; want socket %v", fi.Mode(), tc.mode)
			}
			st := fi.Sys().(*syscall.Stat_t)
			wantUID := uint32(os.Geteuid())
			if tc.owner >= 0 {
				wantUID = uint32(tc.owner)
			}
			if st.Uid != wantUID {
				t.Errorf("socket owner %d; want %d", st.Uid, wantUID)
			}
			if ln.Addr().String() != cfg.Address {
				t.Errorf("Addr %q; want %q", ln.Addr(), cfg.Address)
			}
			if got := dirEntries(t, filepath.Dir(cfg.Address)); len(got) != 1 {
				t.Errorf("directory holds %v; want only the socket", got)
			}
			// It serves LMTP.
			srv := lmtp.New(&lmtp.Options{Logger: quietLogger(), Hostname: "mx.example.org"})
			go srv.Serve(ln)
			r := dialRaw(t, "unix", cfg.Address)
			if !strings.HasPrefix(r.greeting, "220 mx.example.org") {
				t.Errorf("greeting %q", r.greeting)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.Close(ctx)
			if _, err := os.Lstat(cfg.Address); !os.IsNotExist(err) {
				t.Errorf("socket left after Close: %v", err)
			}
		})
	}
}

// TestListenStaleSocket: a socket file nobody listens on (its server was
// killed) is replaced; a live one is refused and keeps working.
func TestListenStaleSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "lmtp.sock")
	// A stale socket: bound, then closed without removing the file.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	ln, err := lmtp.Listen(lmtp.ListenConfig{Address: path})
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	// Now it is live: a second server must not take it.
	if _, err := lmtp.Listen(lmtp.ListenConfig{Address: path}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("live socket taken over, or the error does not name it: %v", err)
	}
	go func() {
		// The first connection is the second Listen's probe.
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("still mine\r\n"))
			c.Close()
		}
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("the live socket no longer answers: %v", err)
	}
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, _ := c.Read(buf)
	c.Close()
	if string(buf[:n]) != "still mine\r\n" {
		t.Errorf("read %q from the socket", buf[:n])
	}
}

// TestListenRefusesNonSocket: a file, a directory or a symbolic link (even
// one to a stale socket) at the path is left alone, with an error that
// names the path.
func TestListenRefusesNonSocket(t *testing.T) {
	dir := shortDir(t)
	stale := filepath.Join(dir, "stale.sock")
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"regular file", func(p string) error { return os.WriteFile(p, []byte("precious"), 0o600) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
		{"symlink to a stale socket", func(p string) error { return os.Symlink(stale, p) }},
		{"dangling symlink", func(p string) error { return os.Symlink(filepath.Join(dir, "nothing"), p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strconv.Itoa(len(tc.name))+".sock")
			if err := tc.make(path); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Lstat(path)
			ln, err := lmtp.Listen(lmtp.ListenConfig{Address: path})
			if err == nil {
				ln.Close()
				t.Fatal("Listen took the path")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a socket") {
				t.Errorf("error %q should name %s and say it is not a socket", err, path)
			}
			after, err := os.Lstat(path)
			if err != nil || !os.SameFile(before, after) {
				t.Errorf("the path was changed: %v", err)
			}
		})
	}
	if _, err := os.Lstat(stale); err != nil {
		t.Errorf("the stale socket behind the symlink was removed: %v", err)
	}
}

// TestListenCloseKeepsAReplacedSocket: closing a listener whose socket
// file another server has replaced meanwhile leaves that file.
func TestListenCloseKeepsAReplacedSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "lmtp.sock")
	ln, err := lmtp.Listen(lmtp.ListenConfig{Address: path})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	other, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the other server's socket was removed: %v", err)
	}
}

// TestListenTCP: a host:port listens on TCP.
func TestListenTCP(t *testing.T) {
	ln, err := lmtp.Listen(lmtp.ListenConfig{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().Network() != "tcp" {
		t.Errorf("network %s", ln.Addr().Network())
	}
	if _, err := lmtp.Listen(lmtp.ListenConfig{Address: ln.Addr().String()}); err == nil ||
		!strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("listening twice on one port: %v", err)
	}
}

// TestListenPathTooLong: a path too long for a unix socket name is an
// error that says so.
func TestListenPathTooLong(t *testing.T) {
	path := filepath.Join(shortDir(t), strings.Repeat("x", 100)+".sock")
	if _, err := lmtp.Listen(lmtp.ListenConfig{Address: path}); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("error %v", err)
	}
}
