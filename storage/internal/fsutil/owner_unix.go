//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// OwnedByUs reports whether the file fi describes belongs to this
// process's user: a hard link to another user's file, or that file moved
// into a mailbox, would let that user change the message there under a
// fixed UID (and count it against their quota).
func OwnedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Uid) == os.Geteuid()
}

// TrustedIn reports whether the file fi describes may be trusted as a
// file mailgate keeps in directory dir (the numbers of a folder, a
// cache). It is, unless dir is sticky (others may create files there
// but not rename or remove those of others) and the file belongs to a
// user who is neither this process's, root nor dir's owner.
//
// In a directory that is not sticky, anyone able to create the file
// there can as well rename or remove the messages themselves: trusting
// their numbers or cache file gives them nothing new, and distrusting
// it would make every member of a shared folder ignore the others'
// (forget a sortm, restart every modseq at each member's turn). In a
// sticky directory it would give them a power they lack: making our
// process renumber or mislabel files they may not touch. A directory
// that cannot be examined is taken as sticky.
func TrustedIn(fi os.FileInfo, dir string) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() || st.Uid == 0 {
		return true
	}
	di, err := os.Stat(dir)
	if err != nil {
		return false
	}
	if di.Mode()&os.ModeSticky == 0 {
		return true
	}
	dst, ok := di.Sys().(*syscall.Stat_t)
	return ok && dst.Uid == st.Uid
}

// StickyKeeps reports whether the sticky bit of directory dir keeps
// this process's user from renaming or removing the file at path: dir
// has it, and neither dir nor the file is this user's (nor is the user
// root).
func StickyKeeps(dir, path string) bool {
	di, err := os.Stat(dir)
	if err != nil || di.Mode()&os.ModeSticky == 0 || os.Geteuid() == 0 {
		return false
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return false
	}
	return !OwnedByUs(di) && !OwnedByUs(fi)
}

// Unlinkable reports whether err from link(2) means that this file
// cannot be linked there (another file system, a system or file system
// that refuses it), rather than a failure to report.
func Unlinkable(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.EXDEV, syscall.EPERM, syscall.EMLINK, syscall.EACCES, syscall.ENOTSUP:
		return true
	}
	return false
}
