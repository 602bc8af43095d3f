package maildir

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// cacheFile is where the storage core keeps what frontends derived from
// the messages (storage.CacheFiler).
const cacheFile = ".mailgate-cache"

// CacheFile implements storage.CacheFiler.
func (f *Folder) CacheFile() string { return filepath.Join(f.path, cacheFile) }

// modseqFile is where the storage core keeps the folder's modification
// sequences (storage.ModSeqFiler).
const modseqFile = ".mailgate-modseq"

// ModSeqFile implements storage.ModSeqFiler.
func (f *Folder) ModSeqFile() string { return filepath.Join(f.path, modseqFile) }

// Folder is an open maildir. It implements storage.Folder,
// storage.FlagBatcher, storage.QuietFlagBatcher, storage.Stager and
// storage.OwnChanges.
//
// It keeps in memory where each UID's file is, so that Open, SetFlags and
// Expunge need no directory read, and shares with the other Folders open
// on the maildir what it knows of each file, so that a rescan stats only
// files that no scan has seen before. It keeps the result of a scan in the
// maildir's index file too (see index.go), so that a Folder opened later,
// in this process or the next, can skip the scan.
type Folder struct {
	mu     sync.Mutex
	path   string
	newDir string
	curDir string
	perm   os.FileMode
	host   string
	now    func() time.Time
	log    *slog.Logger
	// kw is the keyword table, read when first needed rather than at
	// Open (most maildirs have no keyword, and a cold SELECT no use for
	// the file): by a scan when a name carries a keyword letter it does
	// not know (flagDecoder), and before any flag change (letters).
	// kwRead says it was read.
	kw     keywords
	kwRead bool

	validity uint32
	uidNext  uint32
	entries  []entry                  // ascending UID; see all
	lazy     *index                   // entries not built yet, see all
	meta     *fsutil.Shared[fileMeta] // file name base -> what the file holds
	release  func()                   // gives meta back

	uidList       *uidList
	uidListLoaded bool

	newValidity func() uint32  // gives the UIDVALIDITY of a maildir that has none
	skipped     fsutil.Skipped // files in new/ and cur/ that are not regular files
	cleaned     bool           // the first Scan removed crashed writers' temporary files
	rootSeen    time.Time      // the maildir directory's mtime when its batch intents were last checked (zero: check again)

	stamp   dirStamp          // new/ and cur/ when entries were read from them
	last    []storage.Message // the snapshot at stamp, kept by unchanged
	indexed dirStamp          // the stamp of the index file as last written or read
	learnt  int               // files the last listing learnt from the disk
	// learned holds the dates InternalDates learnt since meta was last
	// stored, by base name (meta itself is never changed).
	learned map[string]int64
	// datesUnsaved counts the dates learnt since the index file was last
	// written; Close writes it again for them (refreshIndex).
	datesUnsaved int
	// deferIndex says that the next scan leaves its index write to
	// WriteIndex (storage.IndexDeferrer); indexPending that one did.
	deferIndex, indexPending bool
	noIndex                  bool // DropIndex was called
	// indexMu is held by WriteIndex for the whole of its write, which
	// holds mu only at its start and end, and by DropIndex, so that no
	// write outlives DropIndex. It is taken before mu, never after.
	indexMu sync.Mutex
	// fromIndex says that the last Scan was answered from the index file.
	fromIndex bool
	// othersMoved: a flag batch or a lookup (relocate) found files that
	// another program had moved, renamed or removed; OnlyOwnChanges
	// reports QuietChanged until a Scan has read the directories.
	othersMoved bool
	closed      bool
	dev         devCache // the file system, for StageMove
	// movedFrom holds, by UID, the name each file had before another
	// program moved or renamed it (foundMoved), until a Scan tells the
	// core (knownName); merged holds the flags that the last flag change
	// left on the messages whose files another program had renamed
	// (MergedFlags).
	movedFrom map[uint32]string
	merged    map[uint32][]string
	// unwatched: nobody watches new/ and cur/ (NoteWatched), so the
	// Folder's own changes are not recorded as notifications to come.
	unwatched atomic.Bool
}

