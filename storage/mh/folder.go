package mh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Folder is an open MH folder. It implements storage.Folder,
// storage.FlagBatcher and storage.Stager.
//
// It remembers the messages of its last scan (to tell a reused number
// from a message it gave out) and their Status: fields (to keep them when
// it first writes a flag sequence), and shares with the other Folders
// open on the folder what it read from each file, so that a rescan only
// stats files that no scan has read before.
type Folder struct {
	mu      sync.Mutex
	path    string
	perm    os.FileMode
	now     func() time.Time
	fm      flagMap
	meta    *fsutil.Shared[fileMeta] // file name -> what the file holds
	release func()                   // gives meta back
	log     *slog.Logger
	skipped fsutil.Skipped // numbered files that are not regular files

	newValidity func() uint32 // gives the UIDVALIDITY of a folder that has none

	validity   uint32
	uidNext    uint32 // UIDNEXT after the last scan or append
	recentFrom uint32
	scanned    bool
	cleaned    bool             // the first scan removed crashed writers' temporary files
	known      map[uint32]known // messages of the last scan and appends, by UID
	// stuck holds, by number, the files that the last scan found stuck
	// (see markStuck). Nil when there is none.
	stuck      map[uint32]known
	withStatus int  // how many of known have a Status: field
	bare       bool // the last scan found no .mh_sequences
	// keepOrphans says that numbers without a file in .mh_sequences
	// could not be dropped (see dropOrphans) and are left alone.
	keepOrphans bool
	closed      bool
	// stamp is the folder's state when the last scan read it, which
	// proves nothing changed since while stampValid (Unchanged).
	stamp      folderStamp
	stampValid bool
	// dir identifies the folder directory for its numbers file (see
	// numbersFile); zero when the platform gives no inode numbers.
	dir dirID
	// numbersFailed says that the numbers file could not be written,
	// and is not tried again.
	numbersFailed bool
	// keep is how long expunged messages' ",N" backups stay; 0 keeps
	// none (see backups.go).
	keep time.Duration
	// tidy removes the backups older than keep (see backups.go).
	tidy tidying
}

var _ storage.Unchanger = (*Folder)(nil)

var _ storage.Folder = (*Folder)(nil)

var _ storage.QuickOpener = (*Folder)(nil)

// known is what a Folder remembers of one message: its file's identity
// when the Folder last saw it, and what its header says.
type known struct {
	fileID
	gen uint32 // the inode's generation, 0 where unknown (see sameMessage)
	hdr headerInfo
}

// errReplaced says that a message's number holds another file than the
// one the Folder last saw: another program renumbered the folder (nmh's
// sortm, folder -pack), reused the number, or changed the file in place.
var errReplaced = storage.ErrReplaced

// knownAs reports whether id is the identity of message uid's file as
// the Folder last saw it (its last scan, or the commit that gave it the
// number); f.mu is held. A message the Folder does not know is not its.
func (f *Folder) knownAs(uid uint32, id fileID) bool {
	k, ok := f.known[uid]
	return ok && k.fileID == id
}

// checkKnown is knownAs, and when the file is not the one the Folder
// knows, the Folder no longer vouches for the folder (Unchanged), so that
// the core reads it again at its next look, watched or not; f.mu is
// held.
func (f *Folder) checkKnown(uid uint32, id fileID) bool {
	if f.knownAs(uid, id) {
		return true
	}
	f.log.Debug("mh: a message's number holds another file; the folder is to be read again",
		"dir", f.path, "number", uid)
	f.stampValid = false
	return false
}

