package maildir

import (
	"os"
	"slices"
	"sync"

	"github.com/mailgate/mailgate/storage"
)

// This file moves messages from another maildir (IMAP MOVE): StageMove
// only checks that the source's file may become one of this maildir's,
// and the batch commit (CommitBatch, moveBatch) renames it from the
// source's cur/ or new/ into new/ here under its new name, with both
// maildirs locked. One rename per message, where a COPY and an EXPUNGE
// cost a link, a rename and an unlink; new/ here and the source's
// directories are synced once per batch.
//
// A kill -9 in the middle of the renames leaves every message in exactly
// one of the two maildirs (each rename is atomic), so the moves are not
// part of the batch intent that takes a cut-short batch away: that would
// remove the only copy. The client was not told that the MOVE was done;
// it finds the messages moved so far in the destination under new UIDs,
// and the others in the source under their old ones.

var _ storage.MoveStager = (*Folder)(nil)

// StageMove implements storage.MoveStager. The source's file is not
// touched until the batch commits.
func (f *Folder) StageMove(src storage.Folder, uid uint32, flags []string) (storage.Staged, error) {
	from, ok := src.(*Folder)
	if !ok || from == f || from.path == f.path {
		return nil, f.errorf("move: %w: the source is not another maildir", storage.ErrNotLinkable)
	}
	dev, err := f.device()
	if err != nil {
		return nil, err
	}
	if err := from.lock(); err != nil {
		return nil, err
	}
	var fi os.FileInfo
	var meta fileMeta
	var path string
	err = from.onFile(uid, func(e *entry) (err error) {
		path, meta = from.filePath(e), e.meta
		fi, err = os.Lstat(path)
		return err
	})
	from.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := f.mayShare(path, fi); err != nil {
		return nil, err
	}
	if d, ok := deviceOf(fi); !ok || d != dev {
		return nil, f.errorf("move: %w: %s is on another file system", storage.ErrNotLinkable, path)
	}
	if meta.size == 0 && fi.Size() > 0 {
		if meta.size, err = crlfSizeOf(path); err != nil {
			return nil, err
		}
	}
	return &staged{
		f: f, unique: newUnique(f.now(), f.host), flags: slices.Clone(flags),
		from: from, fromUID: uid,
		written: fi.Size(), crlf: meta.size, mtime: fi.ModTime().UnixNano(),
	}, nil
}

// device returns the file system f's directory is on, looked up once.
func (f *Folder) device() (uint64, error) {
	f.dev.once.Do(func() {
		fi, err := os.Stat(f.path)
		if err != nil {
			f.dev.err = f.errorf("move: %w", err)
			return
		}
		if d, ok := deviceOf(fi); ok {
			f.dev.id = d
		} else {
			f.dev.err = f.errorf("move: %w: the file system is not known", storage.ErrNotLinkable)
		}
	})
	return f.dev.id, f.dev.err
}

// devCache is the file system of a maildir, for StageMove.
type devCache struct {
	once sync.Once
	id   uint64
	err  error
}

// lockWith takes f's lock and, for a batch that moves messages from
// other, other's too, always in the order of their paths, so that two
// batches moving between the same two maildirs in opposite directions
// cannot each hold one lock and wait for the other. unlock releases
// both.
func (f *Folder) lockWith(other *Folder) (unlock func(), err error) {
	if other == nil || other == f {
		if err := f.lock(); err != nil {
			return nil, err
		}
		return f.mu.Unlock, nil
	}
	first, second := f, other
	if other.path < f.path {
		first, second = other, f
	}
	if err := first.lock(); err != nil {
		return nil, err
	}
	if err := second.lock(); err != nil {
		first.mu.Unlock()
		return nil, err
	}
	return func() { second.mu.Unlock(); first.mu.Unlock() }, nil
}

// moveIn renames s's source file to dest, finding it again if another
// program renamed it; both maildirs are locked. It returns the path the
// file had, for taking the move back. A rename that fails (the file was
// renamed meanwhile) drops its records, as renameFile does: dest's would
// otherwise be recorded twice, once per try, and notified once.
func (s *staged) moveIn(dest string) (was string, inNew bool, err error) {
	from := s.from
	err = from.onFile(s.fromUID, func(e *entry) error {
		was, inNew = from.filePath(e), e.inNew
		fromRecorded, destRecorded := from.expect(was), s.f.expect(dest)
		err := renameUnexpected(was, dest)
		if err != nil && fromRecorded {
			unexpectChange(was)
		}
		if err != nil && destRecorded {
			unexpectChange(dest)
		}
		return err
	})
	return was, inNew, err
}
