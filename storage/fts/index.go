package fts

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Index is the full-text index of one mailbox, kept in one file.
type Index struct {
	path string

	mu       sync.RWMutex
	f        *os.File
	ino      uint64 // the file's inode: another process may replace it
	validity uint32
	off      int64 // the file's good bytes that are in memory
	gen      uint64
	ords     map[uint32]int32    // UID to ordinal
	uids     []uint32            // ordinal to UID; 0 once removed
	post     map[uint32][]uint32 // trigram to ordinal<<zoneBits|zones, ascending
	always   []int32             // ordinals of TooLarge messages
	removed  int
	postings int64
	pending  []byte   // records added but not yet written
	scratch  []uint32 // docKeys's
}

// Open opens (creating it, and its directory, when missing) the index
// file at path for a mailbox whose UIDVALIDITY is uidValidity. A file
// of another UIDVALIDITY or format, or a damaged one, is started again.
func Open(path string, uidValidity uint32) (*Index, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("fts %s: %w", path, err)
	}
	x := &Index{path: path, validity: uidValidity}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.reopenLocked(); err != nil {
		return nil, err
	}
	return x, nil
}

// Close closes the index file; what was added and not flushed is lost.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
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
	x.gen++
	x.ords = make(map[uint32]int32)
	x.uids = nil
	x.post = make(map[uint32][]uint32)
	x.always = nil
	x.removed, x.postings = 0, 0
	x.pending = x.pending[:0]
}

// reopenLocked opens the file at x.path and reads it, starting it again
// when it is not a good index of x.validity.
func (x *Index) reopenLocked() error {
	if x.f != nil {
		x.f.Close()
		x.f = nil
	}
	x.clearLocked()
	f, err := os.OpenFile(x.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	x.f, x.ino = f, inode(f)
	head := make([]byte, headerSize)
	if _, err := io.ReadFull(f, head); err == nil {
		if v, err := decodeHeader(head); err == nil && v == x.validity {
			x.off = int64(headerSize)
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

// resetLocked writes a new, empty file in place of the old one (so that
// other processes see it replaced) and forgets what was in memory.
func (x *Index) resetLocked(validity uint32) error {
	tmp := fmt.Sprintf("%s.%d.tmp", x.path, os.Getpid())
	if err := os.WriteFile(tmp, encodeHeader(validity), 0o600); err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	if err := os.Rename(tmp, x.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	f, err := os.OpenFile(x.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	if x.f != nil {
		x.f.Close()
	}
	x.clearLocked()
	x.f, x.ino, x.validity, x.off = f, inode(f), validity, int64(headerSize)
	return nil
}

// catchUpLocked reads what other processes appended since x.off; a file
// replaced by another process is read again from its start.
func (x *Index) catchUpLocked() error {
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
	good := readRecords(io.NewSectionReader(x.f, x.off, st.Size()-x.off), x.applyLocked)
	x.off += good
	return nil
}

// applyLocked takes one record into memory. UIDs are never used twice
// within one UIDVALIDITY, so the first record of a UID wins.
func (x *Index) applyLocked(r *record) {
	ord, known := x.ords[r.uid]
	if r.kind == recRemoved {
		if known && x.uids[ord] != 0 {
			x.uids[ord] = 0
			delete(x.ords, r.uid)
			x.removed++
		}
		return
	}
	if known || r.uid == 0 || len(x.uids) >= 1<<30 {
		return
	}
	ord = int32(len(x.uids))
	x.uids = append(x.uids, r.uid)
	x.ords[r.uid] = ord
	if r.kind == recTooLarge {
		x.always = append(x.always, ord)
		return
	}
	for _, k := range r.keys {
		t := k >> zoneBits
		x.post[t] = append(x.post[t], uint32(ord)<<zoneBits|k&(1<<zoneBits-1))
	}
	x.postings += int64(len(r.keys))
}

// Known reports whether the index holds uid.
func (x *Index) Known(uid uint32) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.ords[uid]
	return ok
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

// Add adds a message; it reaches the file at the next Flush.
func (x *Index) Add(uid uint32, d *Doc) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.ords[uid]; ok || uid == 0 {
		return
	}
	r := record{kind: recTooLarge, uid: uid}
	if !d.TooLarge {
		x.scratch = docKeys(d, x.scratch)
		r.kind, r.keys = recDoc, x.scratch
	}
	x.pending = appendRecord(x.pending, r.kind, uid, r.keys)
	x.applyLocked(&r)
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
		x.applyLocked(&r)
	}
}

// Pending returns how many bytes wait for Flush.
func (x *Index) Pending() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.pending)
}

// Flush appends what was added to the file, under an exclusive lock,
// after what other processes appended meanwhile, cutting off a tail a
// killed writer left damaged.
func (x *Index) Flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.pending) == 0 || x.f == nil {
		return nil
	}
	unlock, err := lockFile(x.f)
	if err != nil {
		return fmt.Errorf("fts %s: lock: %w", x.path, err)
	}
	defer unlock()
	pending := x.pending
	x.pending = nil
	gen := x.gen
	if err := x.catchUpLocked(); err != nil {
		return err
	}
	if x.gen != gen {
		// The file was replaced or cut back: what was pending is gone
		// from memory too, and is indexed again.
		return nil
	}
	// Records read now of UIDs this process added too are skipped;
	// appending ours again costs only bytes.
	if err := x.f.Truncate(x.off); err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	if _, err := x.f.WriteAt(pending, x.off); err != nil {
		return fmt.Errorf("fts %s: %w", x.path, err)
	}
	x.off += int64(len(pending))
	x.pending = pending[:0]
	return nil
}

