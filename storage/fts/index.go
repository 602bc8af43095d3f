package fts

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// mergeDocs is how many messages the log holds, in memory, before they
// are merged into the segment: it bounds the memory of the tail (about
// 2.7 KB a message) and the time to read the log at open. A variable for
// the tests.
var mergeDocs = 4096

// Index is the full-text index of one mailbox: a segment file, and a log
// of what was added since, kept in memory.
type Index struct {
	path string
	own  bool // only files of the process's effective user are read

	mu       sync.RWMutex
	f        *os.File // the log
	ino      uint64   // its inode: another process may replace it
	validity uint32
	gen      uint64 // the log's generation
	off      int64  // the log's good bytes that are in memory
	epoch    uint64 // changes when ordinals are given out again
	seg      *segment
	ords     map[uint32]int32 // UID to ordinal
	uids     []uint32         // ordinal to UID; 0 once removed
	tail     *tail            // the messages in the log
	always   []int32          // ordinals of TooLarge messages
	tailDocs int
	removed  int
	pending  []byte // records added but not yet written
	listBuf  []byte
	damaged  bool // a segment list or directory failed its check, or the log changed: start again

	// From an open until a search, an Add or a merge needs the tail,
	// the messages read from the log are not inverted into it (most
	// opens only ask which messages are known): lazy says where their
	// records are, and loadTailLocked reads them again.
	deferring    bool
	lazy         []lazyDoc
	lazyPostings int64
}

// lazyDoc is a message of the log whose keys are not in the tail yet:
// its record is at the log's offset at.
type lazyDoc struct {
	at  int64
	uid uint32
	ord uint32
	crc uint32 // the record's checksum: a log rewritten in place with another record there is told apart
}

// errLogChanged means the log no longer holds, where it did, a record
// that was read before.
var errLogChanged = errors.New("fts: log changed since it was read")

// Open opens (creating it, and its directory, when missing) the index
// file at path for a mailbox whose UIDVALIDITY is uidValidity. A file
// of another UIDVALIDITY or format, or a damaged one, is started again.
func Open(path string, uidValidity uint32) (*Index, error) {
	return open(path, uidValidity, false)
}

// OpenOwn opens the index at path as Open does, for a process that keeps
// it among its user's own files (where others may be able to write): a
// file that does not belong to the process's effective user is not
// read, but replaced (the log) or written anew (the segment), so that
// another user cannot make this one's searches miss messages.
func OpenOwn(path string, uidValidity uint32) (*Index, error) {
	return open(path, uidValidity, true)
}

func open(path string, uidValidity uint32, own bool) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("fts %s: %w", path, err)
	}
	x := &Index{path: path, validity: uidValidity, own: own}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.reopenLocked(); err != nil {
		return nil, err
	}
	return x, nil
}

// Close closes the index files; what was added and not flushed is lost.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seg != nil {
		x.seg.f.Close()
		x.seg = nil
	}
	if x.f == nil {
		return nil
	}
	err := x.f.Close()
	x.f = nil
	return err
}

// clearLocked forgets everything in memory.
func (x *Index) clearLocked() {
	x.off = 0
	x.epoch++
	if x.seg != nil {
		x.seg.f.Close()
		x.seg = nil
	}
	x.ords = make(map[uint32]int32)
	x.uids = nil
	x.tail = newTail()
	x.always = nil
	x.tailDocs, x.removed = 0, 0
	x.pending = x.pending[:0]
	x.damaged = false
	x.deferring, x.lazy, x.lazyPostings = true, nil, 0
}

