package auth

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A home directory is where the root daemon, or a session with the
// user's identity, reads and writes a user's mail. Its path comes from
// the users file (or the data directory), but the names along it may be
// in directories that others can write (a 1777 directory of homes, a
// parent made by the user). So a home is resolved one name at a time,
// and a symbolic link on the way is trusted only as the kernel's
// fs.protected_symlinks would in a sticky directory, made stricter:
//
//   - a link must belong to root or to the home's owner;
//   - a home reached through any link must itself belong to its owner.
//
// The home's owner is the uid whose files it holds: the user's (or
// virtual-user's) when the daemon runs as root and gives homes away, the
// process's own otherwise (root's for a user without a uid served in a
// root daemon). CheckHome applies these rules to an existing home,
// CreateHome to the directories above the home it makes.

// maxHomeLinks bounds the links followed on the way to a home, as the
// kernel's 40 (ELOOP).
const maxHomeLinks = 40

// NewHome says how CreateHome makes a home.
type NewHome struct {
	// Mode is the home's mode (home-dir-mode), set exactly whatever the
	// umask, set-id and sticky bits included.
	Mode fs.FileMode
	// UID and GID own the home when both are not negative and the
	// process runs as root (and may give files away); otherwise the home
	// is the process's.
	UID, GID int
	// Below, when not empty, is a directory (the data directory) below
	// which the home's missing parent directories are made, mode 0755.
	// Elsewhere only the home itself is made (the seed's
	// create-home-dir), and a missing parent is an error.
	Below string
}

// HomeOwner is the uid that a home made with uid (NewHome.UID) belongs
// to, and that CheckHome expects: uid itself when the process runs as
// root and uid is not negative, otherwise the process's own.
func HomeOwner(uid int) int {
	if euid := os.Geteuid(); euid != 0 || uid < 0 {
		return euid
	}
	return uid
}

// CreateHome makes a user's missing home directory (the seed's
// create-home-dir and home-dir-mode) as how says. Every step is taken
// from a descriptor of the directory above it, never through a name
// that a link may have replaced: the home is made with mkdirat, opened
// without following links, and given its owner and mode on that
// descriptor. A home that exists as a directory is left as it is (a home
// that another login creates at the same time is not an error); one
// that exists as a link or anything else but a directory is refused, as
// are links on the way that CheckHome would refuse.
func CreateHome(home string, how NewHome) error {
	if !filepath.IsAbs(home) {
		return fmt.Errorf("home %q is not an absolute path", home)
	}
	if home = filepath.Clean(home); home == "/" {
		return fmt.Errorf("the home cannot be /")
	}
	return createHome(home, how, nil)
}

// CheckHome reports whether the existing directory home may be used as
// the home of a user whose files belong to the uid owner (HomeOwner):
// an error wrapping fs.ErrNotExist when a name on the way is missing,
// and an error saying what to fix when a link on the way belongs to
// neither root nor owner, when the home is reached through a link but
// belongs to someone else, or when it is not a directory.
func CheckHome(home string, owner int) error {
	if !filepath.IsAbs(home) {
		return fmt.Errorf("home %q is not an absolute path", home)
	}
	return checkHome(filepath.Clean(home), owner)
}
