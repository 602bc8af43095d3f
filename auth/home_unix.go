//go:build unix

package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxHomeSteps bounds the names looked at on the way to a home, in case
// another program removes each directory the walk makes.
const maxHomeSteps = 4096

// homeName is one name of a path being walked. orig is the path up to
// and including it when it is a name of the path asked for, "" when it
// comes from a link's target.
type homeName struct {
	name, orig string
}

// homeWalk resolves a directory's path one name at a time from /, with
// the rules of home.go for the links on the way.
type homeWalk struct {
	owner  int    // the home's owner (HomeOwner)
	below  string // NewHome.Below, cleaned; "" makes nothing
	linked bool   // a link was followed
}

// open returns a descriptor of the directory path (absolute and clean),
// for looking up names in it (O_PATH on Linux), and the path it was
// found at once the links were followed. Missing names of path below
// w.below are made.
func (w *homeWalk) open(path string) (fd int, at string, err error) {
	fd, err = unix.Open("/", dirLookupFlags|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
			fd = -1
		}
	}()
	at = "/"
	names := splitHomePath(path, "/", true)
	for links, steps := 0, 0; len(names) > 0; steps++ {
		if steps > maxHomeSteps {
			return fd, at, &fs.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
		}
		n := names[0]
		next := filepath.Join(at, n.name)
		var st unix.Stat_t
		err := unix.Fstatat(fd, n.name, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case err == unix.ENOENT && w.mayMake(n):
			if err := unix.Mkdirat(fd, n.name, 0o755); err != nil && err != unix.EEXIST {
				return fd, at, &fs.PathError{Op: "mkdir", Path: next, Err: err}
			}
			continue // and look again at what is there now
		case err != nil:
			return fd, at, &fs.PathError{Op: "stat", Path: next, Err: err}
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			if int(st.Uid) != 0 && int(st.Uid) != w.owner {
				return fd, at, fmt.Errorf("%s is a symbolic link owned by uid %d, neither root nor the home's owner (uid %d): remove it, or if it is meant to be there give it to root (chown -h root)", next, st.Uid, w.owner)
			}
			if links++; links > maxHomeLinks {
				return fd, at, &fs.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
			}
			target, err := readlinkat(fd, n.name)
			if err != nil {
				return fd, at, &fs.PathError{Op: "readlink", Path: next, Err: err}
			}
			w.linked = true
			if filepath.IsAbs(target) {
				root, err := unix.Open("/", dirLookupFlags|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err != nil {
					return fd, at, &fs.PathError{Op: "open", Path: "/", Err: err}
				}
				unix.Close(fd)
				fd, at = root, "/"
			}
			names = append(splitHomePath(target, "", false), names[1:]...)
			continue
		case st.Mode&unix.S_IFMT != unix.S_IFDIR:
			return fd, at, &fs.PathError{Op: "open", Path: next, Err: unix.ENOTDIR}
		}
		// O_NOFOLLOW: a link put in the directory's place since the
		// stat is refused (ELOOP), never followed unchecked.
		nfd, err := unix.Openat(fd, n.name, dirLookupFlags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fd, at, &fs.PathError{Op: "open", Path: next, Err: err}
		}
		unix.Close(fd)
		fd, at = nfd, next
		names = names[1:]
	}
	return fd, at, nil
}

// mayMake reports whether the missing name n is one the walk makes: a
// name of the path asked for, below w.below.
func (w *homeWalk) mayMake(n homeName) bool {
	return w.below != "" && n.orig != "" && strings.HasPrefix(n.orig, w.below+"/")
}

// splitHomePath splits path into its names; with orig, each records the
// path up to it, below base.
func splitHomePath(path, base string, orig bool) []homeName {
	var names []homeName
	for _, s := range strings.Split(path, "/") {
		if s == "" || s == "." {
			continue
		}
		n := homeName{name: s}
		if orig {
			base = filepath.Join(base, s)
			n.orig = base
		}
		names = append(names, n)
	}
	return names
}

// readlinkat reads the target of the link name in the directory fd.
func readlinkat(fd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

func checkHome(home string, owner int) error {
	w := &homeWalk{owner: owner}
	fd, at, err := w.open(home)
	if err != nil {
		return fmt.Errorf("home %s: %w", home, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("home %s: %w", home, &fs.PathError{Op: "stat", Path: at, Err: err})
	}
	if w.linked && int(st.Uid) != owner {
		return fmt.Errorf("home %s is reached through a symbolic link, and its directory %s belongs to uid %d, not to the home's owner (uid %d): give the directory to uid %d, or name another home", home, at, st.Uid, owner, owner)
	}
	return nil
}

// createHome is CreateHome for an absolute, clean home other than /;
// made, when not nil, runs once the home's directory is made, before it
// is opened (for tests of what another program may do then).
func createHome(home string, how NewHome, made func()) error {
	name := filepath.Base(home)
	w := &homeWalk{owner: HomeOwner(how.UID)}
	if how.Below != "" {
		w.below = filepath.Clean(how.Below)
	}
	pfd, _, err := w.open(filepath.Dir(home))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("creating home %s: %w (create-home-dir makes the home only: make the directories above it)", home, err)
	}
	if err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	defer unix.Close(pfd)
	// 0700 until it has its owner and mode.
	err = unix.Mkdirat(pfd, name, 0o700)
	if err == unix.EEXIST {
		return existingHome(pfd, name, home)
	}
	if err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	if made != nil {
		made()
	}
	fd, err := unix.Openat(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("creating home %s: it changed while it was made (%w); refusing it", home, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("creating home %s: another directory, of uid %d, took its place while it was made; refusing it", home, st.Uid)
	}
	if how.UID >= 0 && how.GID >= 0 && os.Geteuid() == 0 {
		if err := unix.Fchown(fd, how.UID, how.GID); err != nil {
			unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR)
			return fmt.Errorf("giving home %s to uid %d gid %d: %w", home, how.UID, how.GID, err)
		}
	}
	if err := unix.Fchmod(fd, unixMode(how.Mode)); err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	return nil
}

// existingHome judges the name that was there when CreateHome went to
// make the home: a directory (another login made it, or it was there
// already) is left as it is; anything else is refused.
func existingHome(pfd int, name, home string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return nil
	case unix.S_IFLNK:
		target, _ := readlinkat(pfd, name)
		return fmt.Errorf("creating home %s: it is a symbolic link (to %q, of uid %d), and a home is never made through one: remove the link, or make the directory it names", home, target, st.Uid)
	default:
		return fmt.Errorf("creating home %s: it exists and is not a directory: remove or rename it", home)
	}
}

// unixMode is mode's permission, set-id and sticky bits as chmod(2)
// takes them.
func unixMode(mode fs.FileMode) uint32 {
	m := uint32(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		m |= unix.S_ISUID
	}
	if mode&fs.ModeSetgid != 0 {
		m |= unix.S_ISGID
	}
	if mode&fs.ModeSticky != 0 {
		m |= unix.S_ISVTX
	}
	return m
}