// reopenLocked opens the log at x.path and its segment and reads them,
// starting again when they are not a good index of x.validity.
func (x *Index) reopenLocked() error {
	if x.f != nil {
		x.f.Close()
		x.f = nil
	}
	x.clearLocked()
	// Never through a symbolic link: where others may write beside the
	// mailbox, one could name a file of this user's to be overwritten.
	f, err := os.OpenFile(x.path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) && os.Remove(x.path) == nil {
		f, err = os.OpenFile(x.path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	}
	if errors.Is(err, os.ErrNotExist) {
		// Created whole, by a rename: an empty file at x.path, seen
		// by another process before its header was written, would
		// be taken for damaged and started again under this one.
		return x.resetLocked(x.validity)
	}
	if err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	x.f, x.ino = f, inode(f)
	head := make([]byte, headerSize)
	if x.own && !ownFile(f) {
		return x.resetLocked(x.validity)
	}
	if _, err := io.ReadFull(f, head); err == nil {
		if v, gen, err := decodeHeader(head); err == nil && v == x.validity {
			x.gen, x.off = gen, int64(headerSize)
			if seg, err := openSegment(x.path+".seg", v, gen); err == nil && x.own && !ownFile(seg.f) {
				seg.f.Close()
			} else if err == nil {
				x.seg = seg
				x.uids, x.always = seg.uids, seg.always
				seg.uids, seg.always = nil, nil
				x.ords = make(map[uint32]int32, len(x.uids))
				for o, u := range x.uids {
					if u == 0 {
						x.removed++
					} else {
						x.ords[u] = int32(o)
					}
				}
			}
			return x.catchUpLocked()
		}
	}
	return x.resetLocked(x.validity)
}

// Reset drops the index and starts it again for UIDVALIDITY validity.
func (x *Index) Reset(validity uint32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.resetLocked(validity)
}

func newGen() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// replaceLog writes a new, empty log of generation gen in place of the
// old one (so that other processes see it replaced) and opens it.
func (x *Index) replaceLog(validity uint32, gen uint64) (*os.File, error) {
	t, err := x.createTemp("")
	if err != nil {
		return nil, err
	}
	tmp := t.Name()
	_, err = t.Write(encodeHeader(validity, gen))
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, x.path)
	}
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("fts %s: %w", x.path, err)
	}
	f, err := os.OpenFile(x.path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("fts %s: %w", x.path, err)
	}
	return f, nil
}

// Remove removes the index at path (its log, then its segment, which
// no new log pairs with), so that the next Open starts it again; an
// index that is not there is no error.
func Remove(path string) error {
	for _, p := range []string{path, path + ".seg"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// resetLocked starts the index again, empty, and forgets what was in
// memory.
func (x *Index) resetLocked(validity uint32) error {
	gen := newGen()
	f, err := x.replaceLog(validity, gen)
	if err != nil {
		return err
	}
	os.Remove(x.path + ".seg")
	if x.f != nil {
		x.f.Close()
	}
	x.clearLocked()
	x.f, x.ino, x.validity, x.gen, x.off = f, inode(f), validity, gen, int64(headerSize)
	return nil
}

// catchUpLocked reads what other processes appended since x.off; a file
// replaced by another process is read again from its start.
func (x *Index) catchUpLocked() error {
	if x.damaged {
		return x.resetLocked(x.validity)
	}
	if st, err := os.Stat(x.path); err != nil || inodeOf(st) != x.ino {
		return x.reopenLocked()
	}
	st, err := x.f.Stat()
	if err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	if st.Size() < x.off {
		// Cut back by another writer after damage: start over.
		return x.reopenLocked()
	}
	if st.Size() == x.off {
		return nil
	}
	base := x.off
	good := readRecords(io.NewSectionReader(x.f, base, st.Size()-base), func(r *record) {
		x.applyLocked(r, base+r.off)
	})
	x.off += good
	return nil
}

// applyLocked takes one record into memory: one read from the log at
// the offset at, or one not written yet (at < 0). UIDs are never used
// twice within one UIDVALIDITY, so the first record of a UID wins.
func (x *Index) applyLocked(r *record, at int64) {
	ord, known := x.ords[r.uid]
	if r.kind == recRemoved {
		if known && x.uids[ord] != 0 {
			x.uids[ord] = 0
			delete(x.ords, r.uid)
			x.removed++
		}
		return
	}
	if known || r.uid == 0 || len(x.uids) >= maxSegDocs {
		return
	}
	ord = int32(len(x.uids))
	x.uids = append(x.uids, r.uid)
	x.ords[r.uid] = ord
	x.tailDocs++
	if r.kind == recTooLarge {
		x.always = append(x.always, ord)
		return
	}
	if x.deferring {
		if at >= 0 {
			x.lazy = append(x.lazy, lazyDoc{at: at, uid: r.uid, ord: uint32(ord), crc: r.crc})
			x.lazyPostings += int64(len(r.keys))
			return
		}
		// The tail's ordinals ascend: those of the log first. A log
		// that changed under us leaves the index damaged, started
		// again at the next catch-up; this message is then indexed
		// again.
		x.loadTailLocked()
	}
	x.tail.add(uint32(ord), r.keys)
}

// loadTailLocked inverts into the tail the log's messages that were
// left in the file (x.lazy), reading their records again, from the file
// read then: one replaced since is another file, and was read anew.
// When the records are no longer there as they were, it marks the
// index damaged and returns errLogChanged.
func (x *Index) loadTailLocked() error {
	if !x.deferring {
		return nil
	}
	lazy, postings := x.lazy, x.lazyPostings
	x.deferring, x.lazy, x.lazyPostings = false, nil, 0
	if len(lazy) == 0 {
		return nil
	}
	// Their keys come in batches of invertKeys (and the last message's):
	// the batch's room is made once.
	x.tail.keys = slices.Grow(x.tail.keys, int(min(postings, int64(invertKeys)+maxKeys/64)))
	start, i := lazy[0].at, 0
	readRecords(io.NewSectionReader(x.f, start, x.off-start), func(r *record) {
		if i < len(lazy) && start+r.off == lazy[i].at && r.uid == lazy[i].uid && r.kind == recDoc && r.crc == lazy[i].crc {
			x.tail.add(lazy[i].ord, r.keys)
			i++
		}
	})
	if i < len(lazy) {
		x.damaged = true
		return errLogChanged
	}
	return nil
}

// loadLocked reads what a search or a merge needs and an open left
// aside: the segment's directory and the log's messages' keys. A
// damaged segment or a changed log marks the index damaged.
func (x *Index) loadLocked() error {
	if x.seg != nil {
		if err := x.seg.loadDir(); err != nil {
			x.damaged = true
			return err
		}
	}
	return x.loadTailLocked()
}

// Known reports whether the index holds uid.
func (x *Index) Known(uid uint32) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.ords[uid]
	return ok
}

// Len returns how many messages the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ords)
}

