//go:build !unix

package fsutil

import (
	"fmt"
	"io/fs"
	"os"
)

// Unlink removes the file at path, but never a directory: where
// unlink(2) is missing, it checks with Lstat first, which leaves a short
// race.
func Unlink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return &fs.PathError{Op: "unlink", Path: path, Err: fmt.Errorf("is a directory")}
	}
	return os.Remove(path)
}
