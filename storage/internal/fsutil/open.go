package fsutil

import (
	"errors"
	"io/fs"
	"os"
)

// ErrNotRegular means that a file expected to hold a message (or a
// mailbox's metadata) is a symbolic link, a FIFO, a device or a
// directory, which mailgate never reads as one.
var ErrNotRegular = errors.New("not a regular file")

// regular returns the information of the open file f, opened from path,
// when it is a regular file; otherwise it closes f and returns an error,
// wrapping ErrNotRegular when f is not a regular file.
func regular(f *os.File, path string) (fs.FileInfo, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return fi, nil
}