var (
	_ storage.Folder                = (*Folder)(nil)
	_ storage.FlagBatcher           = (*Folder)(nil)
	_ storage.QuietFlagBatcher      = (*Folder)(nil)
	_ storage.Dater                 = (*Folder)(nil)
	_ storage.IndexDeferrer         = (*Folder)(nil)
	_ storage.WatchNoter            = (*Folder)(nil)
	_ storage.FlagMerger            = (*Folder)(nil)
	_ storage.DeletedExpunger       = (*Folder)(nil)
	_ storage.ConditionalFlagSetter = (*Folder)(nil)
)

// entry says where a message's file is now, and what the scan that
// found it learnt of it. flags are what its letters meant then: after a
// rename, which makes f.stamp invalid, they are stale until the next scan.
type entry struct {
	uid   uint32
	inNew bool
	name  string
	meta  fileMeta
	flags []string // shared with other entries
}

// message returns what e says of its message.
func (e *entry) message() storage.Message {
	return storage.Message{UID: e.uid, Flags: e.flags, InternalDate: e.meta.date(),
		Size: e.meta.size, New: e.inNew}
}

// all returns f.entries, building them first from the index file that
// the last Scan was answered from. Every use of f.entries goes through it
// or follows a call of it.
func (f *Folder) all() []entry {
	if x := f.lazy; x != nil {
		f.lazy = nil
		err := f.loadRecords(x)
		if err == nil {
			err = f.loadNames(x)
		}
		if err != nil {
			f.log.Debug("maildir: index names not used", "path", f.path, "err", err)
			if errors.Is(err, errBadIndex) {
				// Damaged: the next Scan reads the directories and
				// writes it anew.
				os.Remove(filepath.Join(f.path, indexFile))
			}
			f.entries = f.entriesFromDirs(x)
			return f.entries
		}
		f.entries = x.entries()
	}
	return f.entries
}

// entriesFromDirs builds the entries of x, whose names (or records)
// could not be read from the index file, from the names in new/ and cur/ that carry its
// UIDs. A message whose file is not found is left out, and the next Scan
// reads the directories: the state the index recorded is not trusted
// any more.
func (f *Folder) entriesFromDirs(x *index) []entry {
	f.stamp.valid = false
	f.indexed, f.last = dirStamp{}, nil
	where := make(map[uint32]entry, x.count)
	for _, inNew := range []bool{true, false} {
		names, _, err := readFiles(f.sub(inNew))
		if err != nil {
			f.log.Debug("maildir: reading directory", "path", f.sub(inNew), "err", err)
		}
		for _, n := range names {
			if n == "" || n[0] == '.' {
				continue
			}
			if uid := parseName(n).uid(); uid != 0 {
				if _, dup := where[uid]; !dup {
					where[uid] = entry{inNew: inNew, name: n}
				}
			}
		}
	}
	entries := make([]entry, 0, x.count)
	var dec *flagDecoder
	for i := range int(x.count) {
		uid := x.uid(i)
		e, ok := where[uid]
		if !ok {
			continue
		}
		e.uid = uid
		if x.recs != nil {
			r := x.record(i)
			e.meta = r.meta
			if x.flags != nil {
				e.flags = x.flags[r.set]
			}
		} else {
			// The records could not be read either: the file says it.
			c := candidate{inNew: e.inNew, name: e.name, fn: parseName(e.name), uid: uid}
			if dec == nil {
				dec = f.newFlagDecoder()
			}
			if f.readMeta(&c); c.skip || c.err != nil {
				continue
			}
			e.meta, e.flags = c.meta, dec.flags(c.fn.letters())
		}
		entries = append(entries, e)
	}
	return entries
}

// snapshot returns the mailbox as the entries hold it, which is the state
// of the directories at f.stamp while that is valid.
func (f *Folder) snapshot() storage.Snapshot {
	snap := storage.Snapshot{UIDValidity: f.validity, UIDNext: f.uidNext}
	if x := f.lazy; x != nil {
		if err := f.loadRecords(x); err == nil {
			snap.Messages = x.messages()
			return snap
		}
		// all logs the error and reads the directories instead.
	}
	snap.Messages = entriesMessages(f.all())
	return snap
}

