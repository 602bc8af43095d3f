package mh

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file receives messages: Stage writes one into a temporary dot file
// in the folder without any lock, and Commit gives it a number under the
// folder lock. Append is the two in a row.

var _ storage.Stager = (*Folder)(nil)

// tmpKind names the temporary files of messages being received.
const tmpKind = "append"

// staged is a message in a temporary file, not yet in the folder.
type staged struct {
	f     *Folder
	tmp   string
	flags []string
	meta  fileMeta
	done  bool
}

// Stage implements storage.Stager: it writes the message to a temporary
// dot file in the folder, named as mailgate's so that it can be removed
// if this process dies (see fsutil.CreateTemp), syncs it with its
// modification time set to date (now when zero), and measures it. It
// reads nothing of the Folder's state and takes no lock, so it may run
// beside any other call. When r fails, io.ErrUnexpectedEOF included, the
// file is removed and the error returned.
func (f *Folder) Stage(r io.Reader, flags []string, date time.Time) (storage.Staged, error) {
	if _, err := f.fm.setFlags(nil, 1, flags); err != nil {
		return nil, f.errorf("append: %w", err)
	}
	if date.IsZero() {
		date = f.now()
	}
	file, err := fsutil.CreateTemp(f.path, tmpKind, f.perm)
	if err != nil {
		return nil, f.errorf("append: %w", err)
	}
	s := &staged{f: f, tmp: file.Name(), flags: slices.Clone(flags)}
	if s.meta, err = f.writeTmp(file, r, date); err != nil {
		os.Remove(s.tmp)
		return nil, f.errorf("append: %w", err)
	}
	return s, nil
}

