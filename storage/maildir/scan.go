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

// stableAge is how old a directory's modification time must be, when Scan
// reads the directory, for a later equal time to prove that nothing in it
// changed: file systems update it with a coarse clock.
const stableAge = 2 * time.Second

// dirStamp holds the modification times of new/ and cur/ at a scan.
type dirStamp struct {
	newMtime, curMtime int64
	valid              bool // the times were old enough to trust
}

// candidate is one message file that a scan found.
type candidate struct {
	inNew bool
	name  string
	fn    fileName
	uid   uint32
	meta  fileMeta
	skip  bool  // not a message after all, or gone
	err   error // from reading the file
}

// Scan reads new/ and cur/ and returns every message in UID order. Files
// without a UID, and all but one of files claiming the same UID, get fresh
// UIDs (oldest first), which are written into their names after .mu-prop
// is raised above them. UIDs that a dovecot-uidlist gives are used first.
// When neither directory changed since the last scan, the last result is
// returned without reading them. Scan shares Flags slices between
// messages: callers must not modify them.
func (f *Folder) Scan() (storage.Snapshot, error) {
	if err := f.lock(); err != nil {
		return storage.Snapshot{}, err
	}
	defer f.mu.Unlock()
	if snap, ok := f.unchanged(); ok {
		return snap, nil
	}
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
		if err != nil || !retry {
			return snap, err
		}
	}
}

// errNeedLock means that a scan has UIDs to give or .mu-prop to update,
// which it does only under the exclusive maildir lock.
var errNeedLock = errors.New("scan needs the exclusive lock")

// unchanged returns the last snapshot when new/ and cur/ provably did not
// change since it was taken.
func (f *Folder) unchanged() (storage.Snapshot, bool) {
	if !f.stamp.valid {
		return storage.Snapshot{}, false
	}
	st, err := f.readStamp()
	if err != nil || st.newMtime != f.stamp.newMtime || st.curMtime != f.stamp.curMtime {
		return storage.Snapshot{}, false
	}
	snap := f.last
	snap.Messages = slices.Clone(f.last.Messages)
	return snap, true
}

func (f *Folder) readStamp() (dirStamp, error) {
	n, err := os.Stat(f.sub(true))
	if err != nil {
		return dirStamp{}, err
	}
	c, err := os.Stat(f.sub(false))
	if err != nil {
		return dirStamp{}, err
	}
	return dirStamp{newMtime: n.ModTime().UnixNano(), curMtime: c.ModTime().UnixNano()}, nil
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

	// Decide UIDVALIDITY; take Dovecot's UIDs under the same one.
	validity := p.UIDValidity
	var list *uidList
	if len(need) > 0 || validity == 0 {
		if list, err = f.loadUIDList(); err != nil {
			return snap, false, err
		}
	}
	if validity == 0 {
		validity = uint32(f.now().Unix())
		if list != nil {
			validity = list.validity
		}
	}
	var minNext uint32
	if list != nil && list.validity == validity {
		minNext = list.next
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
	snap = f.collect(cands)
	snap.UIDValidity, snap.UIDNext = f.validity, f.uidNext

	stamp.valid = start.Sub(time.Unix(0, max(stamp.newMtime, stamp.curMtime))) > stableAge && len(renames) == 0
	f.stamp, f.last = stamp, storage.Snapshot{}
	if stamp.valid {
		f.last = snap
		f.last.Messages = slices.Clone(snap.Messages)
	}
	return snap, false, nil
}

// prefer reports whether a, rather than b, keeps the UID u that both
// claim: the file that held it at the last scan does, or else the one with
// the smaller base name.
func (f *Folder) prefer(u uint32, a, b *candidate) bool {
	if old := f.byUID[u]; old != nil {
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
		err := os.Rename(dir+c.name, dir+name)
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
	newNames, err := readNames(f.sub(true))
	var curNames []string
	if err == nil {
		curNames, err = readNames(f.sub(false))
	}
	unlock()
	if err != nil {
		return nil, false, f.errorf("scan: %w", err)
	}
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
	for i := range cands {
		c := &cands[i]
		if m, ok := known[c.fn.base]; ok {
			c.meta = m
		} else {
			todo = append(todo, i)
		}
	}
	f.readMetas(cands, todo)
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

// remember stores what the scan learnt of the files, so that the next
// attempt, which runs under the exclusive lock, need not learn it again.
func (f *Folder) remember(cands []candidate) {
	m := make(map[string]fileMeta, len(cands))
	for i := range cands {
		m[cands[i].fn.base] = cands[i].meta
	}
	f.meta.Store(m)
}

// collect turns the scan's files into the Folder's state and a snapshot.
func (f *Folder) collect(cands []candidate) storage.Snapshot {
	cache := make(map[string]fileMeta, len(cands))
	keys := make([]uint64, 0, len(cands))
	for i := range cands {
		if c := &cands[i]; !c.skip && c.uid != 0 {
			keys = append(keys, uint64(c.uid)<<32|uint64(i))
		}
	}
	slices.Sort(keys)
	entries := make([]entry, 0, len(keys))
	msgs := make([]storage.Message, 0, len(keys))
	memo := make(map[string][]string)
	reloaded := false
	for _, k := range keys {
		c := &cands[uint32(k)]
		cache[c.fn.base] = c.meta
		letters := c.fn.letters()
		fl, ok := memo[letters]
		if !ok {
			var unmapped bool
			fl, unmapped = decodeLetters(letters, &f.kw)
			if unmapped && !reloaded {
				// Another program may have added a keyword.
				reloaded = true
				if kw, err := readKeywords(f.path); err == nil {
					f.kw = kw
					clear(memo)
					fl, _ = decodeLetters(letters, &f.kw)
				}
			}
			memo[letters] = fl
		}
		entries = append(entries, entry{uid: c.uid, inNew: c.inNew, name: c.name})
		msgs = append(msgs, storage.Message{UID: c.uid, Flags: fl,
			InternalDate: time.Unix(0, c.meta.mtime), Size: c.meta.size, New: c.inNew})
	}
	byUID := make(map[uint32]*entry, len(entries))
	for i := range entries {
		byUID[entries[i].uid] = &entries[i]
	}
	f.byUID = byUID
	f.meta.Store(cache)
	return storage.Snapshot{Messages: msgs}
}
