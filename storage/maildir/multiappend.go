package maildir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
	for _, st := range list {
		s, ok := st.(*staged)
		if !ok || s.f != f || s.done {
			for _, st := range list {
				st.Abort()
			}
			return nil, f.errorf("append: a staged message of another folder, or one committed already")
		}
		ss = append(ss, s)
	}
	removeTmps := func() {
		for _, s := range ss {
			if !s.done {
				s.done = true
				os.Remove(s.tmp)
			}
		}
	}
	if err := f.lock(); err != nil {
		removeTmps()
		return nil, err
	}
	defer f.mu.Unlock()
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
		return f.moveBatch(ss, names)
	})
	removeTmps()
	if err != nil {
		return nil, err
	}
	f.stamp.valid = false
	msgs := make([]storage.Message, len(ss))
	for i, s := range ss {
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
func (f *Folder) moveBatch(ss []*staged, names []string) error {
	intent, err := fsutil.CreateTemp(f.path, batchKind, f.perm)
	if err != nil {
		return f.errorf("append: batch intent: %w", err)
	}
	intentPath := intent.Name()
	_, err = intent.WriteString(strings.Join(names, "\n") + "\n")
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
	newDir := f.sub(true)
	for i, s := range ss {
		dest := filepath.Join(newDir, names[i])
		expectChange(dest)
		if err = os.Rename(s.tmp, dest); err != nil {
			break
		}
		s.done = true
	}
	if err == nil {
		err = fsutil.SyncDir(newDir)
	}
	if err != nil {
		for i, s := range ss {
			if s.done {
				os.Remove(filepath.Join(newDir, names[i]))
			}
		}
		fsutil.SyncDir(newDir)
		os.Remove(intentPath)
		return f.errorf("append: %w", err)
	}
	if err := os.Remove(intentPath); err != nil {
		return f.errorf("append: removing the batch intent: %w", err)
	}
	if err := fsutil.SyncDir(f.path); err != nil {
		return f.errorf("append: %w", err)
	}
	return nil
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
