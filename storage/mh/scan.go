package mh

import (
	"cmp"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// errNeedLock means that a scan has .mu-prop to update or numbers to
// give, which it does only under the exclusive folder lock.
var errNeedLock = errors.New("scan needs the exclusive lock")

// Scan reads the folder and returns every message in UID order. A file
// under a number that the Folder's last scan had passed, without a file
// there or with another file (another inode) there, is renamed to a
// fresh number (see the package comment);
// .mu-prop is raised above the highest number and given what it lacks.
// Scan shares Flags slices between messages: callers must not modify
// them.
func (f *Folder) Scan() (storage.Snapshot, error) {
	if err := f.lock(); err != nil {
		return storage.Snapshot{}, err
	}
	defer f.mu.Unlock()
	snap, err := f.scan(false)
	if errors.Is(err, errNeedLock) {
		err = f.locked(func() (err error) {
			snap, err = f.scan(true)
			return err
		})
	}
	return snap, err
}

// folderState is what a scan reads under the folder lock.
type folderState struct {
	stamp     folderStamp // read first
	stampAt   time.Time
	names     []string
	props     props
	seqRaw    []byte
	seqExists bool
	numbers   numbering // the numbers file, when numbersOK
	numbersOK bool
}

// readState lists the folder and reads .mu-prop and .mh_sequences, under
// the shared folder lock unless the caller holds the exclusive one.
func (f *Folder) readState(locked bool) (st folderState, err error) {
	if !locked {
		unlock, err := fsutil.LockDir(f.path, true)
		if errors.Is(err, fs.ErrNotExist) {
			return st, f.errorf("scan: %w", storage.ErrNoMailbox)
		}
		if err != nil {
			return st, f.errorf("lock: %w", err)
		}
		defer unlock()
	}
	st.stamp, st.stampAt = f.readStamp(), time.Now()
	if st.names, err = readNames(f.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = storage.ErrNoMailbox
		}
		return st, f.errorf("scan: %w", err)
	}
	if !f.cleaned {
		// Under the lock, mailgate's fixed-name temporary files are
		// left over from a crash too, and so are those of whole-file
		// writes older than any such write takes.
		f.cleaned = true
		removed, err := fsutil.RemoveStaleTemps(f.path, st.names, true)
		if len(removed) > 0 {
			f.log.Info("mh: removed files that crashed writers left", "dir", f.path, "files", removed)
		}
		if err != nil {
			f.log.Warn("mh: removing files that crashed writers left", "dir", f.path, "err", err)
		}
	}
	st.numbers, st.numbersOK = readNumbering(f.path)
	if st.props, err = readProps(f.path); err != nil {
		return st, f.errorf("%s: %w", propsFile, err)
	}
	file, err := lockSeqFile(f.path, false, f.perm)
	if err != nil {
		return st, f.errorf("%s: %w", seqFile, err)
	}
	if st.seqExists = file != nil; st.seqExists {
		defer file.Close()
		if st.seqRaw, err = io.ReadAll(io.LimitReader(file, maxSeqFile)); err != nil {
			return st, f.errorf("%s: %w", seqFile, err)
		}
	}
	return st, nil
}

