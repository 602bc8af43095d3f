// Package fsutil holds the file-system steps every mailbox driver takes
// the same way: replacing a small file atomically, making directory
// changes durable, and locking a mailbox directory between processes.
package fsutil

import (
	"os"
	"path/filepath"
)

// WriteAtomic replaces dir/name with data: it writes a new temporary
// file (see CreateTemp), syncs it, renames it over name and syncs dir, so
// that a crash leaves the old or the new file whole. The temporary file
// is created with O_EXCL under a name that another user of dir cannot
// guess, so that a symbolic link or a file of theirs planted at a
// temporary name is never written through nor renamed into place; it is
// this user's, with mode perm.
func WriteAtomic(dir, name string, data []byte, perm os.FileMode) error {
	return replaceFile(dir, name, data, perm, true)
}

// ReplaceUnsynced is WriteAtomic without the syncs: for a file whose
// readers detect a damaged copy (by a checksum) after a crash and do
// without it, whose rename the next sync of dir makes durable.
func ReplaceUnsynced(dir, name string, data []byte, perm os.FileMode) error {
	return replaceFile(dir, name, data, perm, false)
}

// replaceFile is WriteAtomic, which syncs only when durable says so.
func replaceFile(dir, name string, data []byte, perm os.FileMode, durable bool) error {
	f, err := CreateTemp(dir, "atomic", perm)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm) // the umask may have taken bits of perm
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if !durable {
		return nil
	}
	return SyncDir(dir)
}

// SyncDir makes the renames and removals in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// DirPerm returns the mode of a directory that holds files of mode perm:
// each class that may read or write the files may also enter it.
func DirPerm(perm os.FileMode) os.FileMode {
	perm &= os.ModePerm
	for _, class := range []os.FileMode{0o700, 0o070, 0o007} {
		if perm&class != 0 {
			perm |= class & 0o111
		}
	}
	return perm
}

// WriteCache replaces the file at path with data through a temporary file
// beside it, named path's base name + ".tmp" + a random suffix, so that
// writers in several processes may race and the last one wins whole. It
// does not sync: it is for caches and indexes whose readers detect a
// damaged file (by a checksum) after a crash and ignore it.
func WriteCache(path string, data []byte, perm os.FileMode) error {
	tmp, err := WriteCacheTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteCacheTemp is WriteCache without its last step: it writes data to
// the temporary file beside path and returns that file's name, for the
// caller to rename to path (or remove) when it chooses, such as under a
// lock it would rather not hold while the data is written.
func WriteCacheTemp(path string, data []byte, perm os.FileMode) (string, error) {
	if perm == 0 {
		perm = 0o600
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}
