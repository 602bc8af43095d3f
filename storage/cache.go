package storage

import (
	"bufio"
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
func readCache(r io.Reader, uidValidity uint32, keep func(uid uint32) bool) (map[uint32]map[string]any, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, cacheMagic) {
		return nil, errBadCache
	}
	var validity uint32
	if err := binary.Read(br, binary.BigEndian, &validity); err != nil {
		return nil, errBadCache
	}
	if validity != uidValidity {
		return nil, fmt.Errorf("cache is for UIDVALIDITY %d, not %d", validity, uidValidity)
	}
	out := make(map[uint32]map[string]any)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, errBadCache
		}
		uid := binary.BigEndian.Uint32(hdr[:])
		klen, err := br.ReadByte()
		if err != nil || klen > maxCacheKey {
			return out, errBadCache
		}
		key := make([]byte, klen)
		if _, err := io.ReadFull(br, key); err != nil {
			return out, errBadCache
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return out, errBadCache
		}
		vlen := binary.BigEndian.Uint32(hdr[:])
		if vlen > maxCacheValue {
			return out, errBadCache
		}
		val := make([]byte, vlen)
		if _, err := io.ReadFull(br, val); err != nil {
			return out, errBadCache
		}
		if !keep(uid) {
			continue
		}
		m := out[uid]
		if m == nil {
			m = make(map[string]any, 2)
			out[uid] = m
		}
		m[string(key)] = val
	}
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