func (f *Folder) errorf(format string, args ...any) error {
	return fmt.Errorf("mh %s: "+format, append([]any{f.path}, args...)...)
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

// file returns the path of the file under number n.
func (f *Folder) file(n uint32) string {
	return filepath.Join(f.path, strconv.FormatUint(uint64(n), 10))
}

// locked runs fn under the folder's exclusive lock.
func (f *Folder) locked(fn func() error) error {
	unlock, err := fsutil.LockDir(f.path, false)
	if errors.Is(err, fs.ErrNotExist) {
		return f.errorf("%w", storage.ErrNoMailbox)
	}
	if err != nil {
		return f.errorf("lock: %w", err)
	}
	defer unlock()
	return fn()
}

// readPropsForWrite reads .mu-prop under the exclusive lock and fills in
// what it lacks from what the Folder knows.
func (f *Folder) readPropsForWrite() (props, error) {
	p, err := readProps(f.path)
	if err != nil {
		return p, f.errorf("%s: %w", propsFile, err)
	}
	if p.UIDValidity == 0 {
		p.UIDValidity = f.validity
		if p.UIDValidity == 0 {
			p.UIDValidity = f.newValidity()
		}
	}
	p.UIDNext = max(p.UIDNext, f.uidNext, 1)
	if p.RecentFrom == 0 {
		p.RecentFrom = max(f.recentFrom, 1)
	}
	return p, nil
}

// updateSequences rewrites .mh_sequences with what change makes of it,
// under nmh's lock on the file; the caller holds the exclusive folder
// lock. When some message has a Status: field, flag sequences that the
// file lacks are first filled from those fields, and empty ones are
// written as "name:", so that the file alone then says every flag.
func (f *Folder) updateSequences(change func(sequences) (sequences, error)) (sequences, error) {
	file, err := lockSeqFile(f.path, true, f.perm)
	if err != nil {
		return nil, f.errorf("%s: %w", seqFile, err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxSeqFile))
	if err != nil {
		return nil, f.errorf("%s: %w", seqFile, err)
	}
	ss := parseSequences(data)
	var keep func(string) bool
	if f.withStatus > 0 || (f.bare && len(data) == 0) {
		hdrs := make(map[uint32]headerInfo, len(f.known))
		for uid, k := range f.known {
			hdrs[uid] = k.hdr
		}
		ss = f.fm.materialize(ss, hdrs, f.bare && len(data) == 0)
	}
	if f.withStatus > 0 {
		keep = f.fm.isFlagSeq
	}
	if ss, err = change(ss); err != nil {
		return nil, f.errorf("%w", err)
	}
	out := ss.format(keep)
	if !bytes.Equal(out, data) {
		if err := writeAtomic(f.path, seqFile, out, f.perm); err != nil {
			return nil, f.errorf("%s: %w", seqFile, err)
		}
	}
	f.bare = false
	return ss, nil
}

// Open returns the message's content without imap4d's Status: field. A
// file that is not a regular file (a symbolic link, a FIFO) is never
// opened: the message is then gone. So is a file that is not the one the
// Folder last saw under the message's number (see fileID): another
// program renumbered the folder, and the next Scan, which the Folder no
// longer vouches against (Unchanged), gives the files their numbers.
func (f *Folder) Open(uid uint32) (io.ReadCloser, error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	path := f.file(uid)
	rc, err := openMessage(path, func(id fileID) bool { return f.checkKnown(uid, id) })
	if errors.Is(err, fsutil.ErrNotRegular) {
		f.skipped.Note(f.log, f.path, path, err)
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fsutil.ErrNotRegular) || errors.Is(err, errReplaced) {
		return nil, f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	if err != nil {
		return nil, f.errorf("uid %d: %w", uid, err)
	}
	return rc, nil
}

// OpenQuick is Open for a caller that does not hold the mailbox lock
// (storage.QuickOpener): a message's file is named by its UID, so
// nothing of the folder's is needed to find it, and readers of many
// messages at once (a first FETCH ENVELOPE) do not queue for the lock.
// ok is false when the file cannot be opened or read as a message (gone,
// not a regular file, not the file the Folder last saw under the number,
// the folder closed): the caller then calls Open, which says why.
func (f *Folder) OpenQuick(uid uint32) (rc io.ReadCloser, ok bool) {
	if f.lock() != nil {
		return nil, false
	}
	k, ok := f.known[uid]
	path := f.file(uid)
	f.mu.Unlock()
	if !ok {
		return nil, false
	}
	rc, err := openMessage(path, func(id fileID) bool { return id == k.fileID })
	return rc, err == nil
}

// openMessage opens the message file at path, a regular file, for
// reading without its Status: fields (stripStatus). The file's identity
// (from fstat(2) on the open file, which costs no lookup) must pass
// want: else errReplaced, before anything is read.
func openMessage(path string, want func(fileID) bool) (io.ReadCloser, error) {
	file, fi, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	if !want(idOf(fi)) {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errReplaced}
	}
	r, _, err := stripStatus(bufio.NewReaderSize(file, 32<<10))
	if err != nil {
		file.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, file}, nil
}

// SetFlags records the message's flags in .mh_sequences. It returns
// storage.ErrNoMessage when the message's file is gone, or when its
// number holds another file than the one the Folder knows (see
// checkFile): .mh_sequences is by number, and the flags would go to that
// other file, which the next scan gives a fresh UID with them.
func (f *Folder) SetFlags(uid uint32, flags []string) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if _, err := f.fm.setFlags(nil, 1, flags); err != nil {
		return f.errorf("uid %d: %w", uid, err)
	}
	return f.locked(func() error {
		switch err := f.checkFile(uid); {
		case errors.Is(err, fs.ErrNotExist):
			return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
		case errors.Is(err, errReplaced):
			return f.errorf("uid %d: flags not stored, %w: %w", uid, err, storage.ErrNoMessage)
		case err != nil:
			return f.errorf("uid %d: %w", uid, err)
		}
		_, err := f.updateSequences(func(ss sequences) (sequences, error) {
			return f.fm.setFlags(ss, uid, flags)
		})
		return err
	})
}

