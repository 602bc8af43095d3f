package maildir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file commits several staged messages as one (IMAP MULTIAPPEND):
// all of them reach new/, or none does, even when the process is killed
// in the middle.
//
// Under the maildir lock, after the UIDs are reserved, the names the
// messages will have in new/ are written to a batch intent, a CreateTemp
// file of kind batchKind in the maildir, synced; then each staged file is
// renamed into new/, new/ is synced, and the intent removed. A process
// killed before the removal leaves the intent of a dead process: whoever
// opens the maildir next (removeStale) removes the messages it names
// from new/ and cur/ before reading the maildir, and then the intent.
// The client was never told that the batch was stored, so the whole
// batch goes, never a first part of it.

var _ storage.BatchCommitter = (*Folder)(nil)

// batchKind names the intent of a batch commit (fsutil.CreateTemp).
const batchKind = "batch"

// CommitBatch implements storage.BatchCommitter.
func (f *Folder) CommitBatch(list []storage.Staged) ([]storage.Message, error) {
	ss := make([]*staged, 0, len(list))
	var from *Folder // the source of the moves among them
	for _, st := range list {
		s, ok := st.(*staged)
		if ok && s.from != nil && from == nil {
			from = s.from
		}
		if !ok || s.f != f || s.done || (s.from != nil && s.from != from) {
			for _, st := range list {
				st.Abort()
			}
			return nil, f.errorf("append: a staged message of another folder, one committed already, or moves from two folders")
		}
		ss = append(ss, s)
	}
	removeTmps := func() {
		for _, s := range ss {
			if !s.done {
				s.done = true
				if s.from == nil {
					os.Remove(s.tmp)
				}
			}
		}
	}
	unlock, err := f.lockWith(from)
	if err != nil {
		removeTmps()
		return nil, err
	}
	defer unlock()
	letters := make([]string, len(ss))
	for i, s := range ss {
		l, err := f.letters(s.flags, "")
		if err != nil {
			removeTmps()
			return nil, err
		}
		letters[i] = l
	}
	names := make([]string, len(ss))
	first, err := f.allocate(len(ss), func(first uint32) error {
		for i, s := range ss {
			names[i] = formatName(s.unique, s.written, s.crlf, first+uint32(i), letters[i])
		}
		return f.moveBatch(ss, names, from)
	})
	removeTmps()
	if err != nil {
		return nil, err
	}
	f.stamp.valid = false
	if from != nil {
		moved := make(map[uint32]bool)
		for _, s := range ss {
			if s.from != nil {
				moved[s.fromUID] = true
			}
		}
		from.forgetAll(moved)
	}
	msgs := make([]storage.Message, len(ss))
	for i, s := range ss {
		if s.gone {
			continue // the zero Message: see storage.BatchCommitter
		}
		uid := first + uint32(i)
		fl, _ := decodeLetters(letters[i], &f.kw)
		e := entry{uid: uid, inNew: true, name: names[i], meta: fileMeta{mtime: s.mtime, size: s.crlf}, flags: fl}
		if k, found := f.search(uid); found {
			f.entries[k] = e
		} else {
			f.entries = slices.Insert(f.entries, k, e)
		}
		msgs[i] = e.message()
	}
	return msgs, nil
}

