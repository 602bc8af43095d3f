package lmtp

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ListenConfig is one LMTP listening address and, for a unix socket, who
// may connect to it.
type ListenConfig struct {
	// Address is a unix socket path (any address with a "/") or a TCP
	// host:port.
	Address string
	// Mode is the unix socket's permission bits; 0660 when zero. Only
	// users with write permission may connect.
	Mode fs.FileMode
	// Owner and Group own the unix socket: a name or a numeric id; empty
	// keeps the process's. Giving them to another user needs root.
	Owner, Group string
}

// IsUnix reports whether the address is a unix socket path.
func (c ListenConfig) IsUnix() bool { return strings.Contains(c.Address, "/") }

// Listen opens a listener for Serve.
//
// A unix socket is made safely: its file appears at Address only with its
// final mode and owner (it is made in a private directory beside it, then
// linked into place); a socket file already there is removed only when
// nobody answers on it (a stale one, left by a process that died), never
// when it is live; and anything else at that path (a file, a directory, a
// symbolic link) is an error naming it. Closing the listener removes the
// socket file, unless another has replaced it meanwhile.
func Listen(cfg ListenConfig) (net.Listener, error) {
	if !cfg.IsUnix() {
		ln, err := net.Listen("tcp", cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("lmtp: listening on %s: %w", cfg.Address, err)
		}
		return ln, nil
	}
	return listenUnix(cfg)
}

// sunPathMax is the room for a socket path in struct sockaddr_un, its
// terminating NUL included (108 on Linux, 104 on the BSDs): clients
// cannot connect to a longer one.
var sunPathMax = map[bool]int{true: 108, false: 104}[runtime.GOOS == "linux"]

func listenUnix(cfg ListenConfig) (net.Listener, error) {
	path, err := filepath.Abs(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("lmtp: socket %s: %w", cfg.Address, err)
	}
	uid, gid, err := owners(cfg.Owner, cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	mode := cfg.Mode.Perm()
	if mode == 0 {
		mode = 0o660
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	private, err := os.MkdirTemp(dir, ".lmtp")
	if err != nil {
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	defer os.RemoveAll(private)
	tmp := filepath.Join(private, "s")
	if n := max(len(path), len(tmp)); n >= sunPathMax {
		return nil, fmt.Errorf("lmtp: socket %s: the path is too long for a unix socket (%d bytes, and %d for the temporary name beside it; at most %d)",
			path, len(path), len(tmp), sunPathMax-1)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := placeSocket(tmp, path, mode, uid, gid); err != nil {
		ln.Close()
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	return &unixListener{UnixListener: ln, path: path, file: fi}, nil
}

// placeSocket gives the socket at tmp its mode and owner, then links it
// at path; link(2), unlike rename(2), fails if something appeared there.
func placeSocket(tmp, path string, mode fs.FileMode, uid, gid int) error {
	if uid >= 0 || gid >= 0 {
		if err := os.Lchown(tmp, uid, gid); err != nil {
			return fmt.Errorf("setting the owner: %w", err)
		}
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("setting the mode: %w", err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return errors.New("another process created it at the same time")
		}
		return err
	}
	return nil
}

// removeStale removes a socket file that nobody listens on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lmtp: socket %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("lmtp: socket %s: the path exists and is not a socket but %s; remove it or choose another path", path, fileKind(fi.Mode()))
	}
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("lmtp: socket %s: another server is listening on it", path)
	case errors.Is(err, syscall.ENOENT):
		return nil // removed meanwhile
	case !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("lmtp: socket %s: cannot tell whether it is in use, so it stays: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lmtp: socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// fileKind names a file's type for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file (" + m.Type().String() + ")"
}

// owners resolves the socket's owner and group; -1 leaves one as it is.
func owners(owner, group string) (uid, gid int, err error) {
	uid, err = systemID(owner, func(name string) (string, error) {
		u, err := user.Lookup(name)
		if err != nil {
			return "", err
		}
		return u.Uid, nil
	})
	if err != nil {
		return -1, -1, fmt.Errorf("owner: %w", err)
	}
	gid, err = systemID(group, func(name string) (string, error) {
		g, err := user.LookupGroup(name)
		if err != nil {
			return "", err
		}
		return g.Gid, nil
	})
	if err != nil {
		return -1, -1, fmt.Errorf("group: %w", err)
	}
	return uid, gid, nil
}

// systemID turns a user or group given as a number or a name into its
// id; "" is -1.
func systemID(s string, lookup func(string) (string, error)) (int, error) {
	if s == "" {
		return -1, nil
	}
	if id, err := strconv.Atoi(s); err == nil {
		if id < 0 {
			return -1, fmt.Errorf("%q is not an id", s)
		}
		return id, nil
	}
	idStr, err := lookup(s)
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(idStr)
}

// unixListener is a listener on a socket file that Listen placed.
type unixListener struct {
	*net.UnixListener
	path string
	file fs.FileInfo // the socket file as placed
	once sync.Once
}

// Addr returns the socket's path (the listener was bound elsewhere).
func (l *unixListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// Close stops listening and removes the socket file, if it is still the
// one Listen placed.
func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.file) {
			os.Remove(l.path)
		}
	})
	return err
}
