package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

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
var cacheMagic = []byte("MGCACHE1")

// Limits that keep a hostile or corrupt cache file from costing much.
const (
	maxCacheKey   = 64
	maxCacheValue = 1 << 20
)

// writeCache writes the []byte values of cache, for messages that exist,
// to path atomically.
func writeCache(path string, uidValidity uint32, cache map[uint32]map[string]any) error {
	return writeCacheEntries(path, uidValidity, snapshotCache(cache))
}

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

// writeCacheEntries writes a cache file of the entries to path
// atomically; it sorts them by UID and key.
func writeCacheEntries(path string, uidValidity uint32, entries []cacheEntry) error {
	sort.Slice(entries, func(a, b int) bool {
		if entries[a].uid != entries[b].uid {
			return entries[a].uid < entries[b].uid
		}
		return entries[a].key < entries[b].key
	})
	size := len(cacheMagic) + 4
	for _, e := range entries {
		size += 9 + len(e.key) + len(e.val)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.Write(cacheMagic)
	binary.Write(buf, binary.BigEndian, uidValidity)
	var hdr [4]byte
	for _, e := range entries {
		binary.BigEndian.PutUint32(hdr[:], e.uid)
		buf.Write(hdr[:])
		buf.WriteByte(byte(len(e.key)))
		buf.WriteString(e.key)
		binary.BigEndian.PutUint32(hdr[:], uint32(len(e.val)))
		buf.Write(hdr[:])
		buf.Write(e.val)
	}
	return writeFileAtomic(path, buf.Bytes(), 0o600)
}

// errBadCache means a cache file is not ours or is damaged.
var errBadCache = errors.New("cache file is damaged")

// readCache reads a cache file written by writeCache, of at most limit
// bytes. Only entries for UIDs that keep reports as present are kept.
//
// It checks the header before reading on, so a file that is not ours
// costs a few bytes, and reads nothing past limit (errBadCache). The rest
// is read whole into one buffer, and the values are slices of it
// (capped, so that an append to one copies rather than overwrites the
// next): a new process's first FETCH of 10,000 envelopes read it through
// a bufio.Reader with two allocations and a copy per value, which cost
// three times what Dovecot's whole cold FETCH does. When most of the
// file was dropped, the values kept are copied out into a buffer of
// their own, so that the whole file's does not stay pinned.
func readCache(r io.Reader, uidValidity uint32, keep func(uid uint32) bool, limit int64) (map[uint32]map[string]any, error) {
	var head [8 + 4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:len(cacheMagic)], cacheMagic) {
		return nil, errBadCache
	}
	validity := binary.BigEndian.Uint32(head[len(cacheMagic):])
	if validity != uidValidity {
		return nil, fmt.Errorf("cache is for UIDVALIDITY %d, not %d", validity, uidValidity)
	}
	data, err := readAllSized(r, limit-int64(len(head)))
	if err != nil {
		return nil, errBadCache
	}
	out := make(map[uint32]map[string]any, len(data)/1024)
	keys := make(map[string]string) // one string per key name
	var m map[string]any
	last := uint32(0)
	kept := 0 // bytes of the values kept
	whole := len(data)
	defer func() { compactCache(out, kept, whole) }()
	for len(data) > 0 {
		if len(data) < 5 {
			return out, errBadCache
		}
		uid := binary.BigEndian.Uint32(data)
		klen := int(data[4])
		data = data[5:]
		if klen > maxCacheKey || len(data) < klen+4 {
			return out, errBadCache
		}
		kb := data[:klen]
		vlen := binary.BigEndian.Uint32(data[klen:])
		data = data[klen+4:]
		if vlen > maxCacheValue || uint64(len(data)) < uint64(vlen) {
			return out, errBadCache
		}
		val := data[:vlen:vlen]
		data = data[vlen:]
		if m == nil || uid != last {
			if !keep(uid) {
				m, last = nil, uid
				continue
			}
			if m = out[uid]; m == nil {
				m = make(map[string]any, 4)
				out[uid] = m
			}
			last = uid
		}
		key, ok := keys[string(kb)]
		if !ok {
			key = string(kb)
			keys[key] = key
		}
		if old, ok := m[key].([]byte); ok {
			kept -= len(old)
		}
		m[key] = val
		kept += len(val)
	}
	return out, nil
}