// scan is one pass of Scan. Without locked, it returns errNeedLock when
// it has to write.
func (f *Folder) scan(locked bool) (storage.Snapshot, error) {
	st, err := f.readState(locked)
	if err != nil {
		return storage.Snapshot{}, err
	}
	cands := make([]candidate, 0, len(st.names))
	due := f.tidyDue()
	var backups []string // expunged messages' ",N", when a removal is due
	for _, name := range st.names {
		if n, ok := messageNumber(name); ok {
			cands = append(cands, candidate{num: n, name: name})
		} else if due && isBackup(name) {
			backups = append(backups, name)
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.num, b.num) })
	readMetas(f.path, cands, f.meta.Load(), func(path string, err error) {
		f.skipped.Note(f.log, f.path, path, err)
	})
	for i := range cands {
		if c := &cands[i]; c.err != nil {
			return storage.Snapshot{}, f.errorf("scan: %w", c.err)
		}
	}
	cands = slices.DeleteFunc(cands, func(c candidate) bool { return c.skip })

	// Numbers that MH programs reused, or gave to other files (a
	// renumbering: sortm, folder -pack), get fresh ones: those that
	// this Folder's last scan saw otherwise, and those that the numbers
	// file, as the processes before it left it, says (see numbersFile).
	if !f.scanned {
		f.dir, _ = dirIDOf(f.path)
	}
	known := st.numberingFor(st.props.ValidityOr(f.validity), f.dir)
	checked, below := f.scanned, f.uidNext
	if known != nil {
		checked, below = true, max(below, known.uidNext)
	}
	var reused []int
	top, fileTop := uint32(0), uint32(0)
	for i := range cands {
		c := &cands[i]
		fileTop = max(fileTop, c.num)
		if k, ok := f.stuck[c.num]; ok {
			// Stuck at the last scan: still so while the file is the
			// same; another file there is compared with nothing this
			// Folder trusts, and is reused too.
			if c.stuck = k.sameFile(c.meta.fileID) && k.gen == c.meta.gen; !c.stuck {
				reused = append(reused, i)
			}
			continue
		}
		if checked && c.num < below && !f.sameMessage(c, known) {
			reused = append(reused, i)
			continue
		}
		top = max(top, c.num)
	}
	// A first scan that nothing tells what the numbers stood for takes
	// the files as it finds them, and the values the core cached of them
	// by UID cannot be trusted.
	untold := !f.scanned && known == nil
	p := st.props
	old := p
	if p.UIDValidity = p.ValidityOr(f.validity); p.UIDValidity == 0 {
		// A new UIDVALIDITY is taken from the allocator only under the
		// lock, where it is stored at once.
		if !locked {
			f.remember(cands)
			return storage.Snapshot{}, errNeedLock
		}
		p.UIDValidity = f.newValidity()
	}
	// UIDNEXT never goes back: not below what this Folder handed out,
	// nor below the numbers file's, when .mu-prop comes back lower (a
	// restore from a backup, another program that keeps .mu-prop).
	p.UIDNext = max(p.UIDNext, top+1, below, 1)
	ss := parseSequences(st.seqRaw)
	f.bare = !st.seqExists
	if p.RecentFrom == 0 {
		p.RecentFrom = cmp.Or(f.recentFrom, f.firstNew(cands, ss), p.UIDNext)
	}
	orphans := !f.keepOrphans && ss.above(fileTop)
	if orphans && !locked {
		f.remember(cands)
		return storage.Snapshot{}, errNeedLock
	}
	if orphans {
		ss = f.dropOrphans(ss)
	}
	// The numbers file must list what this scan binds before anything
	// is cached of it.
	stale := f.dir != (dirID{}) && !f.numbersFailed &&
		(len(reused) > 0 || known == nil || !known.holds(p.UIDValidity, p.UIDNext, f.dir, cands))
	staleCache := untold && f.hasCacheFile()
	propsChanged := p.UIDValidity != old.UIDValidity || p.UIDNext != old.UIDNext || p.RecentFrom != old.RecentFrom
	if len(reused) > 0 || propsChanged || stale || staleCache {
		if !locked {
			f.remember(cands)
			return storage.Snapshot{}, errNeedLock
		}
		if staleCache {
			f.dropCacheFile()
		}
		var err error
		if len(reused) > 0 || propsChanged {
			err = writeAtomic(f.path, propsFile, p.Encode(), f.perm)
			if err != nil && !readOnlyErr(err) {
				return storage.Snapshot{}, f.errorf("%s: %w", propsFile, err)
			}
		}
		// A folder that this user may only read is still read, with the
		// counters kept in memory, and the reused numbers' files stuck
		// (see viewValidity).
		if len(reused) > 0 && err != nil {
			f.markStuck(cands, reused)
		} else if len(reused) > 0 {
			if ss, err = f.renumber(cands, reused, &p); err != nil {
				return storage.Snapshot{}, err
			}
		}
	}
	if len(reused) > 0 {
		slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(a.num, b.num) })
	}
	f.validity, f.uidNext, f.recentFrom = p.UIDValidity, p.UIDNext, p.RecentFrom
	// What this scan wrote itself changed the stamp: Unchanged is then
	// false, and the core reads the folder once more.
	f.stamp, f.stampValid = st.stamp, st.stamp.stableAt(st.stampAt)
	if locked && stale {
		if known != nil && known.torn {
			f.log.Info("mh: "+numbersFile+" ended in records cut short (a crash of the system); the whole ones before them are kept", "dir", f.path)
		}
		n := numberingOf(p.UIDValidity, p.UIDNext, f.dir, cands)
		f.writeNumbering(&n)
	}
	f.startTidy(backups)
	snap := f.collect(cands, ss)
	snap.UIDValidity, snap.UIDNext = f.viewValidity(cands), f.uidNext
	snap.Untold = untold && len(snap.Messages) > 0
	if snap.UIDValidity != f.validity && len(cands) > 0 {
		snap.UIDNext = max(snap.UIDNext, cands[len(cands)-1].num+1)
	}
	return snap, nil
}

