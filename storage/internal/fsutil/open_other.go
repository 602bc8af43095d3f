//go:build !unix

package fsutil

import (
	"io/fs"
	"os"
)

// OpenRegular opens the file at path for reading, only when it is a
// regular file; anything else gives an error that wraps ErrNotRegular.
// Where O_NOFOLLOW is missing, it checks with Lstat first, which leaves a
// short race.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	if fi, err := os.Lstat(path); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := regular(f, path)
	if err != nil {
		return nil, nil, err
	}
	return f, fi, nil
}
