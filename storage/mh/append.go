package mh

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// tmpCount makes the names of Append's temporary files unique.
var tmpCount atomic.Uint64

// Append writes the message to a temporary dot file in the folder, syncs
// it, sets its modification time to date (now when zero), and links it
// to the next free number: the first at or above UIDNEXT that no other
// program has taken. Its flags go into .mh_sequences. Both happen under
// the folder's lock, after .mu-prop has been raised above the number.
func (f *Folder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	if _, err := f.fm.setFlags(nil, 1, flags); err != nil {
		return storage.Message{}, f.errorf("append: %w", err)
	}
	if date.IsZero() {
		date = f.now()
	}
	tmp := filepath.Join(f.path, fmt.Sprintf("%s.append.%d.%d", tmpPrefix, os.Getpid(), tmpCount.Add(1)))
	defer os.Remove(tmp)
	meta, err := f.writeTmp(tmp, r, date)
	if err != nil {
		return storage.Message{}, f.errorf("append: %w", err)
	}
	var uid uint32
	var p props
	var ss sequences
	err = f.locked(func() error {
		if p, err = f.readPropsForWrite(); err != nil {
			return err
		}
		if uid, err = f.linkNext(tmp, &p); err != nil {
			return err
		}
		f.known[uid] = known{hdr: meta.hdr}
		if meta.hdr.hasStatus {
			f.withStatus++
		}
		ss, err = f.updateSequences(func(ss sequences) (sequences, error) {
			return f.fm.setFlags(ss, uid, flags)
		})
		if err != nil {
			// Without its flags the message would look read: take it
			// back, leaving its number unused.
			os.Remove(f.file(uid))
			delete(f.known, uid)
			if meta.hdr.hasStatus {
				f.withStatus--
			}
		}
		return err
	})
	if err != nil {
		return storage.Message{}, err
	}
	f.uidNext = max(f.uidNext, p.UIDNext)
	fl, old := f.fm.flagsOf(ss, uid, meta.hdr, false)
	return storage.Message{UID: uid, Flags: fl, InternalDate: time.Unix(0, meta.mtime),
		Size: meta.size, New: uid >= p.RecentFrom && !old}, nil
}

// writeTmp writes the message with LF line endings to a new file at path,
// syncs it with its modification time set to date, and measures it.
func (f *Folder) writeTmp(path string, r io.Reader, date time.Time) (m fileMeta, err error) {
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, f.perm)
	if err != nil {
		return m, err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	if _, _, err = storage.CopyLF(file, r); err != nil {
		return m, err
	}
	if err = file.Chmod(f.perm); err != nil {
		return m, err
	}
	if err = os.Chtimes(path, date, date); err != nil {
		return m, err
	}
	if err = file.Sync(); err != nil {
		return m, err
	}
	if _, err = file.Seek(0, io.SeekStart); err != nil {
		return m, err
	}
	if m.size, m.hdr, err = measure(file); err != nil {
		return m, err
	}
	fi, err := file.Stat()
	if err != nil {
		return m, err
	}
	m.mtime, m.fsize = fi.ModTime().UnixNano(), fi.Size()
	return m, nil
}

// maxLinkTries bounds how many numbers linkNext tries that other
// programs took meanwhile.
const maxLinkTries = 1000

// linkNext gives the file at src the number p.UIDNext, or the next one
// that is free, raising and syncing .mu-prop above it first. The caller
// holds the exclusive lock.
func (f *Folder) linkNext(src string, p *props) (uint32, error) {
	for range maxLinkTries {
		n := p.UIDNext
		if n >= math.MaxUint32-1 {
			return 0, f.errorf("no UIDs left under this UIDVALIDITY; recreate the mailbox")
		}
		p.UIDNext = n + 1
		if err := writeAtomic(f.path, propsFile, p.Encode(), f.perm); err != nil {
			return 0, f.errorf("%s: %w", propsFile, err)
		}
		err := linkExcl(src, f.file(n))
		if errors.Is(err, fs.ErrExist) {
			continue // another program took n
		}
		if err != nil {
			return 0, f.errorf("%w", err)
		}
		if err := fsutil.SyncDir(f.path); err != nil {
			return 0, f.errorf("%w", err)
		}
		f.validity = p.UIDValidity
		return n, nil
	}
	return 0, f.errorf("no free message number found above %d", p.UIDNext)
}

// linkExcl makes dst a name of the file src, failing with fs.ErrExist when
// dst exists. Where the file system has no hard links, it renames src
// after checking dst, which only protects against other mailgate
// processes.
func linkExcl(src, dst string) error {
	err := os.Link(src, dst)
	if err == nil || errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, serr := os.Lstat(dst); serr == nil {
		return fs.ErrExist
	}
	return os.Rename(src, dst)
}