// sameMessage reports whether c's file is the message the Folder knows
// under its number: the same file, though perhaps changed in
// place (nmh's anno adds header fields, keeping the inode), not another
// one renamed or written under the number. A file written after the message's was
// removed (rmm -unlink, rm, then inc) may get its inode number at once
// (ext4, xfs do): the inode's generation, which such a file system gives
// anew, tells them apart. It costs nothing when nothing changed: the
// scan reads the generation only of a file it reads anyway, one whose
// size or time is not what it was (a file with both unchanged counts as
// unchanged). Where the file system keeps no generation (tmpfs, which
// does not hand inode numbers out again at once), the inode decides. A
// number this Folder has not seen is looked up in numbers, the numbers
// file (nil when there is none that holds): another process bound it.
func (f *Folder) sameMessage(c *candidate, numbers *numbering) bool {
	k, ok := f.known[c.num]
	if !ok && numbers != nil {
		// A number another process bound. The numbers file keeps no
		// device: the folder's files are all on the folder's.
		var e numberEntry
		if e, ok = numbers.find(c.num); ok {
			k = known{fileID: fileID{dev: c.meta.dev, ino: e.ino}, gen: e.gen}
		}
	}
	return ok && k.sameFile(c.meta.fileID) &&
		(k.gen == c.meta.gen || k.gen == 0 || c.meta.gen == 0)
}

