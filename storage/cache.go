package storage

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// CacheFiler is an optional interface of a Folder: where the core may keep
// the values frontends derive from messages (parsed envelopes, body
// structures), so that a new process need not parse every message again.
// The file is a cache: losing or corrupting it loses nothing.
type CacheFiler interface {
	CacheFile() string
}

// cacheMagic starts a cache file; the version is in its last byte.
// Version 2 keeps each key's values in a section of their own, so that a
// new process's FETCH ENVELOPE reads the envelopes and nothing else.
var cacheMagic = []byte("MGCACHE2")

// Limits that keep a hostile or corrupt cache file from costing much.
const (
	maxCacheKey   = 64
	maxCacheValue = 1 << 20
	// maxCacheKeys bounds the sections of one file, and so its
	// directory (maxCacheDir bytes).
	maxCacheKeys = 256
	maxCacheDir  = maxCacheKeys * (1 + maxCacheKey + cacheDirFixed)
)

// The layout of a cache file, all numbers big-endian:
//
//	header     magic (8 bytes), UIDVALIDITY u32, key count u32,
//	           directory length u32, CRC-32 u32 of the 20 bytes
//	           before it and of the directory
//	directory  per key: key length u8, key, section offset u64,
//	           section length u64, section CRC-32 u32
//	sections   per key: entry count u32, then per entry (UID
//	           ascending) the UID u32 and the end u32 of its value in
//	           the values, then the values
//
// A reader checks the header and directory (a few hundred bytes), then
// reads one key's section when that key is first asked for, checks its
// CRC and every UID and offset in it, and answers from it in place.
const (
	cacheHeaderLen = 24
	cacheDirFixed  = 8 + 8 + 4
)

// cacheCRC is the IEEE CRC-32, which Go computes with the CPU's
// carry-less multiply at twice the speed of its CRC-32C.
var cacheCRC = crc32.IEEETable

// cacheEntry is one value of a cache, as snapshotCache takes it.
type cacheEntry struct {
	uid uint32
	key string
	val []byte
}

// snapshotCache returns the values of cache that a cache file keeps, in
// no order: a copy that the caller may write out after it lets go of the
// lock that guards cache. The values themselves are not copied: a value
// is never changed in place, only replaced.
func snapshotCache(cache map[uint32]map[string]any) []cacheEntry {
	n := 0
	for _, m := range cache {
		n += len(m)
	}
	out := make([]cacheEntry, 0, n)
	for uid, m := range cache {
		for k, v := range m {
			if b, ok := v.([]byte); ok && len(k) <= maxCacheKey && len(b) <= maxCacheValue {
				out = append(out, cacheEntry{uid, k, b})
			}
		}
	}
	return out
}

// cacheSection is the values of one key that a cache file holds, read
// and checked: the entry table and the values as they are in the file.
// It is never changed once made, so a save may read it without a lock.
type cacheSection struct {
	validity uint32 // the UIDVALIDITY the values are for
	n        int    // entries
	table    []byte // n × (UID u32, end u32), UIDs ascending
	values   []byte
}

// uid returns the UID of entry i.
func (s *cacheSection) uid(i int) uint32 {
	return binary.BigEndian.Uint32(s.table[8*i:])
}

// value returns the value of entry i, capped so that an append to it
// copies rather than overwrites the next.
func (s *cacheSection) value(i int) []byte {
	lo := uint32(0)
	if i > 0 {
		lo = binary.BigEndian.Uint32(s.table[8*i-4:])
	}
	hi := binary.BigEndian.Uint32(s.table[8*i+4:])
	return s.values[lo:hi:hi]
}

// get returns the value of uid, if the section has one.
func (s *cacheSection) get(uid uint32) ([]byte, bool) {
	if i := s.find(uid, -1); i >= 0 {
		return s.value(i), true
	}
	return nil, false
}

// find returns the entry of uid, or -1. It looks at entry hint first:
// a FETCH asks for UIDs in ascending order, so the entry after the one
// found last is most often the next one's.
func (s *cacheSection) find(uid uint32, hint int) int {
	if hint >= 0 && hint < s.n && s.uid(hint) == uid {
		return hint
	}
	i := sort.Search(s.n, func(i int) bool { return s.uid(i) >= uid })
	if i < s.n && s.uid(i) == uid {
		return i
	}
	return -1
}