// writeTmp writes the message with LF line endings to file, syncs it
// with its modification time set to date, measures it, and closes it.
func (f *Folder) writeTmp(file *os.File, r io.Reader, date time.Time) (m fileMeta, err error) {
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
	if err = os.Chtimes(file.Name(), date, date); err != nil {
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
	// The link to its number keeps the inode, and so the identity.
	m.fileID, m.gen = idOf(fi), fsutil.Generation(file)
	return m, nil
}

// Commit implements storage.Staged: it gives the message the next free
// number, the first at or above UIDNEXT that no other program has taken,
// under the folder's lock, after .mu-prop has been raised above it. The
// flags go into .mh_sequences before the file is linked to its number,
// so that a crash in between leaves a number without a file (which
// nothing shows, and the next scan drops), never a message without the
// flags asked for (see linkAs).
func (s *staged) Commit() (storage.Message, error) {
	f := s.f
	if s.done {
		return storage.Message{}, f.errorf("append: message committed or aborted already")
	}
	s.done = true
	defer os.Remove(s.tmp)
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	var uid uint32
	var p props
	var ss sequences
	err := f.locked(func() (err error) {
		if p, err = f.readPropsForWrite(); err != nil {
			return err
		}
		uid, ss, err = f.linkNext(s.tmp, &p, &s.meta, func(n uint32, ss sequences) (sequences, error) {
			return f.fm.setFlags(ss, n, s.flags)
		})
		if err == nil {
			f.updateNumbering(p.UIDValidity, []numberEntry{{uid, s.meta.ino, s.meta.gen}}, nil, p.UIDNext)
		}
		return err
	})
	if err != nil {
		return storage.Message{}, err
	}
	f.uidNext = max(f.uidNext, p.UIDNext)
	fl, old := f.fm.flagsOf(ss, uid, s.meta.hdr, false)
	return storage.Message{UID: uid, Flags: fl, InternalDate: time.Unix(0, s.meta.mtime),
		Size: s.meta.size, New: uid >= p.RecentFrom && !old}, nil
}

// Abort implements storage.Staged: it removes the temporary file.
func (s *staged) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	if err := os.Remove(s.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
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

// remember1 adds message n, whose file is as m says, to what the Folder
// knows, so that a rewrite of .mh_sequences counts its Status: field and
// an open checks that its file is still that one.
func (f *Folder) remember1(n uint32, m fileMeta) {
	f.known[n] = known{fileID: m.fileID, gen: m.gen, hdr: m.hdr}
	hdr := m.hdr
	if hdr.hasStatus {
		f.withStatus++
	}
}

// forget1 undoes remember1: the Folder no longer knows message n (a
// UID), nor the number of its file.
func (f *Folder) forget1(n uint32) {
	if k, ok := f.known[n]; ok {
		if k.hdr.hasStatus {
			f.withStatus--
		}
		delete(f.known, n)
	}
}

// maxLinkTries bounds how many numbers are tried that other programs
// took meanwhile.
const maxLinkTries = 1000

// linkNext gives the file at src the first free number at or above
// p.UIDNext (see claimNumber), with the sequence memberships that change
// gives that number written first (see linkAs), and tries the next number
// when another program takes one meanwhile. When m is not nil, the
// Folder knows the message from then on, as m describes it. The caller
// holds the exclusive lock.
func (f *Folder) linkNext(src string, p *props, m *fileMeta, change func(n uint32, ss sequences) (sequences, error)) (uint32, sequences, error) {
	for range maxLinkTries {
		n, err := f.claimNumber(p)
		if err != nil {
			return 0, nil, err
		}
		if m != nil {
			f.remember1(n, *m)
		}
		ss, err := f.linkAs(src, n, func(ss sequences) (sequences, error) { return change(n, ss) })
		if err == nil {
			return n, ss, nil
		}
		if m != nil {
			f.forget1(n)
		}
		if !errors.Is(err, fs.ErrExist) {
			return 0, nil, err
		}
	}
	return 0, nil, f.errorf("no free message number found up to %d", p.UIDNext)
}

// claimNumber returns the first number at or above p.UIDNext without a
// file, after raising p.UIDNext above it and writing and syncing
// .mu-prop, so that the number is never given again. The caller holds
// the exclusive lock.
func (f *Folder) claimNumber(p *props) (uint32, error) {
	n := p.UIDNext
	for range maxLinkTries {
		if n >= math.MaxUint32-1 {
			return 0, f.errorf("no UIDs left under this UIDVALIDITY; recreate the mailbox")
		}
		if _, err := os.Lstat(f.file(n)); errors.Is(err, fs.ErrNotExist) {
			p.UIDNext = n + 1
			if err := writeAtomic(f.path, propsFile, p.Encode(), f.perm); err != nil {
				return 0, f.errorf("%s: %w", propsFile, err)
			}
			f.validity = p.UIDValidity
			return n, nil
		}
		n++ // another program took n
	}
	return 0, f.errorf("no free message number found above %d", p.UIDNext)
}

// linkAs gives the file at src the number n: it rewrites .mh_sequences
// with what change makes of it (n's memberships), then links src to n and
// syncs the directory. When the link fails (fs.ErrExist: another program
// took n meanwhile), n's memberships are put back as they were. The caller
// holds the exclusive lock.
//
// nmh lists a folder before it locks .mh_sequences, and drops from the
// sequences the numbers it did not list: an nmh program that listed the
// folder before the link and rewrote the file after the first write took
// n out again. So linkAs reads the file once more after the link and puts
// n's memberships back when they changed (a write only then).
func (f *Folder) linkAs(src string, n uint32, change func(sequences) (sequences, error)) (sequences, error) {
	var before []string
	ss, err := f.updateSequences(func(ss sequences) (sequences, error) {
		before = ss.memberOf(n)
		return change(ss)
	})
	if err != nil {
		return nil, err
	}
	if err := linkExcl(src, f.file(n)); err != nil {
		_, rerr := f.updateSequences(func(ss sequences) (sequences, error) {
			return ss.restore(n, before), nil
		})
		if rerr != nil {
			return nil, f.errorf("link %d: %v; putting its sequences back: %w", n, err, rerr)
		}
		return nil, f.errorf("link %d: %w", n, err)
	}
	if err := fsutil.SyncDir(f.path); err != nil {
		return nil, f.errorf("%w", err)
	}
	want := ss.memberOf(n)
	now, err := f.updateSequences(func(ss sequences) (sequences, error) {
		if !slices.Equal(ss.memberOf(n), want) {
			ss = ss.restore(n, want)
		}
		return ss, nil
	})
	if err != nil {
		// The message is in place with the flags the first write gave it.
		f.log.Warn("mh: checking the sequences of a new message", "dir", f.path, "number", n, "err", err)
		return ss, nil
	}
	return now, nil
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
