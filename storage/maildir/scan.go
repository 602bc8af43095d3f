package maildir

import (
	"cmp"
	"errors"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// scanAttempts bounds how often Scan starts again when files move under
// it. The last attempt skips files that vanish instead of starting again.
const scanAttempts = 4

// candidate is one message file that a scan found.
type candidate struct {
	inNew bool
	name  string
	fn    fileName
	uid   uint32
	meta  fileMeta
	named bool  // meta is what the name says (W=), the date not learnt
	skip  bool  // not a message after all, or gone
	err   error // from reading the file
}

// Scan reads new/ and cur/ and returns every message in UID order. Files
// without a UID, and all but one of files claiming the same UID, get fresh
// UIDs (oldest first), which are written into their names after .mu-prop
// is raised above them. UIDs that a dovecot-uidlist gives are used first.
// When neither directory changed since the last scan, the last result is
// returned without reading them, from memory or from the index file.
// Scan shares Flags slices between messages: callers must not modify them.
func (f *Folder) Scan() (snap storage.Snapshot, err error) {
	if err := f.lock(); err != nil {
		return storage.Snapshot{}, err
	}
	defer f.mu.Unlock()
	defer func() {
		if err == nil {
			// The core now knows the flags the files' names carry.
			f.movedFrom = nil
		}
	}()
	if !f.cleaned {
		f.cleaned = true
		f.removeStale()
	}
	f.fromIndex = false
	if st, err := f.readStamp(); err == nil {
		if snap, ok := f.unchanged(st); ok {
			return snap, nil
		}
		if snap, ok := f.loadIndex(st); ok {
			// The index was written for directories as they are now.
			f.othersMoved = false
			return snap, nil
		}
	}
	return f.scanLocked()
}

// scanLocked reads the directories; f.mu is held.
func (f *Folder) scanLocked() (storage.Snapshot, error) {
	locked := false
	for attempt := 1; ; attempt++ {
		final := attempt == scanAttempts
		snap, retry, err := f.scan(final, locked)
		if errors.Is(err, errNeedLock) && !locked {
			// Start again under the exclusive lock, so that what the scan
			// reads and the UIDs it gives agree with every other writer.
			unlock, lerr := fsutil.LockDir(f.path, false)
			if lerr != nil {
				return snap, f.errorf("lock: %w", lerr)
			}
			defer unlock()
			locked, retry, err = true, true, nil
			attempt--
		}
		if err == nil && !retry {
			// The entries are what the directories hold: the files that
			// others moved (othersMoved) are where the entries say.
			f.othersMoved = false
		}
		if err != nil || !retry {
			return snap, err
		}
	}
}

// errNeedLock means that a scan has UIDs to give or .mu-prop to update,
// which it does only under the exclusive maildir lock.
var errNeedLock = errors.New("scan needs the exclusive lock")

// unchanged returns the last snapshot when new/ and cur/, now in state
// st, provably did not change since it was taken.
func (f *Folder) unchanged(st dirStamp) (storage.Snapshot, bool) {
	if !f.stamp.valid || !st.same(f.stamp) {
		return storage.Snapshot{}, false
	}
	if f.last == nil {
		f.last = f.snapshot().Messages
	}
	// Copying the messages is cheaper than building them again.
	return storage.Snapshot{UIDValidity: f.validity, UIDNext: f.uidNext, Messages: slices.Clone(f.last)}, true
}

// scan is one attempt of Scan. retry reports that files moved under it.
// locked says that the caller holds the exclusive maildir lock; without
// it, scan reads the directories under the shared lock and returns
// errNeedLock when it has to write.
func (f *Folder) scan(final, locked bool) (snap storage.Snapshot, retry bool, err error) {
	start := time.Now()
	stamp, err := f.readStamp()
	if errors.Is(err, fs.ErrNotExist) {
		return snap, false, f.errorf("scan: %w", storage.ErrNoMailbox)
	}
	if err != nil {
		return snap, false, f.errorf("scan: %w", err)
	}
	p, err := readProps(f.path)
	if err != nil {
		return snap, false, f.errorf("%s: %w", propsFile, err)
	}
	cands, retry, err := f.list(final, locked)
	if err != nil || retry {
		return snap, retry, err
	}

	// Keep the UIDs in the names; note the files that need one.
	taken := make(map[uint32]int, len(cands))
	var need, renames []int
	maxUID := uint32(0)
	for i := range cands {
		c := &cands[i]
		u := c.fn.uid()
		if u == 0 {
			need = append(need, i)
			continue
		}
		if j, dup := taken[u]; dup {
			keep, lose := j, i
			if f.prefer(u, c, &cands[j]) {
				keep, lose = i, j
			}
			cands[keep].uid, cands[lose].uid = u, 0
			taken[u] = keep
			need = append(need, lose)
			continue
		}
		taken[u], c.uid, maxUID = i, u, max(maxUID, u)
	}

	// Decide UIDVALIDITY: .mu-prop's, else the one known (the file was
	// removed or is being written anew: the maildir is the same, and
	// the locked write below puts the value back), else the index
	// file's (the same, for a process that knew none), else Dovecot's,
	// else a new one; take Dovecot's UIDs under the same one.
	validity := p.ValidityOr(f.validity)
	var minNext uint32
	if validity == 0 {
		validity, minNext = f.indexCounters()
	}
	var list *uidList
	if len(need) > 0 || validity == 0 {
		if list, err = f.loadUIDList(); err != nil {
			return snap, false, err
		}
	}
	if validity == 0 && list != nil {
		validity = list.validity
	}
	if validity == 0 {
		// A new UIDVALIDITY is taken from the allocator only under the
		// lock, where it is stored at once.
		if !locked {
			f.remember(cands)
			return snap, false, errNeedLock
		}
		validity = f.newValidity()
	}
	if list != nil && list.validity == validity {
		minNext = max(minNext, list.next)
		rest := need[:0]
		for _, i := range need {
			c := &cands[i]
			if u, ok := list.uids[c.fn.base]; ok && c.fn.uid() == 0 {
				if _, dup := taken[u]; !dup {
					taken[u], c.uid, maxUID = i, u, max(maxUID, u)
					renames = append(renames, i)
					continue
				}
			}
			rest = append(rest, i)
		}
		need = rest
	}
	if maxUID < math.MaxUint32 {
		minNext = max(minNext, maxUID+1)
	}

	// Fresh UIDs go to the oldest files first.
	f.learnDates(cands, need)
	slices.SortFunc(need, func(a, b int) int {
		ca, cb := &cands[a], &cands[b]
		return cmp.Or(cmp.Compare(ca.meta.mtime, cb.meta.mtime), cmp.Compare(ca.name, cb.name))
	})
	renames = append(renames, need...)
	if len(renames) > 0 || p.UIDValidity != validity || max(minNext, f.uidNext) > p.UIDNext {
		if !locked {
			f.remember(cands)
			return snap, false, errNeedLock
		}
		first, err := f.allocateLocked(len(need), minNext, validity)
		if err != nil {
			return snap, false, err
		}
		for k, i := range need {
			cands[i].uid = first + uint32(k)
		}
		if retry, err = f.assign(cands, renames, final); err != nil || retry {
			return snap, retry, err
		}
	} else {
		f.validity, f.uidNext = validity, max(f.uidNext, p.UIDNext)
	}
	f.collect(cands)
	defer func() { f.deferIndex = false }()
	stamp.valid = stamp.stableAt(start) && len(renames) == 0
	f.stamp, f.last = stamp, nil
	if stamp.valid && f.deferIndex {
		f.indexPending = true // WriteIndex or Close writes it
	} else if stamp.valid {
		f.saveIndex()
	} else if f.learnt >= metaIndexMin {
		f.saveMetaIndex()
	}
	return f.snapshot(), false, nil
}

// prefer reports whether a, rather than b, keeps the UID u that both
// claim: the file that held it at the last scan does, or else the one with
// the smaller base name.
func (f *Folder) prefer(u uint32, a, b *candidate) bool {
	if old := f.find(u); old != nil {
		base := parseName(old.name).base
		if a.fn.base == base || b.fn.base == base {
			return a.fn.base == base
		}
	}
	return a.fn.base < b.fn.base
}

// assign renames the files at idx to carry their new UIDs, and their CRLF
// size in W= when they lack it, so that later scans need not read them.
// When one is gone it reports retry, unless final, when the file is
// skipped.
func (f *Folder) assign(cands []candidate, idx []int, final bool) (retry bool, err error) {
	for _, i := range idx {
		c := &cands[i]
		fn := c.fn
		if fn.vsize() < 0 {
			fn = fn.withField("W=", c.meta.size)
		}
		name := fn.withUID(c.uid).String()
		dir := f.sub(c.inNew) + string(os.PathSeparator)
		err := f.renameFile(dir+c.name, dir+name)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !final:
			return true, nil
		case errors.Is(err, fs.ErrNotExist):
			c.skip = true
		case err != nil:
			return false, f.errorf("scan: %w", err)
		default:
			c.name, c.fn = name, parseName(name)
		}
	}
	return false, nil
}