// parseCacheSection checks the section data, of a file for validity,
// and returns it: UIDs strictly ascending, each value inside the values
// and at most maxCacheValue long, the last one ending at their end.
func parseCacheSection(data []byte, validity uint32) (*cacheSection, error) {
	if len(data) < 4 {
		return nil, errBadCache
	}
	n := uint64(binary.BigEndian.Uint32(data))
	if n*8 > uint64(len(data)-4) {
		return nil, errBadCache
	}
	s := &cacheSection{validity: validity, n: int(n), table: data[4 : 4+8*n], values: data[4+8*n:]}
	var prevUID, prevEnd uint32
	for i := range s.n {
		uid, end := s.uid(i), binary.BigEndian.Uint32(s.table[8*i+4:])
		if (i > 0 && uid <= prevUID) || end < prevEnd || end-prevEnd > maxCacheValue {
			return nil, errBadCache
		}
		prevUID, prevEnd = uid, end
	}
	if uint64(prevEnd) != uint64(len(s.values)) {
		return nil, errBadCache
	}
	return s, nil
}

// cacheDirEntry says where a key's section is in a cache file.
type cacheDirEntry struct {
	key      string
	off, len uint64
	crc      uint32
}

// errBadCache means a cache file is not ours or is damaged.
var errBadCache = errors.New("cache file is damaged")

// readCacheDir reads the header and directory of the cache file r of
// size bytes, for UIDVALIDITY uidValidity, and checks them: a file
// that is not ours, of another version or UIDVALIDITY, larger than
// limit, or whose sections lie outside it, costs a read of its header.
func readCacheDir(r io.ReaderAt, size int64, uidValidity uint32, limit int64) ([]cacheDirEntry, error) {
	if size > limit {
		return nil, errBadCache
	}
	var head [cacheHeaderLen]byte
	if !readFullAt(r, head[:], 0) || !bytes.Equal(head[:len(cacheMagic)], cacheMagic) {
		return nil, errBadCache
	}
	validity := binary.BigEndian.Uint32(head[8:])
	if validity != uidValidity {
		return nil, fmt.Errorf("cache is for UIDVALIDITY %d, not %d", validity, uidValidity)
	}
	nkeys, dirLen := binary.BigEndian.Uint32(head[12:]), binary.BigEndian.Uint32(head[16:])
	if nkeys > maxCacheKeys || dirLen > maxCacheDir || int64(cacheHeaderLen)+int64(dirLen) > size {
		return nil, errBadCache
	}
	dir := make([]byte, dirLen)
	if !readFullAt(r, dir, cacheHeaderLen) {
		return nil, errBadCache
	}
	crc := crc32.Update(crc32.Checksum(head[:20], cacheCRC), cacheCRC, dir)
	if crc != binary.BigEndian.Uint32(head[20:]) {
		return nil, errBadCache
	}
	out := make([]cacheDirEntry, 0, nkeys)
	// Sections follow the directory in its order, each after the last
	// and each key once: a directory whose entries overlap would make a
	// file of S bytes read (and a save write) as 256 sections of S.
	end := cacheHeaderLen + uint64(dirLen)
	for range nkeys {
		if len(dir) < 1 || len(dir) < 1+int(dir[0])+cacheDirFixed || int(dir[0]) > maxCacheKey {
			return nil, errBadCache
		}
		klen := int(dir[0])
		e := cacheDirEntry{key: string(dir[1 : 1+klen])}
		dir = dir[1+klen:]
		e.off, e.len, e.crc = binary.BigEndian.Uint64(dir), binary.BigEndian.Uint64(dir[8:]), binary.BigEndian.Uint32(dir[16:])
		dir = dir[cacheDirFixed:]
		if e.off < end || e.off > uint64(size) || e.len > uint64(size)-e.off ||
			slices.ContainsFunc(out, func(o cacheDirEntry) bool { return o.key == e.key }) {
			return nil, errBadCache
		}
		end = e.off + e.len
		out = append(out, e)
	}
	if len(dir) != 0 {
		return nil, errBadCache
	}
	return out, nil
}

// readFullAt reads len(p) bytes of r at off, and says whether it could.
func readFullAt(r io.ReaderAt, p []byte, off int64) bool {
	n, err := r.ReadAt(p, off)
	return n == len(p) && (err == nil || err == io.EOF)
}