// search returns where uid's entry is or would be in f.entries.
func (f *Folder) search(uid uint32) (int, bool) {
	return slices.BinarySearchFunc(f.all(), uid, byUID)
}

// byUID compares an entry's UID with uid, for searches of entries.
func byUID(e entry, uid uint32) int {
	return cmp.Compare(e.uid, uid)
}

// find returns the entry of uid, or nil. The pointer is valid until
// f.entries changes length.
func (f *Folder) find(uid uint32) *entry {
	if i, ok := f.search(uid); ok {
		return &f.entries[i]
	}
	return nil
}

// forgetAll drops the entries of the UIDs in gone at once, rather than
// shifting f.entries once per message.
func (f *Folder) forgetAll(gone map[uint32]bool) {
	if len(gone) > 0 {
		f.entries = slices.DeleteFunc(f.all(), func(e entry) bool { return gone[e.uid] })
		f.stamp.valid = false
	}
}

// forget drops uid's entry.
func (f *Folder) forget(uid uint32) {
	if i, ok := f.search(uid); ok {
		f.entries = slices.Delete(f.entries, i, i+1)
		f.stamp.valid = false
	}
}

// sub returns the path of new/ or cur/.
func (f *Folder) sub(inNew bool) string {
	if inNew {
		return f.newDir
	}
	return f.curDir
}

