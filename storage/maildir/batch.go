package maildir

import (
	"errors"
	"hash/maphash"
	"io/fs"
	"slices"

	"github.com/mailgate/mailgate/storage"
)

// SetFlagsBatch implements storage.FlagBatcher: it renames the files of
// many messages to carry their new flags under one lock of the Folder,
// with new/ and cur/ held open. Messages that are gone are skipped. When
// files were moved by another program, it reads new/ and cur/ once to
// find them all, where SetFlags would read them once per file. Each
// rename is atomic, so a crash midway leaves every message in place under
// its old name or its new one; like SetFlags, it does not sync the
// directories, so a crash may lose a flag change, never a message.
func (f *Folder) SetFlagsBatch(changes []storage.FlagChange) error {
	return f.setFlagsBatch(changes, false, false)
}

// SetFlagsBatchQuiet implements storage.QuietFlagBatcher: it is
// SetFlagsBatch for a caller that does not watch new/ and cur/
// meanwhile, so no rename is recorded as one whose notification will
// come (expectChange): such a record, never used up, would hide for a
// while another program's change to the same name.
func (f *Folder) SetFlagsBatchQuiet(changes []storage.FlagChange) error {
	return f.setFlagsBatch(changes, true, false)
}

// SetFlagsUnchanged implements storage.ConditionalFlagSetter: it is
// SetFlagsBatch, but leaves as it is each file that another program
// renamed since the core last learned its name, whose flags MergedFlags
// then returns: a STORE with UNCHANGEDSINCE answers MODIFIED for it (RFC
// 7162 section 3.1.3) rather than merge its change into the other
// program's.
func (f *Folder) SetFlagsUnchanged(changes []storage.FlagChange) error {
	return f.setFlagsBatch(changes, false, true)
}

// setFlagsBatch is SetFlagsBatch, quiet for SetFlagsBatchQuiet, and with
// keepOthers SetFlagsUnchanged.
func (f *Folder) setFlagsBatch(changes []storage.FlagChange, quiet, keepOthers bool) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	dirs, err := f.openSubdirs()
	if err != nil {
		return err
	}
	dirs.quiet = dirs.quiet || quiet
	defer dirs.close()
	f.merged = nil
	var moved map[string]entry // base name -> where the file is, read on the first miss
	gone := make(map[uint32]bool)
	defer f.forgetAll(gone)
	// changes come in UID order: that is the order in which the files
	// were mostly created, and renaming them in it costs the kernel about
	// 12% less than in a random order (directory blocks and dentries
	// found warm), as Dovecot's maildir sync renames them. The entries
	// are in UID order too: the next message's entry is most often the
	// one after the last, and otherwise searched for among those after
	// it, where a binary search of all of them per message cost about
	// 7 ms at 10,000.
	entries, j := f.all(), 0
	var memo lettersMemo
	for _, c := range changes {
		uid, flags := c.UID, c.Flags
		if j >= len(entries) || entries[j].uid != uid {
			if j > 0 && entries[j-1].uid >= uid {
				j = 0 // out of order after all: search them all
			}
			k, _ := slices.BinarySearchFunc(entries[j:], uid, byUID)
			j += k
		}
		if j == len(entries) || entries[j].uid != uid {
			continue
		}
		e := &entries[j]
		j++
		was := f.knownName(e)
		err := f.setFlags(e, was, flags, &memo, dirs.rename, keepOthers)
		if !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				return f.wrap(uid, err)
			}
			continue
		}
		if moved == nil {
			if moved, err = f.filesByBase(); err != nil {
				return err
			}
		}
		now, ok := moved[parseName(e.name).base]
		if !ok {
			// Another program removed it: the core, which still lists
			// it, must read the folder (OnlyOwnChanges).
			gone[uid] = true
			f.othersMoved = true
			continue
		}
		f.foundMoved(e, now.inNew, now.name)
		if err := f.setFlags(e, was, flags, &memo, dirs.rename, keepOthers); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return f.wrap(uid, err)
		}
	}
	return nil
}

// filesByBase reads cur/ and new/ and returns where each file is by its
// base name (in cur/ when it is in both).
func (f *Folder) filesByBase() (map[string]entry, error) {
	m := make(map[string]entry)
	for _, inNew := range []bool{true, false} {
		names, err := readNames(f.sub(inNew))
		if err != nil {
			return nil, f.errorf("%w", err)
		}
		for _, n := range names {
			if n != "" && n[0] != '.' {
				m[parseName(n).base] = entry{inNew: inNew, name: n}
			}
		}
	}
	return m, nil
}

// OnlyOwnChanges implements storage.QuietChecker: the names in new/ and
// cur/ are exactly those of the Folder's messages, as its last Scan and
// its own changes since left them, so a Scan would find nothing new. It
// compares a count and a sum of hashes of the names per directory rather
// than building the messages a Scan builds: at 100,000 messages about a
// third of a Scan's CPU, most of it reading the directories.
//
// The directories are read without the Folder's lock, which the sessions'
// commands need meanwhile; the names it knows are summed before and after
// the read, under the lock, and when they differ, its own changes came
// during the read and it reports QuietBusy. Another program's change
// during the read is not its to find: the watch was back before it began.
func (f *Folder) OnlyOwnChanges() storage.QuietCheck {
	if !f.mu.TryLock() {
		// Busy, most often with the next batch, after which the core
		// will want another check: reading the directories now would
		// be wasted.
		return storage.QuietBusy
	}
	f.mu.Unlock()
	before, ok := f.ownNames()
	if !ok {
		return storage.QuietChanged
	}
	if checkReadHook != nil {
		checkReadHook()
	}
	var got [2]nameSum // cur/, new/
	for _, inNew := range []bool{false, true} {
		// Regular files only: the entries never hold a symbolic link or
		// a FIFO, which would otherwise fail every check.
		names, _, err := readFiles(f.sub(inNew))
		if err != nil {
			return storage.QuietChanged
		}
		for _, n := range names {
			if n != "" && n[0] != '.' {
				got[subIndex(inNew)].add(n)
			}
		}
	}
	after, ok := f.ownNames()
	switch {
	case !ok:
		return storage.QuietChanged
	case after != before:
		return storage.QuietBusy
	case got != after:
		return storage.QuietChanged
	}
	return storage.QuietSame
}

// checkReadHook, when set by a test, runs as OnlyOwnChanges starts to
// read the directories.
var checkReadHook func()

// ownNames sums the names of the Folder's messages in cur/ and new/, or
// reports false when the Folder is closed or knows that another program
// moved some of its files (othersMoved), which only a Scan sorts out.
func (f *Folder) ownNames() (sums [2]nameSum, ok bool) {
	if err := f.lock(); err != nil {
		return sums, false
	}
	defer f.mu.Unlock()
	if f.othersMoved {
		// What the core knows of those messages may be old (moved to
		// cur/ by another program, say, or gone): it must read the
		// folder. Only that read clears othersMoved, not this check,
		// whose answer the core may drop for a later one's.
		return sums, false
	}
	for _, e := range f.all() {
		sums[subIndex(e.inNew)].add(e.name)
	}
	return sums, true
}

// subIndex is the index of new/ (inNew) or cur/ in a pair.
func subIndex(inNew bool) int {
	if inNew {
		return 1
	}
	return 0
}

// nameSum sums a set of file names, in any order: two different sets
// have the same sum by chance about once in 2^64.
type nameSum struct {
	n   int
	sum uint64
}

var nameSeed = maphash.MakeSeed()

func (s *nameSum) add(name string) {
	s.n++
	s.sum += maphash.String(nameSeed, name)
}
