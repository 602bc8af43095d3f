package maildir

import (
	"bytes"
	"encoding/binary"
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

// readFiles lists the regular files of a directory (files), and apart
// the names of other entries (symbolic links, FIFOs, directories), from
// the types the directory itself records (getdents64's d_type): nothing
// is statted, except an entry of a file system that records no type, and
// no os.DirEntry is made per file.
func readFiles(dir string) (files, others []string, err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return files, others, nil
		}
		for b := buf[:n]; len(b) >= 19; {
			// struct linux_dirent64: ino u64, off i64, reclen u16,
			// type u8, name NUL-terminated.
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return nil, nil, &fs.PathError{Op: "readdirent", Path: dir, Err: unix.EIO}
			}
			typ, name := b[18], b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			if len(name) == 0 || name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.') {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if err := unix.Fstatat(fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW); err == unix.ENOENT {
					continue // gone meanwhile
				} else if err != nil {
					// Not a reason to count the message as gone (os.ReadDir
					// skips only ENOENT too): the scan fails instead.
					return nil, nil, &fs.PathError{Op: "fstatat", Path: dir + "/" + string(name), Err: err}
				}
				if st.Mode&unix.S_IFMT == unix.S_IFREG {
					typ = unix.DT_REG
				}
			}
			if typ == unix.DT_REG {
				files = append(files, string(name))
			} else {
				others = append(others, string(name))
			}
		}
	}
}