func (f *Folder) filePath(e *entry) string {
	return f.sub(e.inNew) + string(os.PathSeparator) + e.name
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

// Open returns the message's file for reading. A file that is not a
// regular file (a symbolic link, a FIFO) is never opened: the message is
// then gone.
func (f *Folder) Open(uid uint32) (io.ReadCloser, error) {
	return f.open(uid, func(path string) (io.ReadCloser, error) {
		file, _, err := fsutil.OpenRegular(path)
		if err != nil {
			return nil, err // not a nil *os.File in an interface
		}
		return file, nil
	})
}

// OpenShort is Open for a short read from the start of the message, its
// header (storage.ShortOpener): the file is a bare file descriptor
// (fsutil.OpenShort).
func (f *Folder) OpenShort(uid uint32) (io.ReadCloser, error) {
	return f.open(uid, fsutil.OpenShort)
}

var _ storage.QuickOpener = (*Folder)(nil)

// OpenQuick is OpenShort for a caller that does not hold the mailbox
// lock (storage.QuickOpener): the folder's own lock is held only to find
// the file's name, not while the file is opened, so that readers of
// many messages at once (a first FETCH ENVELOPE) do not queue for it.
// ok is false when the file is not where the folder last saw it (another
// program moved it, or the folder is closed): the caller then takes the
// mailbox lock and calls OpenShort, which looks for it.
func (f *Folder) OpenQuick(uid uint32) (rc io.ReadCloser, ok bool) {
	path, found := f.pathOf(uid)
	if !found {
		return nil, false
	}
	rc, err := fsutil.OpenShort(path)
	return rc, err == nil
}

// pathOf returns the path where the folder last saw message uid's file.
func (f *Folder) pathOf(uid uint32) (string, bool) {
	if f.lock() != nil {
		return "", false
	}
	defer f.mu.Unlock()
	if e, found, ok := f.lazyEntry(uid); ok {
		return f.filePath(&e), found
	}
	if e := f.find(uid); e != nil {
		return f.filePath(e), true
	}
	return "", false
}

// open is Open with the file at a path opened by openFile.
func (f *Folder) open(uid uint32, openFile func(path string) (io.ReadCloser, error)) (io.ReadCloser, error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	if e, found, ok := f.lazyEntry(uid); ok {
		if !found {
			return nil, f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
		}
		if file, err := openFile(f.filePath(&e)); err == nil {
			return file, nil
		}
		// Not there (another program moved it), or not a regular
		// file: the usual way finds it, or says why not.
	}
	var file io.ReadCloser
	var path string
	err := f.onFile(uid, func(e *entry) (err error) {
		path = f.filePath(e)
		file, err = openFile(path)
		return err
	})
	if errors.Is(err, fsutil.ErrNotRegular) {
		f.skipped.Note(f.log, f.path, path, err)
		return nil, f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	if err != nil {
		return nil, err
	}
	return file, nil
}

// lazyEntry returns the entry of message uid as the index file that the
// last Scan was answered from (f.lazy) records it, without building the
// entries from it: a FETCH of one message's body in a fresh process then
// reads the index's records (20 bytes a message) and that message's
// name, and holds neither every name nor an entry (64 bytes more) per
// message. The first such lookup reads its name alone; the next read all
// of them once (loadNames) and pick theirs, so that a FETCH of many
// messages' headers (ENVELOPE) builds no entries either. found is false
// when the index has no such message; ok is false when it cannot say,
// and the caller goes the usual way (all), which reads the directories
// when it must: no index pending, or its records or names unreadable or
// damaged. f.mu is held.
func (f *Folder) lazyEntry(uid uint32) (e entry, found, ok bool) {
	x := f.lazy
	// The names' lengths, and whether each file is in new/ (where
	// Summarize answers none is), are all that is needed of the
	// records: when the messages were built as they were read
	// (recordMessages), they are not read again.
	if x == nil || (x.nameLens == nil || x.inNew) && f.loadRecords(x) != nil {
		return entry{}, false, false
	}
	i, found := x.position(uid)
	if !found {
		return entry{}, false, true
	}
	var name string
	if x.names == "" && !x.nameRead {
		x.nameRead = true
		var err error
		if name, err = f.readName(x, i); err != nil {
			return entry{}, false, false
		}
	} else {
		if f.loadNames(x) != nil {
			return entry{}, false, false
		}
		start, n := x.nameSpan(i)
		name = x.names[start : start+n]
	}
	if x.recs == nil {
		return entry{uid: uid, name: name}, true, true // in cur/, see above
	}
	return x.entryAt(i, name), true, true
}

// SetFlags renames the message's file to carry flags. Letters that
// mailgate cannot name are kept, and so are the flags another program
// changed since the Folder last knew the file's name (see setFlags and
// MergedFlags).
func (f *Folder) SetFlags(uid uint32, flags []string) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	f.merged = nil
	var was string
	return f.onFile(uid, func(e *entry) error {
		if was == "" {
			was = f.knownName(e)
		}
		return f.setFlags(e, was, flags, nil, f.renameIn, false)
	})
}

// setFlags renames e's file with rename to carry flags, when they change
// its name. was is the name whose letters the core's flags of the message
// are (knownName). When another program renamed the file since (e.name is
// not was), flags are not written over its change: what they add to was's
// letters is added to the letters the file has now, and what they take
// away taken away, and the flags that result are kept for MergedFlags.
// Another program's \Seen, set between a notification and the re-read it
// causes, was otherwise lost for good when a STORE +FLAGS (\Flagged) came
// in between. With keepOthers (SetFlagsUnchanged) such a file is left as
// it is, and its flags kept for MergedFlags.
func (f *Folder) setFlags(e *entry, was string, flags []string, memo *lettersMemo, rename renameFunc, keepOthers bool) error {
	fn := parseName(e.name)
	old := parseName(was).letters()
	letters, err := f.memoLetters(memo, flags, old)
	if err != nil {
		return err
	}
	relocated := e.name != was
	// Another program renamed the file; whether it changed the flags
	// (not only the letters' order, or new/ for cur/, as mutt does).
	othersChanged := relocated && !sameLetters(old, fn.letters())
	switch {
	case othersChanged && keepOthers:
		letters = fn.letters()
	case othersChanged:
		letters = mergeLetters(old, letters, fn.letters())
	}
	if letters != fn.letters() || !fn.hasInfo && letters != "" {
		name := fn.withLettersString(letters)
		if err := rename(e.inNew, e.name, name); err != nil {
			return err
		}
		e.name = name
		f.stamp.valid = false
	}
	if relocated {
		delete(f.movedFrom, e.uid)
	}
	if othersChanged {
		// The core now learns the flags of the name the file has.
		if f.merged == nil {
			f.merged = make(map[uint32][]string)
		}
		f.merged[e.uid] = f.newFlagDecoder().flags(letters)
	}
	return nil
}

// sameLetters reports whether a and b hold the same letters, in any
// order.
func sameLetters(a, b string) bool {
	var set [256]int8
	for i := range len(a) {
		set[a[i]] = 1
	}
	for i := range len(b) {
		if set[b[i]] == 0 {
			return false
		}
		set[b[i]] = 2
	}
	for _, v := range set {
		if v == 1 {
			return false
		}
	}
	return true
}

// mergeLetters returns the letters now, which another program left,
// changed as old was changed into next: with the letters next adds to old,
// without those it takes away. The result is in ASCII order, as maildir
// letters are.
func mergeLetters(old, next, now string) string {
	var set [256]bool
	for i := range len(now) {
		set[now[i]] = true
	}
	for i := range len(next) {
		if strings.IndexByte(old, next[i]) < 0 {
			set[next[i]] = true
		}
	}
	for i := range len(old) {
		if strings.IndexByte(next, old[i]) < 0 {
			set[old[i]] = false
		}
	}
	var b []byte
	for c, in := range set {
		if in {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

// MergedFlags implements storage.FlagMerger: the flags that the last
// SetFlags, SetFlagsBatch or SetFlagsBatchQuiet left on each message
// whose file another program had renamed since the Folder last knew its
// name, which may differ from those asked for (setFlags). The core calls
// it under the same lock as the change.
func (f *Folder) MergedFlags() map[uint32][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.merged
	f.merged = nil
	return m
}

// Seen moves the messages' files from new/ to cur/, adding an empty info
// part to names that have none.
func (f *Folder) Seen(uids []uint32) error {
	_, err := f.ClaimSeen(uids)
	return err
}

// ClaimSeen implements storage.NewClaimer: Seen, returning the UIDs whose
// files this call moved from new/ to cur/. A file that another process
// moved first (another session process of the user, which then shows
// the message as \Recent to its own client) is not among them.
func (f *Folder) ClaimSeen(uids []uint32) (claimed []uint32, err error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
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
			if err := f.renameFile(f.filePath(e), f.sub(false)+string(os.PathSeparator)+name); err != nil {
				return err
			}
			e.inNew, e.name = false, name
			claimed = append(claimed, uid)
			return nil
		})
		if err != nil && !errors.Is(err, storage.ErrNoMessage) {
			return claimed, err
		}
	}
	if len(claimed) > 0 {
		f.stamp.valid = false
		if err := fsutil.SyncDir(f.sub(false)); err != nil {
			return claimed, f.errorf("seen: %w", err)
		}
	}
	return claimed, nil
}

// Expunge removes the messages' files and syncs the directories. UIDs that
// are already gone are skipped.
func (f *Folder) Expunge(uids []uint32) error {
	_, err := f.expunge(uids, true)
	return err
}

// ExpungeDeleted implements storage.DeletedExpunger: it removes the
// messages' files as Expunge does, but keeps each file that another
// program renamed so that it no longer carries T (it undeleted the
// message), and returns the UIDs of those kept.
func (f *Folder) ExpungeDeleted(uids []uint32) (kept []uint32, err error) {
	return f.expunge(uids, false)
}

// errUndeleted: the file of a message being expunged no longer carries T.
var errUndeleted = errors.New("no longer deleted")

// expunge is Expunge, or with force false ExpungeDeleted. The file's
// letters are looked at after onFile found it: when the removal failed
// because another program had renamed the file, its new name is what
// tells whether the message is still deleted.
func (f *Folder) expunge(uids []uint32, force bool) (kept []uint32, err error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var touched [2]bool
	gone := make(map[uint32]bool, len(uids))
	defer f.forgetAll(gone)
	// The removals are synced whether or not one failed: the core
	// re-reads the folder after a failure and tells every session of
	// those made, which a crash must not bring back.
	defer func() {
		for i, t := range touched {
			if !t {
				continue
			}
			if serr := fsutil.SyncDir(f.sub(i == 1)); serr != nil {
				err = errors.Join(err, f.errorf("expunge: %w", serr))
			}
		}
	}()
	for _, uid := range uids {
		err := f.onFile(uid, func(e *entry) error {
			if !force && !strings.ContainsRune(parseName(e.name).letters(), 'T') {
				return errUndeleted
			}
			path := f.filePath(e)
			recorded := f.expect(path)
			if err := os.Remove(path); err != nil {
				if recorded {
					unexpectChange(path) // no notification comes
				}
				return err
			}
			if e.inNew {
				touched[1] = true
			} else {
				touched[0] = true
			}
			return nil
		})
		if errors.Is(err, errUndeleted) {
			kept = append(kept, uid)
			continue
		}
		if err != nil && !errors.Is(err, storage.ErrNoMessage) {
			return kept, err
		}
		gone[uid] = true
	}
	f.stamp.valid = false
	return kept, nil
}

// onFile runs op on the message's entry. When op finds the file missing,
// onFile looks for it again by its base name, since another program may
// have renamed it, and runs op once more. It returns storage.ErrNoMessage
// when the file is gone.
func (f *Folder) onFile(uid uint32, op func(e *entry) error) error {
	e := f.find(uid)
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
		// Another program removed it; the core must read the folder
		// to tell its views (OnlyOwnChanges).
		f.forget(uid)
		f.othersMoved = true
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
				f.foundMoved(e, inNew, n)
				return true, nil
			}
		}
	}
	return false, nil
}

