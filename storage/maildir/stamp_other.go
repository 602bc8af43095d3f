//go:build !linux

package maildir

import "os"

// statDir returns the state of the directory at path. Only the
// modification time is portable; the change time and inode number stay 0.
func statDir(path string) (dirState, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return dirState{}, err
	}
	return dirState{mtime: fi.ModTime().UnixNano()}, nil
}
