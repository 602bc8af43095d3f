//go:build unix

package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// OpenRegular opens the file at path for reading as a message file must
// be opened: without following a symbolic link at path (another user of
// the mailbox could point it at any file the server may read), without
// blocking on a FIFO, and only when it is a regular file. Anything else
// gives an error that wraps ErrNotRegular. It returns the file's
// information as fstat(2) gave it after the open.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		// ELOOP says a symbolic link; some BSDs say EMLINK or EFTYPE.
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			err = &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
		}
		return nil, nil, err
	}
	fi, err := regular(f, path)
	if err != nil {
		return nil, nil, err
	}
	return f, fi, nil
}
