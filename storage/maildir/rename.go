package maildir

import (
	"os"
	"syscall"
)

// renameFile renames a message file of f. Unlike os.Rename it does not
// lstat the target first to refuse a directory there (rename(2) fails on
// one anyway): a STORE on every message of a large maildir costs one
// system call per message instead of two. The change notifications it
// causes are expected as this process's own while f is watched (see
// expect), before the rename, since the watcher may read them before
// rename(2) returns; a rename that fails causes none, and the records go
// again (unexpectChange).
func (f *Folder) renameFile(from, to string) error {
	recorded := f.expect(from, to)
	err := renameUnexpected(from, to)
	if err != nil && recorded {
		unexpectChange(from, to)
	}
	return err
}

// renameUnexpected is renameFile for a caller that watches nothing
// meanwhile.
func renameUnexpected(from, to string) error {
	for {
		err := syscall.Rename(from, to)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
		}
		return nil
	}
}

// renameFunc renames the file from to to inside new/ (inNew) or cur/.
type renameFunc func(inNew bool, from, to string) error

// renameIn is the renameFunc of single changes: by full paths.
func (f *Folder) renameIn(inNew bool, from, to string) error {
	dir := f.sub(inNew) + string(os.PathSeparator)
	return f.renameFile(dir+from, dir+to)
}