// UIDs returns the UIDs the index holds, ascending.
func (x *Index) UIDs() []uint32 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]uint32, 0, len(x.ords))
	for _, u := range x.uids {
		if u != 0 {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// UIDValidity returns the UIDVALIDITY the index is for.
func (x *Index) UIDValidity() uint32 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.validity
}

// keyScratch holds the keys of a message being added.
var keyScratch = sync.Pool{New: func() any { return new([]uint32) }}

// Add adds a message; it reaches the file at the next Flush. The
// message's trigrams are collected before the index is locked, so
// several goroutines adding messages share the work.
func (x *Index) Add(uid uint32, d *Doc) {
	if uid == 0 {
		return
	}
	r := record{kind: recTooLarge, uid: uid}
	if !d.TooLarge {
		sc := keyScratch.Get().(*[]uint32)
		defer keyScratch.Put(sc)
		*sc = docKeys(d, *sc)
		r.kind, r.keys = recDoc, *sc
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.ords[uid]; ok {
		return
	}
	x.pending = appendRecord(x.pending, r.kind, uid, r.keys)
	x.applyLocked(&r, -1)
}

// Remove forgets expunged messages; it reaches the file at the next
// Flush.
func (x *Index) Remove(uids ...uint32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, uid := range uids {
		if _, ok := x.ords[uid]; !ok {
			continue
		}
		r := record{kind: recRemoved, uid: uid}
		x.pending = appendRecord(x.pending, recRemoved, uid, nil)
		x.applyLocked(&r, -1)
	}
}

// Pending returns how many bytes wait for Flush.
func (x *Index) Pending() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.pending)
}

// Flush appends what was added to the log, under an exclusive lock,
// after what other processes appended meanwhile, cutting off a tail a
// killed writer left damaged; with mergeDocs messages in the log, it
// merges them into the segment. When another process replaced the file
// meanwhile (its merge, or its start again) or cut it back, what was
// added is taken into what the file holds now and written there: no one
// adds those messages again. What a failed Flush did not write stays
// for the next.
func (x *Index) Flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	// A file replaced at every try (two processes of other UIDVALIDITY
	// starting it again in turn) is left to the next Flush.
	for range 3 {
		if len(x.pending) == 0 || x.f == nil {
			return nil
		}
		written, err := x.flushLocked()
		if err != nil || written {
			return err
		}
	}
	return nil
}

