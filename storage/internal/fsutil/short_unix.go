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
	fd, _, err := openRegularFD(path, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	return &shortFile{fd: fd, path: path}, nil
}

// openRegularFD opens the file at path with flags (an access mode and
// O_NOFOLLOW, O_CREAT with perm, or none), and returns its descriptor and
// information; ErrNotRegular when it is not a regular file (or, with
// O_NOFOLLOW, a symbolic link). Opened for reading only, it never blocks
// on a FIFO (O_NONBLOCK); opened for reading and writing, a FIFO's open
// does not wait for a peer anyway, and the descriptor stays blocking, so
// that the network poller is not tried on it and an open waits out a
// lease another program holds, rather than failing.
func openRegularFD(path string, flags int, perm uint32) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	var fd int
	var err error
	if flags&unix.O_ACCMODE == unix.O_RDONLY {
		flags |= unix.O_NONBLOCK
	}
	for {
		fd, err = unix.Open(path, unix.O_NOCTTY|unix.O_CLOEXEC|flags, perm)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		// ELOOP says a symbolic link; some BSDs say EMLINK or EFTYPE.
		// EISDIR: a directory opened for writing.
		if flags&unix.O_NOFOLLOW != 0 && (errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)) || errors.Is(err, syscall.EISDIR) {
			err = ErrNotRegular
		}
		return -1, st, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = ErrNotRegular
		}
		return -1, st, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, st, nil
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

// ReadSmall returns the content of a small state file, as os.ReadFile
// does (a symbolic link is followed), but without what an *os.File costs
// (the poller's registration and its undoing, a cleanup): a cold SELECT
// reads several such files, and those calls were a fifth of its time in
// the folder. Only a regular file is read: a FIFO or a device planted
// under the name gives ErrNotRegular rather than a read that never ends.
func ReadSmall(path string) ([]byte, error) {
	fd, st, err := openRegularFD(path, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	f := &shortFile{fd: fd, path: path}
	defer f.Close()
	// One byte more than the size, to see the end in one read when the
	// file did not grow meanwhile; a file larger than any state file
	// grows the buffer as it is read, so that its stated size alone
	// allocates nothing (nor overflows an int on a 32-bit system).
	data := make([]byte, 0, min(max(st.Size, 0), 1<<20)+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		switch {
		case err == io.EOF:
			return data, nil
		case err != nil:
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}
