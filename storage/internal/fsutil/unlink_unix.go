//go:build unix

package fsutil

import (
	"io/fs"
	"syscall"
)

// Unlink removes the directory entry at path with unlink(2) alone: a
// symbolic link goes itself, never its target, and a directory that
// another program put at path meanwhile stays (os.Remove would try
// rmdir(2) too).
func Unlink(path string) error {
	if err := syscall.Unlink(path); err != nil {
		return &fs.PathError{Op: "unlink", Path: path, Err: err}
	}
	return nil
}