// list reads new/ and then cur/ (under the shared lock unless locked), and
// learns each file's date and size.
// A message moved from new/ to cur/ meanwhile is kept once, as in cur/;
// a base name that is in both because the file was copied is kept twice.
func (f *Folder) list(final, locked bool) (cands []candidate, retry bool, err error) {
	unlock := func() {}
	if !locked {
		if unlock, err = fsutil.LockDir(f.path, true); err != nil {
			return nil, false, f.errorf("lock: %w", err)
		}
	}
	// Under the shared lock no writer is in the middle of a batch commit:
	// an intent seen now is one a killed process left, and its messages,
	// in new/ already, must not be announced (the MTA will send them
	// again).
	f.undoBatchesLeftSinceOpen()
	newNames, newOthers, err := readFiles(f.sub(true))
	var curNames, curOthers []string
	if err == nil {
		curNames, curOthers, err = readFiles(f.sub(false))
	}
	unlock()
	if err != nil {
		return nil, false, f.errorf("scan: %w", err)
	}
	f.noteOthers(true, newOthers)
	f.noteOthers(false, curOthers)
	cands = make([]candidate, 0, len(newNames)+len(curNames))
	var inNew map[string]int
	for _, n := range newNames {
		if n != "" && n[0] != '.' {
			fn := parseName(n)
			if inNew == nil {
				inNew = make(map[string]int)
			}
			inNew[fn.base] = len(cands)
			cands = append(cands, candidate{inNew: true, name: n, fn: fn})
		}
	}
	for _, n := range curNames {
		if n != "" && n[0] != '.' {
			c := candidate{name: n, fn: parseName(n)}
			if i, ok := inNew[c.fn.base]; ok {
				// Moved from new/ while we read, or a true copy?
				_, err := os.Lstat(f.sub(true) + string(os.PathSeparator) + cands[i].name)
				if errors.Is(err, fs.ErrNotExist) {
					cands[i] = c
					continue
				}
			}
			cands = append(cands, c)
		}
	}
	var todo []int
	known := f.meta.Load()
	if known == nil {
		known = f.seedMeta()
	}
	for i := range cands {
		c := &cands[i]
		m, ok := known[c.fn.base]
		switch {
		case ok:
			c.meta = m
			if m.mtime == unknownDate {
				if d, ok := f.learned[c.fn.base]; ok {
					c.meta.mtime = d
				}
			}
		case c.fn.vsize() >= 0:
			f.readMeta(c) // the name tells the size; nothing is read
			c.named = true
			if d, ok := f.learned[c.fn.base]; ok {
				c.meta.mtime = d
			}
		default:
			todo = append(todo, i)
		}
	}
	f.readMetas(cands, todo)
	f.learnt = len(todo)
	for _, i := range todo {
		c := &cands[i]
		switch {
		case errors.Is(c.err, fs.ErrNotExist) && !final:
			return nil, true, nil
		case errors.Is(c.err, fs.ErrNotExist):
			c.skip = true
		case c.err != nil:
			return nil, false, f.errorf("scan: %w", c.err)
		}
	}
	return slices.DeleteFunc(cands, func(c candidate) bool { return c.skip }), false, nil
}

