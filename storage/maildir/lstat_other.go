//go:build !linux

package maildir

import "os"

// dirStatter stats the files of new/ and cur/ through their paths.
type dirStatter struct{ f *Folder }

// openStatter returns a dirStatter of f.
func (f *Folder) openStatter() *dirStatter { return &dirStatter{f: f} }

// close does nothing.
func (s *dirStatter) close() {}

// lstat returns the modification time of the file name in new/ (inNew)
// or cur/, and whether it is a regular file; a symbolic link is not
// followed.
func (s *dirStatter) lstat(inNew bool, name string) (mtime int64, regular bool, err error) {
	fi, err := os.Lstat(s.f.sub(inNew) + string(os.PathSeparator) + name)
	if err != nil {
		return 0, false, err
	}
	return fi.ModTime().UnixNano(), fi.Mode().IsRegular(), nil
}
