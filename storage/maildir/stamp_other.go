//go:build !linux

package maildir

import (
	"os"
	"time"
)

// statDir returns the state of the directory at path. Only the
// modification time is portable; the change time and inode number stay 0.
func statDir(path string) (dirState, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return dirState{}, err
	}
	return dirState{mtime: fi.ModTime().UnixNano()}, nil
}

// changeTime returns the modification time of the file fi describes:
// the change time is not portable.
func changeTime(fi os.FileInfo) time.Time { return fi.ModTime() }