// foundMoved notes that another program moved or renamed e's file, now
// name in new/ (inNew) or cur/. What the core knows of the message (its
// flags) may be old: the check after a quiet batch must not vouch for the
// folder (OnlyOwnChanges), and a flag change applies to the letters the
// file has now only what it changes of those the core knows, which are
// those of the name the file had (movedFrom, see setFlags).
func (f *Folder) foundMoved(e *entry, inNew bool, name string) {
	if _, ok := f.movedFrom[e.uid]; !ok {
		if f.movedFrom == nil {
			f.movedFrom = make(map[uint32]string)
		}
		f.movedFrom[e.uid] = e.name
	}
	e.inNew, e.name = inNew, name
	f.stamp.valid, f.othersMoved = false, true
}

// knownName returns the name of e's file whose letters the core's flags
// of the message are: the one it had before another program renamed it,
// until a Scan tells the core of the change or a flag change merges it
// (setFlags).
func (f *Folder) knownName(e *entry) string {
	if n, ok := f.movedFrom[e.uid]; ok {
		return n
	}
	return e.name
}

// WatchPaths returns the maildir's new and cur directories.
func (f *Folder) WatchPaths() []string {
	return []string{f.sub(true), f.sub(false)}
}

// Unchanged implements storage.Unchanger: new/ and cur/ are in the state
// the last scan (or the index it was answered from) saw, with times old
// enough to prove it.
func (f *Folder) Unchanged() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stamp.valid {
		return false
	}
	st, err := f.readStamp()
	return err == nil && st.same(f.stamp)
}

// Close forgets the Folder's state; later calls fail. When the maildir's
// index file is stale and the maildir has been quiet for a while, Close
// first scans once more to bring the index up to date (see refreshIndex).
func (f *Folder) Close() error {
	// A background index write (WriteIndex) ends first: once the core
	// has closed the mailbox, a DELETE no longer tells this Folder
	// (DropIndex), and the write would land in whatever is then at path.
	f.indexMu.Lock()
	defer f.indexMu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.refreshIndex()
		f.closed = true
		f.release()
		f.entries, f.lazy, f.last, f.meta = nil, nil, nil, nil
	}
	return nil
}