// flushLocked writes x.pending under the log's lock, as Flush says;
// false when the file was replaced or cut back first, after taking the
// pending records into what was read of it then.
func (x *Index) flushLocked() (bool, error) {
	unlock, err := lockFile(x.f)
	if err != nil {
		return false, fmt.Errorf("fts %s: lock: %w", x.path, err)
	}
	// Through x.f as it was: when catching up replaces x.f, closing
	// it released the lock.
	defer unlock()
	// Out of x while the file is read: starting again clears x.
	pending := x.pending
	x.pending = nil
	epoch := x.epoch
	err = x.catchUpLocked()
	if x.epoch != epoch {
		// What was in memory was read again from another file, or
		// the same file cut back: the records still pending are
		// added to it again, and written under the new file's lock.
		x.pending = x.reapplyLocked(pending)
		return false, err
	}
	if err != nil {
		x.pending = pending
		return false, err
	}
	// Records read now of UIDs this process added too are skipped;
	// appending ours again costs only bytes.
	if err := x.f.Truncate(x.off); err != nil {
		x.pending = pending
		return false, fmt.Errorf("fts %s: %w", x.path, err)
	}
	if _, err := x.f.WriteAt(pending, x.off); err != nil {
		x.pending = pending
		return false, fmt.Errorf("fts %s: %w", x.path, err)
	}
	x.off += int64(len(pending))
	x.pending = pending[:0]
	if x.tailDocs >= mergeDocs {
		return true, x.mergeLocked()
	}
	return true, nil
}

// reapplyLocked takes the records of pending, not written yet, into
// what is in memory after it was read again, and returns those that
// still add or remove something there, to be written.
func (x *Index) reapplyLocked(pending []byte) []byte {
	var out []byte
	readRecords(bytes.NewReader(pending), func(r *record) {
		_, known := x.ords[r.uid]
		if known == (r.kind == recRemoved) {
			out = appendRecord(out, r.kind, r.uid, r.keys)
			x.applyLocked(r, -1)
		}
	})
	return out
}

// Merge merges the log into the segment now (Flush does when the log is
// long). The caller holds no lock of the file.
func (x *Index) Merge() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.f == nil || x.tailDocs == 0 || len(x.pending) > 0 {
		return nil
	}
	unlock, err := lockFile(x.f)
	if err != nil {
		return fmt.Errorf("fts %s: lock: %w", x.path, err)
	}
	defer unlock()
	if err := x.catchUpLocked(); err != nil {
		return err
	}
	return x.mergeLocked()
}

// createTemp creates, 0600, a new file beside the index to be renamed
// over the index's file of that suffix: a name of its own, never an
// existing file or a link that another user planted there, named as
// mailgate's temporary files are, so that what a killed process left is
// removed where the mailbox's own are (maildir's first scan).
func (x *Index) createTemp(suffix string) (*os.File, error) {
	f, err := fsutil.CreateTemp(filepath.Dir(x.path), "fts"+strings.TrimPrefix(suffix, "."), 0o600)
	if err != nil {
		return nil, fmt.Errorf("fts %s: %w", x.path, err)
	}
	return f, nil
}

// mergeLocked writes a new segment of everything in memory, then a new
// empty log of the segment's generation; the log's lock is held. Killed
// between the two, the old log does not match the new segment, which is
// then not used: the log alone is read, and nothing is lost.
func (x *Index) mergeLocked() error {
	gen := newGen()
	f, err := x.createTemp(".seg")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := x.loadLocked(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("fts %s: merge: %w", x.path, err)
	}
	x.tail.invert()
	err = writeSegment(f, x.validity, gen, x.seg, x.uids, x.always, x.tail)
	if err == nil {
		err = os.Rename(tmp, x.path+".seg")
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		if err == errBadSegment {
			x.damaged = true
		}
		return fmt.Errorf("fts %s: segment: %w", x.path, err)
	}
	seg, err := readSegment(f, x.validity, gen)
	if err != nil {
		f.Close()
		return fmt.Errorf("fts %s: segment: %w", x.path, err)
	}
	seg.f = f
	seg.uids, seg.always = nil, nil // x's are the same
	log, err := x.replaceLog(x.validity, gen)
	if err != nil {
		seg.f.Close()
		return err
	}
	if x.seg != nil {
		x.seg.f.Close()
	}
	x.f.Close()
	x.seg, x.f, x.ino, x.gen, x.off = seg, log, inode(log), gen, int64(headerSize)
	x.tail = newTail()
	x.tailDocs = 0
	return nil
}

// Stats describes the index's size.
type Stats struct {
	Messages     int   // messages known
	Removed      int   // expunged messages, masked
	TailMessages int   // messages in the log, not yet in the segment
	TailPostings int64 // (trigram, message) pairs of those, in memory
	Trigrams     int   // distinct trigrams in the segment
	FileSize     int64 // bytes of the log and the segment
}

