package maildir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// cacheFile is where the storage core keeps what frontends derived from
// the messages (storage.CacheFiler).
const cacheFile = ".mailgate-cache"

// CacheFile implements storage.CacheFiler.
func (f *Folder) CacheFile() string { return filepath.Join(f.path, cacheFile) }

// Folder is an open maildir. It implements storage.Folder.
//
// It keeps in memory where each UID's file is, so that Open, SetFlags and
// Expunge need no directory read, and shares with the other Folders open
// on the maildir what it knows of each file, so that a rescan stats only
// files that no scan has seen before.
type Folder struct {
	mu     sync.Mutex
	path   string
	newDir string
	curDir string
	perm   os.FileMode
	host   string
	now    func() time.Time
	kw     keywords

	validity uint32
	uidNext  uint32
	byUID    map[uint32]*entry
	meta     *fsutil.Shared[fileMeta] // file name base -> what the file holds
	release  func()                   // gives meta back

	uidList       *uidList
	uidListLoaded bool

	stamp  dirStamp
	last   storage.Snapshot // what the last full scan found, for stamp
	closed bool
}

var _ storage.Folder = (*Folder)(nil)

// entry says where a message's file is now.
type entry struct {
	uid   uint32
	inNew bool
	name  string
}

// sub returns the path of new/ or cur/.
func (f *Folder) sub(inNew bool) string {
	if inNew {
		return f.newDir
	}
	return f.curDir
}

func (f *Folder) filePath(e *entry) string {
	return filepath.Join(f.sub(e.inNew), e.name)
}

func (f *Folder) errorf(format string, args ...any) error {
	return fmt.Errorf("maildir %s: "+format, append([]any{f.path}, args...)...)
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("folder is closed")

// lock takes the Folder's mutex and checks that it is open.
func (f *Folder) lock() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return f.errorf("%w", errClosed)
	}
	return nil
}

// Append writes the message into tmp/, syncs it, sets its modification
// time to date (now when zero), gives it the next UID and renames it into
// new/, where it counts as New. The returned Size is the CRLF size.
func (f *Folder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	letters, err := f.letters(flags, "")
	if err != nil {
		return storage.Message{}, err
	}
	now := f.now()
	if date.IsZero() {
		date = now
	}
	unique := newUnique(now, f.host)
	tmp := filepath.Join(f.path, dirTmp, unique)
	written, crlf, mtime, err := f.writeTmp(tmp, r, date)
	if err != nil {
		os.Remove(tmp)
		return storage.Message{}, f.errorf("append: %w", err)
	}
	// The rename happens inside the lock, so that no message with a
	// higher UID can be in new/ before this one.
	var name string
	uid, err := f.allocate(1, func(uid uint32) error {
		name = formatName(unique, written, crlf, uid, letters)
		if err := os.Rename(tmp, filepath.Join(f.sub(true), name)); err != nil {
			return f.errorf("append: %w", err)
		}
		if err := fsutil.SyncDir(f.sub(true)); err != nil {
			return f.errorf("append: %w", err)
		}
		return nil
	})
	if err != nil {
		os.Remove(tmp)
		return storage.Message{}, err
	}
	f.stamp.valid = false
	f.byUID[uid] = &entry{uid: uid, inNew: true, name: name}
	fl, _ := decodeLetters(letters, &f.kw)
	return storage.Message{UID: uid, Flags: fl, InternalDate: time.Unix(0, mtime),
		Size: crlf, New: true}, nil
}

// writeTmp writes the message with LF line endings to a new file at path
// and syncs it with its modification time set to date.
func (f *Folder) writeTmp(path string, r io.Reader, date time.Time) (written, crlf, mtime int64, err error) {
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.perm)
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	if written, crlf, err = storage.CopyLF(file, r); err != nil {
		return 0, 0, 0, err
	}
	if err = file.Chmod(f.perm); err != nil {
		return 0, 0, 0, err
	}
	if err = os.Chtimes(path, date, date); err != nil {
		return 0, 0, 0, err
	}
	if err = file.Sync(); err != nil {
		return 0, 0, 0, err
	}
	fi, err := file.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	return written, crlf, fi.ModTime().UnixNano(), nil
}

