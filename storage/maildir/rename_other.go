//go:build !unix

package maildir

import "os"

// subdirs stands for new/ and cur/ during a batch of renames; here it
// renames by full paths.
type subdirs struct {
	f     *Folder
	quiet bool // nobody watches: expect no notifications (expectChange)
}

// openSubdirs returns the Folder's subdirs.
func (f *Folder) openSubdirs() (*subdirs, error) { return &subdirs{f: f}, nil }

// rename is a renameFunc.
func (d *subdirs) rename(inNew bool, from, to string) error {
	if d.quiet {
		dir := d.f.sub(inNew) + string(os.PathSeparator)
		return renameUnexpected(dir+from, dir+to)
	}
	return d.f.renameIn(inNew, from, to)
}

// close does nothing.
func (d *subdirs) close() {}

// deviceOf reports that the file system of a file is not known here:
// a file is then never moved between maildirs, only linked or copied.
func deviceOf(fi os.FileInfo) (uint64, bool) { return 0, false }
