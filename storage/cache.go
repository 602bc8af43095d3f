package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
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
	var buf bytes.Buffer
	buf.Write(cacheMagic)
	binary.Write(&buf, binary.BigEndian, uidValidity)
	uids := make([]uint32, 0, len(cache))
	for uid := range cache {
		uids = append(uids, uid)
	}
	sort.Slice(uids, func(a, b int) bool { return uids[a] < uids[b] })
	var hdr [4]byte
	for _, uid := range uids {
		keys := make([]string, 0, len(cache[uid]))
		for k := range cache[uid] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, ok := cache[uid][k].([]byte)
			if !ok || len(k) > maxCacheKey || len(v) > maxCacheValue {
				continue
			}
			binary.BigEndian.PutUint32(hdr[:], uid)
			buf.Write(hdr[:])
			buf.WriteByte(byte(len(k)))
			buf.WriteString(k)
			binary.BigEndian.PutUint32(hdr[:], uint32(len(v)))
			buf.Write(hdr[:])
			buf.Write(v)
		}
	}
	return writeFileAtomic(path, buf.Bytes(), 0o600)
}

// errBadCache means a cache file is not ours or is damaged.
var errBadCache = errors.New("cache file is damaged")

// readCache reads a cache file written by writeCache. Only entries for
// UIDs that keep reports as present are kept.
//
// The file is read whole into one buffer, and the values are slices of
// it (capped, so that an append to one copies rather than overwrites the
// next): a new process's first FETCH of 10,000 envelopes read it through
// a bufio.Reader with two allocations and a copy per value, which cost
// three times what Dovecot's whole cold FETCH does.
func readCache(r io.Reader, uidValidity uint32, keep func(uid uint32) bool) (map[uint32]map[string]any, error) {
	data, err := readAllSized(r)
	if err != nil {
		return nil, errBadCache
	}
	if !bytes.HasPrefix(data, cacheMagic) || len(data) < len(cacheMagic)+4 {
		return nil, errBadCache
	}
	data = data[len(cacheMagic):]
	validity := binary.BigEndian.Uint32(data)
	if validity != uidValidity {
		return nil, fmt.Errorf("cache is for UIDVALIDITY %d, not %d", validity, uidValidity)
	}
	data = data[4:]
	out := make(map[uint32]map[string]any, len(data)/1024)
	keys := make(map[string]string) // one string per key name
	var m map[string]any
	last := uint32(0)
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
		m[key] = val
	}
	return out, nil
}

// readAllSized reads r to its end, into a buffer of the file's size when
// r is a file.
func readAllSized(r io.Reader) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<31 {
			buf := make([]byte, fi.Size())
			n, err := io.ReadFull(r, buf)
			if err == io.ErrUnexpectedEOF {
				return buf[:n], nil // shorter now: the reader checks
			}
			if err != nil {
				return nil, err
			}
			rest, err := io.ReadAll(r) // longer now, or just the end
			return append(buf, rest...), err
		}
	}
	return io.ReadAll(r)
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
	f, err := os.Open(cf.CacheFile())
	if err != nil {
		return
	}
	defer f.Close()
	cache, err := readCache(f, mb.uidValidity, func(uid uint32) bool { return mb.index(uid) >= 0 })
	if err != nil {
		mb.store.log.Debug("storage: ignoring cache file", "path", cf.CacheFile(), "err", err)
	}
	for uid, m := range cache {
		if mb.cache[uid] == nil {
			mb.cache[uid] = m
		}
	}
}

// saveCacheLocked writes mb.cache when it changed; mb.mu is held.
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
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.saveCacheLocked()
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