// readCacheSection reads the section of e from r and checks it. It
// reads a megabyte at a time and sums each while it is in the CPU's
// cache: one pass over the memory, not two.
func readCacheSection(r io.ReaderAt, e cacheDirEntry, validity uint32) (*cacheSection, error) {
	const chunk = 1 << 20
	data := make([]byte, e.len) // e.len is within the file, which is within the limit
	crc := uint32(0)
	for off := 0; off < len(data); off += chunk {
		p := data[off:min(off+chunk, len(data))]
		if !readFullAt(r, p, int64(e.off)+int64(off)) {
			return nil, errBadCache
		}
		crc = crc32.Update(crc, cacheCRC, p)
	}
	if crc != e.crc {
		return nil, errBadCache
	}
	return parseCacheSection(data, validity)
}

// errForeignCache means that a cache file in a sticky mailbox
// directory belongs to a user who is neither this process's, root nor
// the directory's owner (see fsutil.TrustedIn): another user of a
// shared folder could have forged its values.
var errForeignCache = errors.New("the cache file belongs to another user")

// openCache opens the cache file at path and reads its directory.
// Not through a symbolic link, nor from a device or FIFO: another user
// of the mailbox could point it at /dev/zero; nor one that another user
// of a sticky directory could have forged (errForeignCache). The caller
// closes f.
func openCache(path string, uidValidity uint32, limit int64) (f *os.File, dir []cacheDirEntry, err error) {
	f, fi, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	if !fsutil.TrustedIn(fi, filepath.Dir(path)) {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, errForeignCache)
	}
	if dir, err = readCacheDir(f, fi.Size(), uidValidity, limit); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, dir, nil
}

// readCacheSections reads the sections of the cache file at path for
// the keys that skip does not name; a damaged section is left out. An
// error says the file could not be read at all.
func readCacheSections(path string, uidValidity uint32, limit int64, skip func(key string) bool) (map[string]*cacheSection, error) {
	f, dir, err := openCache(path, uidValidity, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readSections(f, dir, uidValidity, skip), nil
}

// readSections reads the sections of dir from r, but for the keys that
// skip names (skip may be nil); a damaged section is left out.
func readSections(r io.ReaderAt, dir []cacheDirEntry, uidValidity uint32, skip func(key string) bool) map[string]*cacheSection {
	out := make(map[string]*cacheSection, len(dir))
	for _, e := range dir {
		if skip != nil && skip(e.key) {
			continue
		}
		if s, err := readCacheSection(r, e, uidValidity); err == nil {
			out[e.key] = s
		}
	}
	return out
}

// writeCache writes the []byte values of cache to path atomically.
func writeCache(path string, uidValidity uint32, cache map[uint32]map[string]any) error {
	return writeCacheFile(path, uidValidity, snapshotCache(cache), nil, nil)
}

// writeCacheFile writes a cache file to path atomically: the values of
// own, and those of sections (read from the file before) that own does
// not replace. Only the values of UIDs in live (ascending) are written,
// or of every UID when live is nil. It sorts own.
func writeCacheFile(path string, uidValidity uint32, own []cacheEntry, sections map[string]*cacheSection, live []uint32) error {
	slices.SortFunc(own, func(a, b cacheEntry) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.uid, b.uid)
	})
	keys := make([]string, 0, len(sections)+4)
	for k, s := range sections {
		if s != nil && s.validity == uidValidity && len(k) <= maxCacheKey {
			keys = append(keys, k)
		}
	}
	for i, e := range own {
		if i == 0 || own[i-1].key != e.key {
			keys = append(keys, e.key)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) > maxCacheKeys {
		keys = keys[:maxCacheKeys]
	}
	dirLen, size := 0, cacheHeaderLen
	for _, k := range keys {
		dirLen += 1 + len(k) + cacheDirFixed
	}
	size += dirLen
	for _, s := range sections {
		if s != nil {
			size += 4 + len(s.table) + len(s.values)
		}
	}
	for _, e := range own {
		size += 8 + len(e.val)
	}
	buf := make([]byte, cacheHeaderLen+dirLen, size+4*len(keys))
	copy(buf, cacheMagic)
	binary.BigEndian.PutUint32(buf[8:], uidValidity)
	binary.BigEndian.PutUint32(buf[12:], uint32(len(keys)))
	binary.BigEndian.PutUint32(buf[16:], uint32(dirLen))
	dir := buf[cacheHeaderLen:cacheHeaderLen]
	for _, k := range keys {
		lo, _ := slices.BinarySearchFunc(own, k, func(e cacheEntry, k string) int { return strings.Compare(e.key, k) })
		hi := lo
		for hi < len(own) && own[hi].key == k {
			hi++
		}
		sec := sections[k]
		if sec != nil && sec.validity != uidValidity {
			sec = nil
		}
		off := len(buf)
		buf = appendCacheSection(buf, own[lo:hi], sec, live)
		dir = append(dir, byte(len(k)))
		dir = append(dir, k...)
		dir = binary.BigEndian.AppendUint64(dir, uint64(off))
		dir = binary.BigEndian.AppendUint64(dir, uint64(len(buf)-off))
		dir = binary.BigEndian.AppendUint32(dir, crc32.Checksum(buf[off:], cacheCRC))
	}
	crc := crc32.Update(crc32.Checksum(buf[:20], cacheCRC), cacheCRC, buf[cacheHeaderLen:cacheHeaderLen+dirLen])
	binary.BigEndian.PutUint32(buf[20:], crc)
	return writeFileAtomic(path, buf, 0o600)
}