// Stats returns the index's size.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	st := Stats{Messages: len(x.ords), Removed: x.removed, TailMessages: x.tailDocs,
		TailPostings: x.tail.postings + x.lazyPostings, FileSize: x.off + int64(len(x.pending))}
	if x.seg != nil {
		st.Trigrams = x.seg.nTri
		if fi, err := x.seg.f.Stat(); err == nil {
			st.FileSize += fi.Size()
		}
	}
	return st
}

// Filter is the answer of the index for one string: which of the
// messages it knows may contain it.
type Filter struct {
	x     *Index
	epoch uint64
	n     int      // messages the index knew when asked: later ones are candidates
	hits  []uint64 // by ordinal
}

// Filter returns which messages may contain needle (ignoring case as
// SEARCH does) in the zones z, or nil when the index cannot narrow the
// search (a string shorter than three bytes lower-cased, a damaged
// segment). It first reads what other processes added.
func (x *Index) Filter(needle string, z Zone) *Filter {
	grams := needleTrigrams(needle)
	if len(grams) == 0 || z&Text == 0 {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.catchUpLocked(); err != nil {
		return nil
	}
	if err := x.loadLocked(); err != nil {
		return nil // started again at the next catch-up
	}
	type list struct {
		tri   uint32
		seg   segEntry
		inSeg bool
		size  int
	}
	lists := make([]list, len(grams))
	for i, g := range grams {
		l := list{tri: g}
		if x.seg != nil {
			l.seg, l.inSeg = x.seg.find(g)
		}
		l.size = x.tail.size(g) + int(l.seg.n)
		lists[i] = l
	}
	slices.SortFunc(lists, func(a, b list) int { return a.size - b.size })
	words := (len(x.uids) + 63) / 64
	hits := make([]uint64, words)
	next := make([]uint64, words)
	for i, l := range lists {
		mark := func(o uint32, zz Zone) {
			if zz&z != 0 && (i == 0 || hits[o/64]&(1<<(o%64)) != 0) {
				next[o/64] |= 1 << (o % 64)
			}
		}
		if l.inSeg {
			var ok bool
			if x.listBuf, ok = x.seg.list(l.seg, x.listBuf, mark); !ok {
				x.damaged = true // started again at the next catch-up
				return nil
			}
		}
		x.tail.each(l.tri, uint32(len(x.uids)), mark)
		hits, next = next, hits
		clear(next)
	}
	for _, o := range x.always {
		hits[o/64] |= 1 << (o % 64)
	}
	// Expunged messages are masked.
	for w, set := range hits {
		for set != 0 {
			b := bits.TrailingZeros64(set)
			set &^= 1 << b
			if x.uids[w*64+b] == 0 {
				hits[w] &^= 1 << b
			}
		}
	}
	return &Filter{x: x, epoch: x.epoch, n: len(x.uids), hits: hits}
}

// May reports whether the message uid may hold the string: false only
// when the index knows the message and knows that it does not.
func (f *Filter) May(uid uint32) bool {
	if f == nil {
		return true
	}
	x := f.x
	x.mu.RLock()
	defer x.mu.RUnlock()
	o, ok := x.ords[uid]
	if !ok || x.epoch != f.epoch || int(o) >= f.n {
		return true
	}
	return f.hits[o/64]&(1<<(o%64)) != 0
}

// Count returns how many known messages may hold the string.
func (f *Filter) Count() int {
	n := 0
	for _, w := range f.hits {
		n += bits.OnesCount64(w)
	}
	return n
}

func inode(f *os.File) uint64 {
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	return inodeOf(st)
}

// Peek returns how many messages the index files at path hold, reading
// them without changing anything (a benchmark watches a build with it).
func Peek(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, headerSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, err
	}
	validity, gen, err := decodeHeader(head)
	if err != nil {
		return 0, err
	}
	known := make(map[uint32]bool)
	if seg, err := openSegment(path+".seg", validity, gen); err == nil {
		for _, u := range seg.uids {
			if u != 0 {
				known[u] = true
			}
		}
		seg.f.Close()
	}
	readRecords(f, func(r *record) {
		if r.kind == recRemoved {
			delete(known, r.uid)
		} else {
			known[r.uid] = true
		}
	})
	return len(known), nil
}