// checkFile checks that the file under message uid's number is the one
// the Folder knows as the message (checkKnown: a regular file with the
// inode, size and time of the Folder's last scan or commit). It returns
// an error wrapping fs.ErrNotExist when no file is there, and errReplaced
// when another file is (another program renumbered the folder, or
// removed the message and wrote a new file, perhaps with the same inode
// number) or the file changed in place since (nmh's anno): the Folder
// then no longer vouches for the folder, and its next scan tells which.
// f.mu and the exclusive folder lock are held; nmh takes no lock of
// mailgate's, so the window between the check and the caller's change
// is that of a system call or two.
func (f *Folder) checkFile(uid uint32) error {
	fi, err := os.Lstat(f.file(uid))
	if err != nil {
		return err
	}
	if !f.checkKnown(uid, idOf(fi)) || !fi.Mode().IsRegular() {
		return errReplaced
	}
	return nil
}

// Seen raises recent-from in .mu-prop above the messages, so that they
// are no longer New.
func (f *Folder) Seen(uids []uint32) error {
	_, err := f.ClaimSeen(uids)
	return err
}

// ClaimSeen implements storage.NewClaimer: Seen, returning the UIDs that
// were still at or above recent-from when this call read .mu-prop under
// the folder lock. Those below it another process raised it over first
// (another session process of the user, which shows them as \Recent to
// its own client).
func (f *Folder) ClaimSeen(uids []uint32) (claimed []uint32, err error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	if len(uids) == 0 {
		return nil, nil
	}
	top := slices.Max(uids)
	if top >= math.MaxUint32-1 || top < f.recentFrom {
		return nil, nil
	}
	err = f.locked(func() error {
		p, err := f.readPropsForWrite()
		if err != nil {
			return err
		}
		for _, uid := range uids {
			if uid >= p.RecentFrom {
				claimed = append(claimed, uid)
			}
		}
		if p.RecentFrom > top {
			f.recentFrom = p.RecentFrom
			return nil
		}
		p.RecentFrom = top + 1
		if err := writeAtomic(f.path, propsFile, p.Encode(), f.perm); err != nil {
			claimed = nil
			return f.errorf("%s: %w", propsFile, err)
		}
		f.recentFrom = p.RecentFrom
		return nil
	})
	return claimed, err
}