// appendCacheSection appends to buf the section of one key: the values
// of own (ascending UIDs) and those of sec that own does not replace,
// of the UIDs in live (every UID when live is nil). Values that would
// take the section past 4 GB are left out.
func appendCacheSection(buf []byte, own []cacheEntry, sec *cacheSection, live []uint32) []byte {
	// each calls f with the entries in UID order.
	each := func(f func(uid uint32, val []byte)) {
		i, j, l := 0, 0, 0
		n := 0
		if sec != nil {
			n = sec.n
		}
		for i < n || j < len(own) {
			var uid uint32
			var val []byte
			switch {
			case j < len(own) && (i >= n || own[j].uid <= sec.uid(i)):
				uid, val = own[j].uid, own[j].val
				if i < n && sec.uid(i) == uid {
					i++ // replaced by own
				}
				j++
			default:
				uid, val = sec.uid(i), sec.value(i)
				i++
			}
			if live != nil {
				for l < len(live) && live[l] < uid {
					l++
				}
				if l == len(live) || live[l] != uid {
					continue
				}
			}
			f(uid, val)
		}
	}
	count, total := 0, uint64(0)
	each(func(_ uint32, val []byte) {
		if total+uint64(len(val)) <= math.MaxUint32 {
			count++
			total += uint64(len(val))
		}
	})
	buf = binary.BigEndian.AppendUint32(buf, uint32(count))
	table := len(buf)
	buf = slices.Grow(buf, 8*count)
	buf = buf[:len(buf)+8*count]
	end := uint64(0)
	each(func(uid uint32, val []byte) {
		if end+uint64(len(val)) > math.MaxUint32 {
			return
		}
		end += uint64(len(val))
		binary.BigEndian.PutUint32(buf[table:], uid)
		binary.BigEndian.PutUint32(buf[table+4:], uint32(end))
		table += 8
		buf = append(buf, val...)
	})
	return buf
}

// cacheBytesPerMessage bounds the size of a cache file, per message of
// its mailbox: a file larger than that is not read. A message's values
// are a few KB (envelope, body structure, sort keys); the bound leaves
// room for large ones.
const cacheBytesPerMessage = 64 << 10

// maxCacheFile returns the largest cache file read for a mailbox of n
// messages.
func maxCacheFile(n int) int64 {
	return max(1<<20, int64(n)*cacheBytesPerMessage)
}

// cachedLocked returns the value kept for uid under key: one stored in
// this process, or else the cache file's, whose section for key is read
// when key is first asked for. The file's values are served only for a
// message that exists, or whose expunge not every view has processed
// (as mb.cache keeps a ghost's). mb.mu is held and the mailbox loaded.
func (mb *mailbox) cachedLocked(uid uint32, key string) (any, bool) {
	if v, ok := mb.cache[uid][key]; ok {
		return v, true
	}
	if b, ok := mb.fileCachedLocked(uid, key); ok {
		return b, true
	}
	return nil, false
}

// cachedBytesLocked is cachedLocked for a value that is a []byte.
func (mb *mailbox) cachedBytesLocked(uid uint32, key string) ([]byte, bool) {
	if v, ok := mb.cache[uid][key]; ok {
		b, ok := v.([]byte)
		return b, ok
	}
	return mb.fileCachedLocked(uid, key)
}

