package maildir

import (
	"io/fs"
	"syscall"
	"time"
)

// statDir returns the state of the directory at path with one stat(2),
// without os.Stat's allocations.
func statDir(path string) (dirState, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return dirState{}, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		return dirState{ino: st.Ino, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}, nil
	}
}

// changeTime returns the change time of the file fi describes.
func changeTime(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Unix())
	}
	return fi.ModTime()
}