// readOnlyErr reports whether err says that the folder cannot be
// written.
func readOnlyErr(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// firstNew returns the number of the first message that is unseen and
// not marked O by imap4d, or 0.
func (f *Folder) firstNew(cands []candidate, ss sequences) uint32 {
	for i := range cands {
		c := &cands[i]
		fl, old := f.fm.flagsOf(ss, c.num, c.meta.hdr, f.bare)
		if !old && !slices.Contains(fl, storage.FlagSeen) {
			return c.num
		}
	}
	return 0
}

// remember stores what the scan read of the files, so that the next pass,
// under the exclusive lock, need not read them again.
func (f *Folder) remember(cands []candidate) {
	m := make(map[string]fileMeta, len(cands))
	for i := range cands {
		m[cands[i].name] = cands[i].meta
	}
	f.meta.Store(m)
}

// renumber links each reused file to a fresh number at or above
// p.UIDNext, with its sequence memberships copied to that number first
// (see linkNext), removes its old name, and then takes the old number out
// of every sequence. The caller holds the exclusive lock. A file that is
// gone meanwhile is dropped. A file that this user may not link or
// remove (a folder shared with the sticky bit, or a file of another
// user's under protected_hardlinks) keeps its number, and is stuck (see
// viewValidity).
func (f *Folder) renumber(cands []candidate, reused []int, p *props) (sequences, error) {
	var gone []uint32
	var stuck []int
	for _, i := range reused {
		c := &cands[i]
		src := f.file(c.num)
		from := c.num
		if !f.mayMove(src) {
			stuck = append(stuck, i)
			continue
		}
		n, _, err := f.linkNext(src, p, nil, func(n uint32, ss sequences) (sequences, error) {
			for i := range ss {
				if ss[i].set.contains(from) {
					ss[i].set = ss[i].set.add(n, n)
				}
			}
			return ss, nil
		})
		if errors.Is(err, fs.ErrNotExist) {
			c.skip = true
			continue
		}
		if err != nil && readOnlyErr(err) {
			stuck = append(stuck, i)
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := os.Remove(src); readOnlyErr(err) {
			// The new name is this process's own: it goes again, and
			// the next scan drops its memberships (dropOrphans).
			if err := os.Remove(f.file(n)); err != nil {
				return nil, f.errorf("renumber %d: %w", from, err)
			}
			stuck = append(stuck, i)
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, f.errorf("renumber %d: %w", from, err)
		}
		gone = append(gone, from)
		c.num, c.name = n, strconv.FormatUint(uint64(n), 10)
	}
	if err := fsutil.SyncDir(f.path); err != nil {
		return nil, f.errorf("renumber: %w", err)
	}
	ss, err := f.updateSequences(func(ss sequences) (sequences, error) {
		for i := range ss {
			for _, from := range gone {
				ss[i].set = ss[i].set.remove(from)
			}
		}
		return ss, nil
	})
	if err != nil {
		return nil, err
	}
	f.markStuck(cands, stuck)
	f.uidNext = p.UIDNext
	return ss, nil
}

// mayMove reports whether this user may give the file at src another
// number: link it (tried under a temporary name, removed again), or,
// where a link is refused, rename it (see linkExcl), which a sticky
// folder forbids for another user's file. Asked before a number is
// claimed, so that a process that may do neither raises no UIDNEXT.
func (f *Folder) mayMove(src string) bool {
	tmp := fsutil.TempName(f.path, "probe")
	err := os.Link(src, tmp)
	if err == nil {
		os.Remove(tmp)
	}
	return !readOnlyErr(err) || !fsutil.StickyKeeps(f.path, src)
}

// markStuck marks the reused files at idx stuck: another program put
// them under numbers that named other messages (sortm, folder -pack),
// and this user may neither rename them nor write the folder. No UID
// can be made theirs for good, and none may be given in memory only in
// the folder's UID space, where the owner's processes give the same
// UIDs to other messages. The folder is shown under a UIDVALIDITY of the
// view instead (see viewValidity), with every UID its number; what the
// scan saw of them stays in f.stuck, so that later scans of this Folder
// show them the same way without asking for the exclusive lock.
func (f *Folder) markStuck(cands []candidate, idx []int) {
	if len(idx) == 0 {
		return
	}
	for _, i := range idx {
		cands[i].stuck = true
	}
	f.log.Info("mh: another program renumbered files that this user may not rename; the folder is shown under a UIDVALIDITY of its own until its owner's mailgate (or a user allowed to write the folder) opens it",
		"dir", f.path, "files", len(idx))
}

// viewValidityRange bounds how far above the folder's UIDVALIDITY a
// derived one (see viewValidity) goes: 2^24 seconds is about 194 days
// of the clock that new folders' values follow, so that a derived value
// stays near the folder's, while two different sets of stuck files get
// the same value once in 2^24 pairs.
const viewValidityRange = 1 << 24

// viewValidity returns the UIDVALIDITY under which cands (after a scan,
// UIDs ascending) are shown: the folder's, or, when some of them are
// stuck (see markStuck), one derived from it and from the stuck files'
// numbers and identities (inode number and generation). Each UID is
// then its file's number. Every process that finds the same files stuck
// derives the same value, and one that finds other files stuck, or
// none, another one: a UID never names two messages under one
// UIDVALIDITY, though a client resynchronises at each change. The
// numbers no file is stuck at name the messages the folder's UIDs name
// (the scan compared them with the numbers file, or with this Folder's
// last scan), or new ones.
//
// A derived value is greater than the folder's, as RFC 3501 section
// 2.3.1.1 wants when UIDs fail to persist: the folder's plus 1 plus a
// hash of the stuck files modulo viewValidityRange, or modulo what is
// left below 2^32 when that is less, so that it never overflows nor is
// 0. Only a folder whose UIDVALIDITY is 2^32-1 has no greater value:
// its view is then shown under a value from 1 to viewValidityRange,
// different but lower, which a client comparing with != (as most do)
// still takes as a change. Two different sets of stuck files get values
// that are not ordered among themselves, and may rarely be equal.
//
// When the folder's owner has renumbered the stuck files, the folder's
// own UIDVALIDITY is back, below the derived one: its UIDs then name the
// same messages they named under it before the view (the owner's
// renumbering gave the moved files new UIDs), so a client that kept
// what it knew under it loses nothing.
func (f *Folder) viewValidity(cands []candidate) uint32 {
	h := crc32.NewIEEE()
	var b [4 + 8 + 4]byte
	n := 0
	for i := range cands {
		if c := &cands[i]; c.stuck && !c.skip {
			binary.BigEndian.PutUint32(b[:], c.num)
			binary.BigEndian.PutUint64(b[4:], c.meta.ino)
			binary.BigEndian.PutUint32(b[12:], c.meta.gen)
			h.Write(b[:])
			n++
		}
	}
	if n == 0 {
		return f.validity
	}
	binary.BigEndian.PutUint32(b[:], f.validity)
	h.Write(b[:4])
	return derivedValidity(f.validity, h.Sum32())
}

// derivedValidity returns the UIDVALIDITY above folder that hash picks
// (see viewValidity): in folder+1 .. folder+viewValidityRange, or up to
// 2^32-1 when that is closer; from 1 to viewValidityRange, not folder,
// when folder is 2^32-1.
func derivedValidity(folder, hash uint32) uint32 {
	room := uint64(math.MaxUint32) - uint64(folder)
	if room == 0 {
		return 1 + hash%viewValidityRange
	}
	return uint32(uint64(folder) + 1 + uint64(hash)%min(room, viewValidityRange))
}

// dropOrphans takes out of every sequence but cur the numbers above the
// highest message file, which a crash between writing .mh_sequences and
// linking a message (see linkAs) leaves, so that a message that another
// program later files under such a number does not get their flags. nmh
// drops them too when it next writes the file. The directory is read
// again under nmh's lock, so that a message nmh has just added stays.
// It returns the sequences as they are now; when .mh_sequences cannot be
// written, it logs why, keeps ss and does not try again. The caller holds
// the exclusive lock.
func (f *Folder) dropOrphans(ss sequences) sequences {
	now, err := f.updateSequences(func(ss sequences) (sequences, error) {
		names, err := readNames(f.path)
		if err != nil {
			return nil, err
		}
		top := uint32(0)
		for _, name := range names {
			if n, ok := messageNumber(name); ok {
				top = max(top, n)
			}
		}
		for i := range ss {
			if ss[i].name != curSequence {
				ss[i].set = ss[i].set.upTo(top)
			}
		}
		return ss, nil
	})
	if err != nil {
		f.log.Warn("mh: numbers without a message file stay in "+seqFile, "dir", f.path, "err", err)
		f.keepOrphans = true
		return ss
	}
	return now
}

// collect turns the scan's files into the Folder's state and a snapshot.
func (f *Folder) collect(cands []candidate, ss sequences) storage.Snapshot {
	cache := make(map[string]fileMeta, len(cands))
	knownNow := make(map[uint32]known, len(cands))
	var stuck map[uint32]known
	msgs := make([]storage.Message, 0, len(cands))
	memo := make(map[string][]string)
	withStatus := 0
	for i := range cands {
		c := &cands[i]
		if c.skip {
			continue
		}
		cache[c.name] = c.meta
		knownNow[c.num] = known{fileID: c.meta.fileID, gen: c.meta.gen, hdr: c.meta.hdr}
		if c.stuck {
			if stuck == nil {
				stuck = make(map[uint32]known)
			}
			stuck[c.num] = knownNow[c.num]
		}
		if c.meta.hdr.hasStatus {
			withStatus++
		}
		fl, old := f.fm.flagsOf(ss, c.num, c.meta.hdr, f.bare)
		key := strings.Join(fl, " ")
		if shared, ok := memo[key]; ok {
			fl = shared
		} else {
			memo[key] = fl
		}
		msgs = append(msgs, storage.Message{UID: c.num, Flags: fl,
			InternalDate: time.Unix(0, c.meta.mtime), Size: c.meta.size,
			New: c.num >= f.recentFrom && !old})
	}
	f.meta.Store(cache)
	f.known, f.stuck, f.withStatus, f.scanned = knownNow, stuck, withStatus, true
	return storage.Snapshot{Messages: msgs}
}