// Stats describes the index's size.
type Stats struct {
	Messages int   // messages known
	Removed  int   // records of expunged messages, masked
	Trigrams int   // distinct trigrams
	Postings int64 // (trigram, message) pairs
	FileSize int64 // bytes of the file
}

// Stats returns the index's size.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return Stats{Messages: len(x.ords), Removed: x.removed, Trigrams: len(x.post), Postings: x.postings, FileSize: x.off + int64(len(x.pending))}
}

// Filter is the answer of the index for one string: which of the
// messages it knows may contain it.
type Filter struct {
	x    *Index
	gen  uint64
	hits []uint64 // by ordinal
}

// Filter returns which messages may contain needle (ignoring case as
// SEARCH does) in the zones z, or nil when the index cannot narrow the
// search (a string shorter than three bytes lower-cased). It first reads
// what other processes added.
func (x *Index) Filter(needle string, z Zone) *Filter {
	grams := needleTrigrams(needle)
	if len(grams) == 0 || z&Text == 0 {
		return nil
	}
	x.mu.Lock()
	if err := x.catchUpLocked(); err != nil {
		x.mu.Unlock()
		return nil
	}
	x.mu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	lists := make([][]uint32, len(grams))
	for i, g := range grams {
		lists[i] = x.post[g]
	}
	slices.SortFunc(lists, func(a, b []uint32) int { return len(a) - len(b) })
	words := (len(x.uids) + 63) / 64
	hits := make([]uint64, words)
	next := make([]uint64, words)
	for i, l := range lists {
		for _, p := range l {
			if Zone(p)&z == 0 {
				continue
			}
			o := p >> zoneBits
			if i == 0 || hits[o/64]&(1<<(o%64)) != 0 {
				next[o/64] |= 1 << (o % 64)
			}
		}
		hits, next = next, hits
		clear(next)
	}
	for _, o := range x.always {
		hits[o/64] |= 1 << (o % 64)
	}
	// Expunged messages are masked.
	for w, bitsSet := range hits {
		for bitsSet != 0 {
			b := bits.TrailingZeros64(bitsSet)
			bitsSet &^= 1 << b
			if x.uids[w*64+b] == 0 {
				hits[w] &^= 1 << b
			}
		}
	}
	return &Filter{x: x, gen: x.gen, hits: hits}
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
	if !ok || x.gen != f.gen || int(o)/64 >= len(f.hits) {
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
