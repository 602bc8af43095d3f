package maildir

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// dirStatter stats the files of new/ and cur/ by their names relative to
// the two directories, opened once for a scan: the kernel then resolves
// one name per file instead of every component of the maildir's path,
// and no os.FileInfo is built. A first scan stats every file, so this is
// most of its system time.
type dirStatter struct {
	f   *Folder
	fds [2]int // cur/, new/; -1 when it could not be opened
}

// openStatter opens new/ and cur/ for lstat. A directory that cannot be
// opened is statted through its path instead.
func (f *Folder) openStatter() *dirStatter {
	s := &dirStatter{f: f, fds: [2]int{-1, -1}}
	for i, dir := range []string{f.curDir, f.newDir} {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			s.fds[i] = fd
		}
	}
	return s
}

// close closes the directories.
func (s *dirStatter) close() {
	for _, fd := range s.fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// lstat returns the modification time of the file name in new/ (inNew)
// or cur/, and whether it is a regular file; a symbolic link is not
// followed.
func (s *dirStatter) lstat(inNew bool, name string) (mtime int64, regular bool, err error) {
	fd := s.fds[0]
	if inNew {
		fd = s.fds[1]
	}
	if fd < 0 {
		fi, err := os.Lstat(s.f.sub(inNew) + string(os.PathSeparator) + name)
		if err != nil {
			return 0, false, err
		}
		return fi.ModTime().UnixNano(), fi.Mode().IsRegular(), nil
	}
	var st unix.Stat_t
	for {
		err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, false, &fs.PathError{Op: "lstat", Path: s.f.sub(inNew) + string(os.PathSeparator) + name, Err: err}
	}
	return st.Mtim.Nano(), st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