// moveBatch renames the staged files into new/ under names, with the
// batch intent in place meanwhile; on failure it takes back those it
// moved. The caller holds the maildir lock.
//
// Messages staged to be moved (StageMove) are renamed from their source
// maildir from, which the caller holds locked too; they are not in the intent
// (see move.go), and a failure moves them back. Once new/ is synced, so
// are the source's directories that they left.
func (f *Folder) moveBatch(ss []*staged, names []string, from *Folder) error {
	var intentNames []string
	for i, s := range ss {
		if s.from == nil {
			intentNames = append(intentNames, names[i])
		}
	}
	intentPath := ""
	if len(intentNames) > 0 {
		intent, err := fsutil.CreateTemp(f.path, batchKind, f.perm)
		if err != nil {
			return f.errorf("append: batch intent: %w", err)
		}
		intentPath = intent.Name()
		_, err = intent.WriteString(strings.Join(intentNames, "\n") + "\n")
		if err == nil {
			err = intent.Sync()
		}
		if cerr := intent.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = fsutil.SyncDir(f.path)
		}
		if err != nil {
			os.Remove(intentPath)
			return f.errorf("append: batch intent: %w", err)
		}
	}
	newDir := f.sub(true)
	was := make([]string, len(ss)) // where each moved file came from
	var left [2]bool               // the source's cur/ and new/ lost a file
	var err error
	for i, s := range ss {
		dest := filepath.Join(newDir, names[i])
		if s.from != nil {
			var inNew bool
			was[i], inNew, err = s.moveIn(dest)
			if errors.Is(err, storage.ErrNoMessage) {
				// Gone from the source meanwhile (another program
				// expunged it): left out, its UID unused.
				err = nil
				s.done, s.gone = true, true
				continue
			}
			if err != nil {
				break
			}
			left[b2i(inNew)] = true
		} else {
			recorded := f.expect(dest)
			if err = renameUnexpected(s.tmp, dest); err != nil {
				if recorded {
					unexpectChange(dest) // no notification comes
				}
				break
			}
		}
		s.done = true
	}
	if err == nil {
		err = fsutil.SyncDir(newDir)
	}
	for i, l := range left {
		if err == nil && l {
			err = fsutil.SyncDir(from.sub(i == 1))
		}
	}
	if err != nil {
		for i, s := range ss {
			if !s.done || s.gone {
				continue
			}
			dest := filepath.Join(newDir, names[i])
			if s.from == nil {
				os.Remove(dest)
				continue
			}
			// Back where it was: the source still lists it there.
			s.done = false
			destRecorded, wasRecorded := f.expect(dest), s.from.expect(was[i])
			if rerr := renameUnexpected(dest, was[i]); rerr != nil {
				if destRecorded {
					unexpectChange(dest)
				}
				if wasRecorded {
					unexpectChange(was[i])
				}
				f.log.Error("maildir: a message moved here by a MOVE that failed could not be moved back", "path", dest, "to", was[i], "err", rerr)
			}
		}
		fsutil.SyncDir(newDir)
		for i, l := range left {
			if l {
				fsutil.SyncDir(from.sub(i == 1))
			}
		}
		if intentPath != "" {
			os.Remove(intentPath)
		}
		return f.errorf("append: %w", err)
	}
	if intentPath == "" {
		return nil
	}
	if err := os.Remove(intentPath); err != nil {
		return f.errorf("append: removing the batch intent: %w", err)
	}
	if err := fsutil.SyncDir(f.path); err != nil {
		return f.errorf("append: %w", err)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// undoBatchesLeftSinceOpen runs undoDeadBatches again when the maildir's
// own directory, where the intents are, changed since it last looked: a
// process killed in a batch commit after this Folder first scanned the
// maildir leaves messages in new/ that a scan would otherwise announce.
// Checking costs one stat while the directory is unchanged; an mtime
// less than a second old is not trusted to tell (file systems keep it in
// coarse ticks), so the directory is read again then.
func (f *Folder) undoBatchesLeftSinceOpen() {
	fi, err := os.Stat(f.path)
	if err != nil {
		return
	}
	mtime := fi.ModTime()
	if !f.rootSeen.IsZero() && mtime.Equal(f.rootSeen) {
		return
	}
	names, err := readNames(f.path)
	if err != nil {
		return
	}
	f.undoDeadBatches(names)
	f.rootSeen = time.Time{}
	if f.now().Sub(mtime) > time.Second {
		f.rootSeen = mtime
	}
}

// undoDeadBatches removes what batch commits of dead processes left,
// among the names in the maildir's directory: the messages each intent
// names, in new/ or, moved by another program since, in cur/; then the
// intent. It runs before the maildir is first read.
func (f *Folder) undoDeadBatches(names []string) {
	prefix := fsutil.TempPrefix + "." + batchKind + "."
	var byBase map[string]entry
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) || !fsutil.StaleTemp(n) {
			continue
		}
		path := filepath.Join(f.path, n)
		data, err := os.ReadFile(path)
		if err != nil {
			f.log.Warn("maildir: reading what a batch commit cut short left", "path", path, "err", err)
			continue
		}
		var removed []string
		for _, name := range strings.Fields(string(data)) {
			if strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
				continue
			}
			err := os.Remove(filepath.Join(f.sub(true), name))
			if errors.Is(err, os.ErrNotExist) {
				if byBase == nil {
					byBase, _ = f.filesByBase()
				}
				if e, ok := byBase[parseName(name).base]; ok {
					err = os.Remove(filepath.Join(f.sub(e.inNew), e.name))
				}
			}
			if err == nil {
				removed = append(removed, name)
			}
		}
		fsutil.SyncDir(f.sub(true))
		fsutil.SyncDir(f.sub(false))
		os.Remove(path)
		f.log.Info("maildir: removed a batch of messages whose commit a crash cut short", "dir", f.path, "files", removed)
	}
}
