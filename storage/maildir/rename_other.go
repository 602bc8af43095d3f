//go:build !unix

package maildir

// subdirs stands for new/ and cur/ during a batch of renames; here it
// renames by full paths.
type subdirs struct{ f *Folder }

// openSubdirs returns the Folder's subdirs.
func (f *Folder) openSubdirs() (*subdirs, error) { return &subdirs{f: f}, nil }

// rename is a renameFunc.
func (d *subdirs) rename(inNew bool, from, to string) error { return d.f.renameIn(inNew, from, to) }

// close does nothing.
func (d *subdirs) close() {}
