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

// readFiles lists the regular files of a directory (files), and apart
// the names of other entries (symbolic links, FIFOs, directories), from
// the types the directory itself records: nothing is statted, except on
// a file system that records no types.
func readFiles(dir string) (files, others []string, err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, nil, err
	}
	files = make([]string, 0, len(des))
	for _, de := range des {
		if de.Type().IsRegular() {
			files = append(files, de.Name())
		} else {
			others = append(others, de.Name())
		}
	}
	return files, others, nil
}
