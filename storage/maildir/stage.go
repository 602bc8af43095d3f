package maildir

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file receives messages: Stage writes one into tmp/ without any
// lock, and Commit gives it a UID and renames it into new/ under the
// maildir lock. Append is the two in a row.

var _ storage.Stager = (*Folder)(nil)

// tmpKind names the temporary files of messages in tmp/.
const tmpKind = "append"

// staged is a message written in tmp/ and not yet in new/.
type staged struct {
	f       *Folder
	tmp     string // its file in tmp/
	unique  string // the base of its name in new/
	flags   []string
	written int64 // bytes on disk
	crlf    int64 // RFC822.SIZE
	mtime   int64 // INTERNALDATE as the file has it, Unix nanoseconds
	done    bool
	// from, for a message staged to be moved (StageMove), is the maildir
	// whose file for fromUID the commit renames into new/; tmp is then
	// empty.
	from    *Folder
	fromUID uint32
	gone    bool // from's file vanished before the commit: left out
}

// Stage implements storage.Stager: it writes the message into a new
// file in tmp/, named as mailgate's so that it can be removed if this
// process dies (see fsutil.CreateTemp), syncs it and sets its
// modification time to date (now when zero). It reads nothing of the
// Folder's state and takes no lock, so it may run beside any other call.
// When r fails, io.ErrUnexpectedEOF included, the file is removed and
// the error returned.
func (f *Folder) Stage(r io.Reader, flags []string, date time.Time) (storage.Staged, error) {
	now := f.now()
	if date.IsZero() {
		date = now
	}
	s := &staged{f: f, unique: newUnique(now, f.host), flags: slices.Clone(flags)}
	file, err := fsutil.CreateTemp(filepath.Join(f.path, dirTmp), tmpKind, f.perm)
	if err != nil {
		return nil, f.errorf("append: %w", err)
	}
	s.tmp = file.Name()
	if err := s.write(file, r, date); err != nil {
		os.Remove(s.tmp)
		return nil, f.errorf("append: %w", err)
	}
	return s, nil
}

// write copies the message into file with LF line endings, syncs it
// with its modification time set to date, and closes it.
func (s *staged) write(file *os.File, r io.Reader, date time.Time) (err error) {
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	if s.written, s.crlf, err = storage.CopyLF(file, r); err != nil {
		return err
	}
	if err = file.Chmod(s.f.perm); err != nil {
		return err
	}
	if err = os.Chtimes(s.tmp, date, date); err != nil {
		return err
	}
	if err = file.Sync(); err != nil {
		return err
	}
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	s.mtime = fi.ModTime().UnixNano()
	return nil
}

// Commit implements storage.Staged: it gives the message the next UID
// and renames it into new/ under a name that carries the UID, the sizes
// and the flags, where it counts as New. The rename happens under the
// maildir lock, after .mu-prop is raised above the UID and synced, so
// that no message with a higher UID can be in new/ before this one; new/
// is synced after it. The returned Size is the CRLF size.
func (s *staged) Commit() (storage.Message, error) {
	f := s.f
	if s.done {
		return storage.Message{}, f.errorf("append: message committed or aborted already")
	}
	if s.from != nil {
		msgs, err := f.CommitBatch([]storage.Staged{s})
		if err != nil {
			return storage.Message{}, err
		}
		return msgs[0], nil
	}
	s.done = true
	if err := f.lock(); err != nil {
		os.Remove(s.tmp)
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	letters, err := f.letters(s.flags, "")
	if err != nil {
		os.Remove(s.tmp)
		return storage.Message{}, err
	}
	var name string
	uid, err := f.allocate(1, func(uid uint32) error {
		name = formatName(s.unique, s.written, s.crlf, uid, letters)
		dest := filepath.Join(f.sub(true), name)
		recorded := f.expect(dest)
		if err := os.Rename(s.tmp, dest); err != nil {
			if recorded {
				unexpectChange(dest) // no notification comes
			}
			return f.errorf("append: %w", err)
		}
		if err := fsutil.SyncDir(f.sub(true)); err != nil {
			return f.errorf("append: %w", err)
		}
		return nil
	})
	if err != nil {
		os.Remove(s.tmp)
		return storage.Message{}, err
	}
	f.stamp.valid = false
	fl, _ := decodeLetters(letters, &f.kw)
	e := entry{uid: uid, inNew: true, name: name, meta: fileMeta{mtime: s.mtime, size: s.crlf}, flags: fl}
	if i, found := f.search(uid); found {
		f.entries[i] = e
	} else {
		f.entries = slices.Insert(f.entries, i, e)
	}
	return e.message(), nil
}

// Abort implements storage.Staged: it removes the file in tmp/.
func (s *staged) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	if s.from != nil {
		return nil
	}
	if err := os.Remove(s.tmp); err != nil && !os.IsNotExist(err) {
		return s.f.errorf("append: %w", err)
	}
	return nil
}

// Append stores a message as Stage and Commit do.
func (f *Folder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	s, err := f.Stage(r, flags, date)
	if err != nil {
		return storage.Message{}, err
	}
	return s.Commit()
}