// noteOthers notes (and logs once) the entries of new/ (inNew) or cur/
// that are not regular files, which are not messages: a symbolic link is
// never followed, a FIFO never waited on.
func (f *Folder) noteOthers(inNew bool, names []string) {
	for _, n := range names {
		if n != "" && n[0] != '.' {
			f.skipped.Note(f.log, f.path, f.sub(inNew)+string(os.PathSeparator)+n, fsutil.ErrNotRegular)
		}
	}
}

// learnDates learns the dates of cands[i] for each i in idx that a scan
// did not learn (see unknownDate). A file that cannot be statted keeps
// it unknown: what the scan does with the file next finds out why.
func (f *Folder) learnDates(cands []candidate, idx []int) {
	var st *dirStatter
	for _, i := range idx {
		c := &cands[i]
		if c.meta.mtime != unknownDate {
			continue
		}
		if st == nil {
			st = f.openStatter()
			defer st.close()
		}
		if mtime, _, err := st.lstat(c.inNew, c.name); err == nil {
			c.meta.mtime = mtime
		}
	}
}

// remember stores what the scan learnt of the files, so that the next
// attempt, which runs under the exclusive lock, need not learn it again.
func (f *Folder) remember(cands []candidate) {
	m := make(map[string]fileMeta, len(cands))
	for i := range cands {
		m[cands[i].fn.base] = cands[i].meta
	}
	f.meta.Store(m)
}

