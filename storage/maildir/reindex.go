package maildir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Reindex implements storage.Reindexer: it removes the index file and
// forgets the last scan, so that the next Scan reads new/ and cur/.
// .mu-prop, which holds the UIDs, stays.
func (f *Folder) Reindex() error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	f.stamp, f.indexed, f.last, f.fromIndex = dirStamp{}, dirStamp{}, nil, false
	if err := os.Remove(filepath.Join(f.path, indexFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return f.errorf("removing the index file: %w", err)
	}
	return nil
}
