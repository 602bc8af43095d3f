package maildir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file stages copies of another maildir's messages as hard links
// (COPY and MOVE): the copy shares the source's file, so nothing is
// written or synced per message; the batch commit (CommitBatch) renames
// the links from tmp/ into new/ and syncs new/ once, under a batch
// intent, so that a kill -9 leaves all of the copies or none.

var _ storage.LinkStager = (*Folder)(nil)

// StageLink implements storage.LinkStager: it links uid's file in src
// (a maildir Folder, found again by its base name if another program
// renamed it) into f's tmp/ under a temporary name. The link is refused
// with storage.ErrNotLinkable, and nothing left behind, across file
// systems (EXDEV), where the system refuses it (EPERM, EMLINK), and
// when the source file lacks permission bits that f's files have, since
// the copy must be readable as f's own files are (a link keeps the
// source's mode).
func (f *Folder) StageLink(src storage.Folder, uid uint32, flags []string) (storage.Staged, error) {
	from, ok := src.(*Folder)
	if !ok {
		return nil, f.errorf("copy: %w: the source is not a maildir", storage.ErrNotLinkable)
	}
	s := &staged{f: f, unique: newUnique(f.now(), f.host), flags: slices.Clone(flags)}
	tmpDir := filepath.Join(f.path, dirTmp)
	if err := from.lock(); err != nil {
		return nil, err
	}
	var meta fileMeta
	err := from.onFile(uid, func(e *entry) error {
		meta = e.meta
		for range 100 {
			s.tmp = fsutil.TempName(tmpDir, tmpKind)
			err := os.Link(from.filePath(e), s.tmp)
			if !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
		return f.errorf("copy: no free temporary file name")
	})
	from.mu.Unlock()
	if err != nil {
		if fsutil.Unlinkable(err) {
			return nil, f.errorf("copy: %w: %v", storage.ErrNotLinkable, err)
		}
		return nil, err
	}
	fi, err := os.Lstat(s.tmp)
	if err == nil {
		err = f.mayShare(s.tmp, fi)
	}
	if err == nil && meta.size == 0 && fi.Size() > 0 {
		meta.size, err = crlfSizeOf(s.tmp)
	}
	if err != nil {
		os.Remove(s.tmp)
		return nil, err
	}
	s.written, s.crlf, s.mtime = fi.Size(), meta.size, fi.ModTime().UnixNano()
	return s, nil
}

// mayShare returns an error wrapping storage.ErrNotLinkable unless the
// file at path, which fi describes, may become one of f's message files
// as it is, linked or moved here (fsutil.MayShare).
func (f *Folder) mayShare(path string, fi os.FileInfo) error {
	if err := fsutil.MayShare(fi, f.perm); err != nil {
		return f.errorf("copy: %w: %s: %v", storage.ErrNotLinkable, path, err)
	}
	return nil
}

// crlfSizeOf returns the RFC822.SIZE of the message in the file at path.
func crlfSizeOf(path string) (int64, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	return storage.CRLFSize(file)
}
