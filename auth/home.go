package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CreateHome makes a user's missing home directory (the seed's
// create-home-dir and home-dir-mode): the directories above it as
// needed (mode 0755), then the home itself with exactly mode, whatever
// the umask, owned by uid and gid when both are not negative and the
// process may give files away (it runs as root). A home that exists is
// left as it is. A home that another login creates at the same time is
// not an error.
func CreateHome(home string, mode fs.FileMode, uid, gid int) error {
	if !filepath.IsAbs(home) {
		return fmt.Errorf("home %q is not an absolute path", home)
	}
	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	err := os.Mkdir(home, mode.Perm())
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	if uid >= 0 && gid >= 0 && os.Geteuid() == 0 {
		// Lchown: the name was just made a directory by us; never follow
		// a link someone put in its place.
		if err := os.Lchown(home, uid, gid); err != nil {
			os.Remove(home)
			return fmt.Errorf("giving home %s to uid %d gid %d: %w", home, uid, gid, err)
		}
	}
	// Mkdir's mode went through the umask; set it exactly, and the
	// set-id and sticky bits Mkdir ignores.
	if err := os.Chmod(home, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return fmt.Errorf("creating home %s: %w", home, err)
	}
	return nil
}