// Expunge renames the messages' files to ",N", as nmh's rmm does, or
// removes them when the Folder keeps no backups (Options.KeepExpunged),
// and takes them out of every sequence. Messages already gone are skipped.
// A number that holds another file than the one the Folder knows under
// it (see checkFile) is left alone, so that no other message is
// removed, and named in an error that wraps storage.ErrNoMessage: the
// core then reads the folder again, and its Scan gives that file a fresh
// number. (A message that nmh's anno changed in place is left too until
// that scan, which keeps its number: a file that the file system gave
// the inode number of a removed message looks the same to lstat(2).)
func (f *Folder) Expunge(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	return f.locked(func() error {
		var gone, replaced []uint32 // UIDs, which are the numbers
		// A rename that fails ends the expunge, but those made before
		// it are synced and leave the sequences: the core re-reads the
		// folder after a failure and tells every session of them.
		var failed error
		for _, uid := range uids {
			path := f.file(uid)
			if err := f.checkFile(uid); errors.Is(err, errReplaced) {
				replaced = append(replaced, uid)
				continue
			}
			// Between the lstat and the rename another program could
			// still renumber: nmh takes no lock of the folder's to wait
			// for. The window is that of two system calls.
			err := f.backUp(path, uid)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				failed = f.errorf("expunge uid %d: %w", uid, err)
				break
			}
			f.forget1(uid)
			gone = append(gone, uid)
		}
		if len(replaced) > 0 {
			f.stampValid = false
			failed = errors.Join(failed, f.errorf("expunge uids %v: left in place, %w: %w",
				replaced, errReplaced, storage.ErrNoMessage))
		}
		if len(gone) == 0 {
			return failed
		}
		// A number left without its file must not vouch for a file that
		// another program puts there later with the freed inode number.
		f.updateNumbering(f.validity, nil, gone, 0)
		f.tidyAfterExpunge()
		if err := fsutil.SyncDir(f.path); err != nil {
			return errors.Join(failed, f.errorf("expunge: %w", err))
		}
		_, err := f.updateSequences(func(ss sequences) (sequences, error) {
			for i := range ss {
				for _, uid := range gone {
					ss[i].set = ss[i].set.remove(uid)
				}
			}
			return ss, nil
		})
		return errors.Join(failed, err)
	})
}

// WatchPaths returns the folder directory: message files, .mh_sequences
// and .mu-prop all live in it.
func (f *Folder) WatchPaths() []string {
	return []string{f.path}
}

// Close forgets the Folder's state; later calls fail.
func (f *Folder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.stopTidy()
		f.release()
		f.known, f.meta = nil, nil
	}
	return nil
}

// SetFlagsBatch implements storage.FlagBatcher: the flags of many
// messages in one rewrite of .mh_sequences. Messages that are gone are
// skipped. A number that holds another file than the one the Folder
// knows under it (see checkFile) is left as it is, and named in an error
// that wraps storage.ErrNoMessage, after the others' flags are written.
func (f *Folder) SetFlagsBatch(changes []storage.FlagChange) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	for _, c := range changes {
		if _, err := f.fm.setFlags(nil, 1, c.Flags); err != nil {
			return f.errorf("uid %d: %w", c.UID, err)
		}
	}
	var replaced []uint32
	err := f.locked(func() error {
		_, err := f.updateSequences(func(ss sequences) (sequences, error) {
			for _, c := range changes {
				switch err := f.checkFile(c.UID); {
				case errors.Is(err, fs.ErrNotExist):
					continue
				case errors.Is(err, errReplaced):
					replaced = append(replaced, c.UID)
					continue
				case err != nil:
					return nil, err
				}
				var err error
				if ss, err = f.fm.setFlags(ss, c.UID, c.Flags); err != nil {
					return nil, err
				}
			}
			return ss, nil
		})
		return err
	})
	if err == nil && len(replaced) > 0 {
		err = f.errorf("uids %v: flags not stored, %w: %w", replaced, errReplaced, storage.ErrNoMessage)
	}
	return err
}
