package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// countingZeros reads limit zero bytes, counting what was read.
type countingZeros struct{ n, limit int }

func (z *countingZeros) Read(p []byte) (int, error) {
	if z.n >= z.limit {
		return 0, io.EOF
	}
	p = p[:min(len(p), z.limit-z.n)]
	clear(p)
	z.n += len(p)
	return len(p), nil
}

// TestCacheNotOurs: a file that does not start with the magic is
// rejected after its header is read, not read whole (review1).
func TestCacheNotOurs(t *testing.T) {
	z := &countingZeros{limit: 64 << 20}
	if _, err := readCache(z, 1, func(uint32) bool { return true }, 1<<30); !errors.Is(err, errBadCache) {
		t.Errorf("err %v, want errBadCache", err)
	}
	if z.n > 1<<10 {
		t.Errorf("read %d bytes of a file that is not a cache file", z.n)
	}
}

// TestCacheTooLarge: a cache file larger than the limit is not read
// past the limit, whether a stream or a regular file.
func TestCacheTooLarge(t *testing.T) {
	const limit = 1 << 20
	head := append(append([]byte(nil), cacheMagic...), 0, 0, 0, 1)
	z := &countingZeros{limit: 64 << 20}
	_, err := readCache(io.MultiReader(bytes.NewReader(head), z), 1, func(uint32) bool { return true }, limit)
	if !errors.Is(err, errBadCache) {
		t.Errorf("stream: err %v, want errBadCache", err)
	}
	if z.n > limit+1 {
		t.Errorf("stream: read %d bytes past a limit of %d", z.n, limit)
	}
	p := filepath.Join(t.TempDir(), "c")
	if err := os.WriteFile(p, head, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 256<<20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := readCache(f, 1, func(uint32) bool { return true }, limit); !errors.Is(err, errBadCache) {
		t.Errorf("file: err %v, want errBadCache", err)
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos > 1<<10 {
		t.Errorf("file: read to %d before refusing it", pos)
	}
}

// TestCacheKeepsFewCopiesOut: when most of the file's entries are
// dropped, the values kept no longer share the file's buffer, so the
// whole file does not stay live for them (review1: 10% kept of 110 MB
// left 116 MB live).
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
	read := func(keep func(uint32) bool) map[uint32]map[string]any {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out, err := readCache(f, 1, keep, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	few := read(func(uid uint32) bool { return uid%10 == 0 })
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(few) != n/10 {
		t.Fatalf("kept %d, want %d", len(few), n/10)
	}
	for uid, m := range few {
		v := m["envelope"].([]byte)
		if !bytes.Equal(v, bytes.Repeat([]byte{byte(uid)}, 1000)) || cap(v) != len(v) {
			t.Fatalf("uid %d: value damaged (len %d cap %d)", uid, len(v), cap(v))
		}
	}
	if live := int64(after.HeapAlloc) - int64(before.HeapAlloc); live > 1<<20 {
		t.Logf("heap grew %d bytes for 200 KB kept (noisy: other goroutines allocate)", live)
	}
	runtime.KeepAlive(few)
	// All kept: the values stay slices of the one buffer.
	all := read(func(uint32) bool { return true })
	if len(all) != n {
		t.Fatalf("kept %d, want %d", len(all), n)
	}
	// The header's UIDVALIDITY is checked before the rest is read.
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], 2)
	if _, err := readCache(io.MultiReader(bytes.NewReader(cacheMagic), bytes.NewReader(h[:]), &countingZeros{limit: 1 << 30}), 1, func(uint32) bool { return true }, 1<<40); err == nil || errors.Is(err, errBadCache) {
		t.Errorf("another UIDVALIDITY: err %v", err)
	}
}
