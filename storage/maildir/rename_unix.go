//go:build unix

package maildir

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// subdirs holds new/ and cur/ open while a batch renames many files in
// them, so that each renameat(2) names its files relative to the open
// directory and the kernel does not walk the maildir's path twice per
// file, as rename(2) with full paths does.
type subdirs struct {
	paths [2]string // cur/, new/
	files [2]*os.File
	fds   [2]int
	quiet bool   // nobody watches: expect no notifications (expectChange)
	buf   []byte // the names of the last rename (renameat)
}

// openSubdirs opens the Folder's new/ and cur/, quiet while nobody
// watches them (NoteWatched).
func (f *Folder) openSubdirs() (*subdirs, error) {
	d := &subdirs{paths: [2]string{f.curDir, f.newDir}, quiet: f.unwatched.Load()}
	for i, p := range d.paths {
		file, err := os.Open(p)
		if err != nil {
			d.close()
			return nil, f.errorf("%w", err)
		}
		d.files[i], d.fds[i] = file, int(file.Fd())
	}
	return d, nil
}

// rename is a renameFunc.
func (d *subdirs) rename(inNew bool, from, to string) error {
	i := 0
	if inNew {
		i = 1
	}
	sep := string(os.PathSeparator)
	if !d.quiet {
		// Before the rename, as renameFile does, and dropped again
		// when it fails.
		expectChange(d.paths[i]+sep+from, d.paths[i]+sep+to)
	}
	for {
		err := renameat(d.fds[i], from, to, &d.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if !d.quiet {
				unexpectChange(d.paths[i]+sep+from, d.paths[i]+sep+to)
			}
			return &os.LinkError{Op: "rename", Old: d.paths[i] + sep + from, New: d.paths[i] + sep + to, Err: err}
		}
		return nil
	}
}

// close closes the directories.
func (d *subdirs) close() {
	for _, file := range d.files {
		if file != nil {
			file.Close()
		}
	}
}

// deviceOf returns the file system that the file fi describes is on, and
// whether that is known.
func deviceOf(fi os.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true
}