// fileCachedLocked returns the cache file's value for uid under key.
func (mb *mailbox) fileCachedLocked(uid uint32, key string) ([]byte, bool) {
	sec := mb.cacheSectionLocked(key)
	if sec == nil || sec.validity != mb.uidValidity {
		return nil, false
	}
	h := mb.cacheHintLocked(sec)
	i := sec.find(uid, h.entry+1)
	if i < 0 {
		return nil, false
	}
	h.entry = i
	live := mb.uidsLocked()
	if l := h.live + 1; l >= 0 && l < len(live) && live[l] == uid {
		h.live = l
	} else if l, ok := slices.BinarySearch(live, uid); ok {
		h.live = l
	} else if mb.ghosts[uid] == nil {
		return nil, false
	}
	return sec.value(i), true
}

// cacheHintLocked returns the hint for lookups in sec: one of a few
// kept, so that a FETCH of several cached items (ENVELOPE and
// BODYSTRUCTURE), or SORT's keys beside the search fields, keeps a hint
// per section as it goes through the messages. mb.mu is held.
func (mb *mailbox) cacheHintLocked(sec *cacheSection) *cacheHint {
	for i := range mb.cacheHints {
		if mb.cacheHints[i].sec == sec {
			return &mb.cacheHints[i]
		}
	}
	// The one used longest ago makes room.
	h := &mb.cacheHints[mb.cacheHintNext]
	mb.cacheHintNext = (mb.cacheHintNext + 1) % len(mb.cacheHints)
	*h = cacheHint{sec: sec, entry: -1, live: -1}
	return h
}

// cacheHint is where fileCachedLocked found the last value it served
// from a section: its entry there, and its UID's place among the
// mailbox's.
type cacheHint struct {
	sec         *cacheSection
	entry, live int
}

// cacheSectionLocked returns the cache file's section for key, reading
// it when key is first asked for (nil when the file has none, or it is
// damaged, for another UIDVALIDITY, or larger than maxCacheFile allows
// for the mailbox's count). When most of the section's UIDs are gone,
// what is left
// is copied out, so that the whole section does not stay in memory for
// a few values. mb.mu is held.
func (mb *mailbox) cacheSectionLocked(key string) *cacheSection {
	if sec, ok := mb.cacheSections[key]; ok {
		return sec
	}
	mb.cacheSections[key] = nil // looked for once
	cf, ok := mb.folder.(CacheFiler)
	if !ok || cf.CacheFile() == "" {
		return nil
	}
	path := cf.CacheFile()
	f, dir, err := openCache(path, mb.uidValidity, maxCacheFile(mb.countLocked()))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			mb.store.log.Debug("storage: ignoring cache file", "path", path, "err", err)
		}
		return nil
	}
	defer f.Close()
	i := slices.IndexFunc(dir, func(e cacheDirEntry) bool { return e.key == key })
	if i < 0 {
		return nil
	}
	sec, err := readCacheSection(f, dir[i], mb.uidValidity)
	if err != nil {
		mb.store.log.Debug("storage: ignoring a damaged section of the cache file", "path", path, "key", key, "err", err)
		return nil
	}
	sec = sec.compact(mb.uidsLocked())
	mb.cacheSections[key] = sec
	return sec
}

// compact returns s, or, when the values of UIDs in live (ascending)
// are less than half of its values, a section of those alone in a
// buffer of its own: the section's buffer would stay in memory as long
// as any value of it does.
func (s *cacheSection) compact(live []uint32) *cacheSection {
	kept, l := 0, 0
	for i := range s.n {
		uid := s.uid(i)
		for l < len(live) && live[l] < uid {
			l++
		}
		if l < len(live) && live[l] == uid {
			kept += len(s.value(i))
		}
	}
	if kept >= len(s.values)/2 {
		return s
	}
	data := appendCacheSection(nil, nil, s, live)
	c, err := parseCacheSection(data, s.validity)
	if err != nil {
		return s // not reached: appendCacheSection writes what parseCacheSection accepts
	}
	return c
}

// dropCacheLocked forgets every value cached of the mailbox, in memory
// and what was read of its cache file, which is looked at again when a
// value is next asked for; mb.mu is held.
func (mb *mailbox) dropCacheLocked() {
	mb.cacheEpoch++
	clear(mb.cache)
	clear(mb.cacheSections)
	mb.cacheHints = [4]cacheHint{}
}