// collect turns the scan's files into the Folder's state. The shared
// cache keeps what the names do not tell: a file whose name gives its
// size and whose date is not learnt yet is left out of it.
func (f *Folder) collect(cands []candidate) {
	cache := make(map[string]fileMeta)
	keys := make([]uint64, 0, len(cands))
	for i := range cands {
		if c := &cands[i]; !c.skip && c.uid != 0 {
			keys = append(keys, uint64(c.uid)<<32|uint64(i))
		}
	}
	slices.Sort(keys)
	entries := make([]entry, 0, len(keys))
	dec := f.newFlagDecoder()
	for _, k := range keys {
		c := &cands[uint32(k)]
		if !c.named || c.meta.mtime != unknownDate {
			cache[c.fn.base] = c.meta
		}
		entries = append(entries, entry{uid: c.uid, inNew: c.inNew, name: c.name, meta: c.meta,
			flags: dec.flags(c.fn.letters())})
	}
	f.entries, f.lazy, f.learned = entries, nil, nil
	f.meta.Store(cache)
}

// flagDecoder turns info letters into flags for a scan, giving messages
// with the same letters one shared Flags slice.
type flagDecoder struct {
	f        *Folder
	memo     map[string][]string
	reloaded bool
}

func (f *Folder) newFlagDecoder() *flagDecoder {
	return &flagDecoder{f: f, memo: make(map[string][]string)}
}

// flags returns the flags of letters. The first letter that names no
// keyword makes it read dovecot-keywords again, once: another program may
// have added a keyword.
func (d *flagDecoder) flags(letters string) []string {
	if fl, ok := d.memo[letters]; ok {
		return fl
	}
	fl, unmapped := decodeLetters(letters, &d.f.kw)
	if unmapped && !d.reloaded {
		d.reloaded = true
		if kw, err := readKeywords(d.f.path); err == nil {
			d.f.kw, d.f.kwRead = kw, true
			clear(d.memo)
			fl, _ = decodeLetters(letters, &d.f.kw)
		}
	}
	d.memo[letters] = fl
	return fl
}