// compactCache copies the values of out, kept bytes in all, into one
// buffer of their own when they are less than half of the whole bytes
// read: the values are slices of the file's buffer, which would stay
// live as long as any of them does.
func compactCache(out map[uint32]map[string]any, kept, whole int) {
	if kept >= whole/2 {
		return
	}
	buf := make([]byte, 0, kept)
	for _, m := range out {
		for k, v := range m {
			b := v.([]byte)
			n := len(buf)
			buf = append(buf, b...)
			m[k] = buf[n:len(buf):len(buf)]
		}
	}
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

// readAllSized reads the rest of a cache file from r, after its header,
// to its end: at most limit bytes (errBadCache past that), into a buffer
// of the file's size when r is a regular file.
func readAllSized(r io.Reader, limit int64) ([]byte, error) {
	if limit < 0 {
		return nil, errBadCache
	}
	lr := io.LimitReader(r, limit+1)
	var data []byte
	var err error
	if f, ok := r.(*os.File); ok {
		if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() {
			rest := fi.Size() - int64(len(cacheMagic)+4)
			if rest > limit {
				return nil, errBadCache
			}
			buf := make([]byte, max(0, rest))
			n, rerr := io.ReadFull(lr, buf)
			switch {
			case rerr == io.ErrUnexpectedEOF || rerr == io.EOF:
				data = buf[:n] // shorter now: the reader checks
			case rerr != nil:
				return nil, rerr
			default:
				var more []byte
				more, err = io.ReadAll(lr) // longer now, or just the end
				data = append(buf, more...)
			}
		}
	}
	if data == nil && err == nil {
		data, err = io.ReadAll(lr)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errBadCache
	}
	return data, nil
}

// loadCacheLocked fills mb.cache from the folder's cache file, once, when
// a value is first asked for or stored: a SELECT that fetches nothing
// need not read it. mb.mu is held and the mailbox loaded.
func (mb *mailbox) loadCacheLocked() {
	if mb.cacheRead {
		return
	}
	mb.cacheRead = true
	cf, ok := mb.folder.(CacheFiler)
	if !ok || cf.CacheFile() == "" {
		return
	}
	// Not through a symbolic link, nor from a device or FIFO: another
	// user of the mailbox could point it at /dev/zero.
	f, _, err := fsutil.OpenRegular(cf.CacheFile())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			mb.store.log.Debug("storage: ignoring cache file", "path", cf.CacheFile(), "err", err)
		}
		return
	}
	defer f.Close()
	cache, err := readCache(f, mb.uidValidity, func(uid uint32) bool { return mb.index(uid) >= 0 }, maxCacheFile(mb.countLocked()))
	if err != nil {
		mb.store.log.Debug("storage: ignoring cache file", "path", cf.CacheFile(), "err", err)
	}
	for uid, m := range cache {
		if mb.cache[uid] == nil {
			mb.cache[uid] = m
		}
	}
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
	if !ok || cf.CacheFile() == "" || !mb.cacheDirty || !mb.loaded || mb.gone || mb.closed {
		mb.mu.Unlock()
		return
	}
	path, validity, gen := cf.CacheFile(), mb.uidValidity, mb.cacheGen
	entries := snapshotCache(mb.cache)
	mb.mu.Unlock()
	err := writeCacheEntries(path, validity, entries)
	if err != nil {
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
	if !ok || cf.CacheFile() == "" || !mb.cacheDirty || !mb.loaded || mb.gone {
		return
	}
	if err := writeCache(cf.CacheFile(), mb.uidValidity, mb.cache); err != nil {
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
