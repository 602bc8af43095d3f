package storage

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// countingZeros is a file of limit zero bytes that counts what was read
// of it.
type countingZeros struct{ n, limit int64 }

func (z *countingZeros) ReadAt(p []byte, off int64) (int, error) {
	if off >= z.limit {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.limit-off)]
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// TestCacheNotOurs: a file that does not start with the magic is
// rejected after its header is read, not read whole (review1).
func TestCacheNotOurs(t *testing.T) {
	z := &countingZeros{limit: 64 << 20}
	if _, err := readCacheDir(z, z.limit, 1, 1<<30); !errors.Is(err, errBadCache) {
		t.Errorf("err %v, want errBadCache", err)
	}
	if z.n > 1<<10 {
		t.Errorf("read %d bytes of a file that is not a cache file", z.n)
	}
}

// TestCacheTooLarge: a cache file larger than the limit is not read at
// all, whether it claims its size or is a sparse file on disk.
func TestCacheTooLarge(t *testing.T) {
	const limit = 1 << 20
	z := &countingZeros{limit: 64 << 20}
	if _, err := readCacheDir(z, z.limit, 1, limit); !errors.Is(err, errBadCache) {
		t.Errorf("reader: err %v, want errBadCache", err)
	}
	if z.n > 0 {
		t.Errorf("reader: read %d bytes of a file past the limit", z.n)
	}
	p := filepath.Join(t.TempDir(), "c")
	if err := writeCache(p, 1, map[uint32]map[string]any{1: {"k": []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 256<<20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	if _, err := readCacheSections(p, 1, limit, nil); !errors.Is(err, errBadCache) {
		t.Errorf("file: err %v, want errBadCache", err)
	}
	// Within the limit, the same file is read (its zeros are ignored).
	if out, err := readCacheSections(p, 1, 1<<30, nil); err != nil || out["k"] == nil {
		t.Errorf("within the limit: %v, %v", out, err)
	}
}

// TestCacheKeepsFewCopiesOut: when most of a section's UIDs are gone,
// the values kept no longer share the file's buffer, so the whole
// section does not stay live for them (review1: 10% kept of 110 MB left
// 116 MB live).
func TestCacheKeepsFewCopiesOut(t *testing.T) {
	const n = 2000
	in := make(map[uint32]map[string]any, n)
	for uid := uint32(1); uid <= n; uid++ {
		in[uid] = map[string]any{"envelope": bytes.Repeat([]byte{byte(uid)}, 1000)}
	}
	p := filepath.Join(t.TempDir(), "c")
	if err := writeCache(p, 1, in); err != nil {
		t.Fatal(err)
	}
	out, err := readCacheSections(p, 1, 1<<30, nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := out["envelope"]
	var few, all []uint32
	for uid := uint32(1); uid <= n; uid++ {
		all = append(all, uid)
		if uid%10 == 0 {
			few = append(few, uid)
		}
	}
	c := sec.compact(few)
	if c == sec || c.n != n/10 || cap(c.values) > len(c.values)+len(c.values)/4 {
		t.Fatalf("10%% kept: %d entries in %d bytes of buffer", c.n, cap(c.values))
	}
	for i := range c.n {
		uid, v := c.uid(i), c.value(i)
		if !bytes.Equal(v, bytes.Repeat([]byte{byte(uid)}, 1000)) || cap(v) != len(v) {
			t.Fatalf("uid %d: value damaged (len %d cap %d)", uid, len(v), cap(v))
		}
	}
	// All kept, or most: the values stay slices of the one buffer.
	if c := sec.compact(all); c != sec {
		t.Error("a section whose UIDs are all there was copied")
	}
	if c := sec.compact(all[n/3:]); c != sec {
		t.Error("a section two thirds of whose UIDs are there was copied")
	}
	// The header's UIDVALIDITY is checked before the rest is read.
	var h bytes.Buffer
	h.Write(hostileCacheDir(0, 1<<10, nil, nil)) // UIDVALIDITY 5
	z := &countingZeros{limit: 1 << 30}
	if _, err := readCacheDir(prefixed{h.Bytes(), z}, 1<<30, 1, 1<<40); err == nil || errors.Is(err, errBadCache) {
		t.Errorf("another UIDVALIDITY: err %v", err)
	}
	if z.n > 0 {
		t.Errorf("read %d bytes past the header of a file for another UIDVALIDITY", z.n)
	}
}

// prefixed is a file of head, then of rest.
type prefixed struct {
	head []byte
	rest io.ReaderAt
}

func (p prefixed) ReadAt(b []byte, off int64) (int, error) {
	if off < int64(len(p.head)) {
		n := copy(b, p.head[off:])
		if n == len(b) {
			return n, nil
		}
		m, err := p.rest.ReadAt(b[n:], 0)
		return n + m, err
	}
	return p.rest.ReadAt(b, off-int64(len(p.head)))
}
