//go:build unix && !linux

package maildir

import "golang.org/x/sys/unix"

// renameat renames from to to inside the directory fd; buf is for
// Linux's version.
func renameat(fd int, from, to string, _ *[]byte) error {
	return unix.Renameat(fd, from, fd, to)
}