// Open returns the message's file for reading.
func (f *Folder) Open(uid uint32) (io.ReadCloser, error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var file *os.File
	err := f.onFile(uid, func(e *entry) (err error) {
		file, err = os.Open(f.filePath(e))
		return err
	})
	if err != nil {
		return nil, err
	}
	return file, nil
}

// SetFlags renames the message's file to carry flags. Letters that
// mailgate cannot name are kept.
func (f *Folder) SetFlags(uid uint32, flags []string) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	return f.onFile(uid, func(e *entry) error {
		fn := parseName(e.name)
		letters, err := f.letters(flags, fn.letters())
		if err != nil {
			return err
		}
		if letters == fn.letters() && (fn.hasInfo || letters == "") {
			return nil
		}
		name := fn.withLetters(letters).String()
		if err := os.Rename(f.filePath(e), filepath.Join(f.sub(e.inNew), name)); err != nil {
			return err
		}
		e.name = name
		f.stamp.valid = false
		return nil
	})
}

// Seen moves the messages' files from new/ to cur/, adding an empty info
// part to names that have none.
func (f *Folder) Seen(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	moved := false
	for _, uid := range uids {
		err := f.onFile(uid, func(e *entry) error {
			if !e.inNew {
				return nil
			}
			fn := parseName(e.name)
			if !fn.hasInfo {
				fn = fn.withLetters("")
			}
			name := fn.String()
			if err := os.Rename(f.filePath(e), filepath.Join(f.sub(false), name)); err != nil {
				return err
			}
			e.inNew, e.name, moved = false, name, true
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNoMessage) {
			return err
		}
	}
	if moved {
		f.stamp.valid = false
		if err := fsutil.SyncDir(f.sub(false)); err != nil {
			return f.errorf("seen: %w", err)
		}
	}
	return nil
}

// Expunge removes the messages' files and syncs the directories. UIDs that
// are already gone are skipped.
func (f *Folder) Expunge(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	var touched [2]bool
	for _, uid := range uids {
		err := f.onFile(uid, func(e *entry) error {
			if err := os.Remove(f.filePath(e)); err != nil {
				return err
			}
			if e.inNew {
				touched[1] = true
			} else {
				touched[0] = true
			}
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNoMessage) {
			return err
		}
		delete(f.byUID, uid)
	}
	f.stamp.valid = false
	for i, t := range touched {
		if t {
			if err := fsutil.SyncDir(f.sub(i == 1)); err != nil {
				return f.errorf("expunge: %w", err)
			}
		}
	}
	return nil
}

// onFile runs op on the message's entry. When op finds the file missing,
// onFile looks for it again by its base name, since another program may
// have renamed it, and runs op once more. It returns storage.ErrNoMessage
// when the file is gone.
func (f *Folder) onFile(uid uint32, op func(e *entry) error) error {
	e := f.byUID[uid]
	if e == nil {
		return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	err := op(e)
	if !errors.Is(err, fs.ErrNotExist) {
		return f.wrap(uid, err)
	}
	found, err := f.relocate(e)
	if err != nil {
		return err
	}
	if !found {
		delete(f.byUID, uid)
		return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	err = op(e)
	if errors.Is(err, fs.ErrNotExist) {
		return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	return f.wrap(uid, err)
}

func (f *Folder) wrap(uid uint32, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) || errors.As(err, &le) {
		return f.errorf("uid %d: %w", uid, err)
	}
	return err
}

// relocate finds e's file in cur/ or new/ by its base name.
func (f *Folder) relocate(e *entry) (bool, error) {
	base := parseName(e.name).base
	for _, inNew := range []bool{false, true} {
		names, err := readNames(f.sub(inNew))
		if err != nil {
			return false, f.errorf("%w", err)
		}
		for _, n := range names {
			if parseName(n).base == base {
				e.inNew, e.name = inNew, n
				f.stamp.valid = false
				return true, nil
			}
		}
	}
	return false, nil
}

// WatchPaths returns the maildir's new and cur directories.
func (f *Folder) WatchPaths() []string {
	return []string{f.sub(true), f.sub(false)}
}

// Close forgets the Folder's state; later calls fail.
func (f *Folder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.release()
		f.byUID, f.meta, f.last = nil, nil, storage.Snapshot{}
	}
	return nil
}
