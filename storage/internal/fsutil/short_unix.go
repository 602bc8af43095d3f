//go:build unix

package fsutil

import (
	"errors"
	"io"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenShort opens the file at path as OpenRegular does (no symbolic
// link, no FIFO, only a regular file; ErrNotRegular otherwise), for a
// short read from its start, such as a message's header: a bare file
// descriptor, without what an *os.File costs per file (the poller's
// registration, a cleanup, the file's information). A first FETCH
// ENVELOPE opens every message of a mailbox this way. The caller must
// Close it: nothing closes it for the caller.
func OpenShort(path string) (io.ReadCloser, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		// ELOOP says a symbolic link; some BSDs say EMLINK or EFTYPE.
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			err = ErrNotRegular
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = ErrNotRegular
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &shortFile{fd: fd, path: path}, nil
}

// shortFile is a file OpenShort opened.
type shortFile struct {
	fd   int
	path string
}

// Read reads from the file, as read(2) does.
func (f *shortFile) Read(b []byte) (int, error) {
	if f.fd < 0 {
		return 0, fs.ErrClosed
	}
	for {
		n, err := unix.Read(f.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// Close closes the file.
func (f *shortFile) Close() error {
	if f.fd < 0 {
		return fs.ErrClosed
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}