// cacheSnapshot is what a save of the cache file writes, taken under
// mb.mu and written without it.
type cacheSnapshot struct {
	path     string
	validity uint32
	limit    int64
	own      []cacheEntry
	sections map[string]*cacheSection // the file's, read so far
	live     []uint32                 // the mailbox's UIDs, shared read-only
}

// cacheSnapshotLocked takes what saving the cache file needs; mb.mu is
// held and the mailbox loaded.
func (mb *mailbox) cacheSnapshotLocked(path string) cacheSnapshot {
	sections := make(map[string]*cacheSection, len(mb.cacheSections))
	for k, s := range mb.cacheSections {
		if s != nil {
			sections[k] = s
		}
	}
	return cacheSnapshot{path: path, validity: mb.uidValidity, limit: maxCacheFile(mb.countLocked()),
		own: snapshotCache(mb.cache), sections: sections, live: mb.uidsLocked()}
}

// write writes the snapshot's cache file. The sections of the file that
// this process never read (the body structures, when it only fetched
// envelopes) are read now and written again, so that no value is lost.
func (c cacheSnapshot) write() error {
	rest, err := readCacheSections(c.path, c.validity, c.limit, func(key string) bool { return c.sections[key] != nil })
	if err == nil {
		for k, s := range rest {
			c.sections[k] = s
		}
	}
	return writeCacheFile(c.path, c.validity, c.own, c.sections, c.live)
}

// saveCache writes mb.cache when it changed, without holding mb.mu while
// it encodes, writes and syncs the file (0.6 to 2.2 s for 100,000
// messages): it takes a snapshot of the values under mb.mu and writes
// that. One save at a time per mailbox (mb.cacheSaving, taken before
// mb.mu), so that an older snapshot never replaces a newer one; the
// cache is clean afterwards only when nothing was added meanwhile
// (mb.cacheGen).
func (mb *mailbox) saveCache() {
	mb.cacheSaving.Lock()
	defer mb.cacheSaving.Unlock()
	mb.mu.Lock()
	cf, ok := mb.folder.(CacheFiler)
	if !ok || cf.CacheFile() == "" || !mb.cacheDirty || !mb.loaded || mb.gone || mb.fenced > 0 || mb.closed {
		mb.mu.Unlock()
		return
	}
	path, validity, gen := cf.CacheFile(), mb.uidValidity, mb.cacheGen
	snap := mb.cacheSnapshotLocked(path)
	mb.mu.Unlock()
	if err := snap.write(); err != nil {
		mb.store.log.Debug("storage: writing cache file", "path", path, "err", err)
		return
	}
	mb.mu.Lock()
	if mb.cacheGen == gen && mb.uidValidity == validity {
		mb.cacheDirty = false
	}
	mb.mu.Unlock()
}

// markCacheDirtyLocked notes that mb.cache holds values its file lacks;
// mb.mu is held.
func (mb *mailbox) markCacheDirtyLocked() {
	mb.cacheDirty = true
	mb.cacheGen++
}

// saveCacheLocked writes mb.cache when it changed, holding mb.mu and
// mb.cacheSaving: for the mailbox's close.
func (mb *mailbox) saveCacheLocked() {
	cf, ok := mb.folder.(CacheFiler)
	if !ok || cf.CacheFile() == "" || !mb.cacheDirty || !mb.loaded || mb.gone || mb.fenced > 0 {
		return
	}
	if err := mb.cacheSnapshotLocked(cf.CacheFile()).write(); err != nil {
		mb.store.log.Debug("storage: writing cache file", "path", cf.CacheFile(), "err", err)
		return
	}
	mb.cacheDirty = false
}

// SaveCache writes the mailbox's cache file now, when values were added
// since it was last written, rather than only when the mailbox closes:
// for a frontend that has just derived many values at great cost (the
// first SORT of a large mailbox), so that a kill or a crash of the
// process does not lose them.
func (v *View) SaveCache() {
	v.mb.saveCache()
}

// cacheFileOf returns the cache file of the mailbox of driver d at path,
// or "" when its folder keeps none. It opens the folder to ask, and is
// meant for DELETE and RENAME.
func (s *Store) cacheFileOf(d Driver, path string, perm os.FileMode) string {
	f, err := d.Open(path, perm)
	if err != nil {
		return ""
	}
	defer f.Close()
	if cf, ok := f.(CacheFiler); ok {
		return cf.CacheFile()
	}
	return ""
}
