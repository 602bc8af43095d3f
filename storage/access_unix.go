//go:build unix

package storage

import (
	"fmt"
	"os"
	"syscall"
)

// mayRead reports whether the user may read the mailbox at path, by its
// file mode as the kernel would judge it for the user's uid and gid. The
// whole server runs as one system user, so the kernel cannot judge for
// it; this keeps "file permissions still apply" for other users'
// mailboxes (the seed's Namespace section). A user without a uid of their
// own (the service's) may read what the service can.
func (u *User) mayRead(path string) error {
	if !u.HasIDs {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ErrNoMailbox
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mode := fi.Mode().Perm()
	var bits os.FileMode
	switch {
	case int(st.Uid) == u.UID:
		bits = mode >> 6
	case int(st.Gid) == u.GID:
		bits = mode >> 3
	default:
		bits = mode
	}
	if bits&0o4 == 0 {
		return fmt.Errorf("%w: the mailbox's file mode does not let %s read it", ErrPermission, u.Name)
	}
	return nil
}

// ownedByProcess reports whether the file at path belongs to the
// process's effective user.
func ownedByProcess(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
