package storage_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestCacheOverlappingSections: a file whose 256 directory entries all
// point at one sound section of S bytes (another user of a shared
// mailbox can write one) is refused. Read as 256 sections, a save kept
// 256 x S in memory and wrote a file of 256 x S, which every later
// process ignored as larger than maxCacheFile: every cached value of
// the mailbox was lost, and the save's memory was 256 times the file's
// limit (1 MB minimum, 64 KB a message).
func TestCacheOverlappingSections(t *testing.T) {
	const n = 16
	_, newStore, u, layout := cacheFileSetup(t, n)
	v, _ := selectBox(t, newStore, u, layout)
	validity := v.Info().UIDValidity
	v.Close()

	// One sound section: n entries of 4 KB values.
	val := make([]byte, 4<<10)
	sec := binary.BigEndian.AppendUint32(nil, n)
	for uid := uint32(1); uid <= n; uid++ {
		sec = binary.BigEndian.AppendUint32(sec, uid)
		sec = binary.BigEndian.AppendUint32(sec, uid*uint32(len(val)))
	}
	for range n {
		sec = append(sec, val...)
	}
	const nkeys = 256
	dirLen := 0
	for i := range nkeys {
		dirLen += 1 + len(fmt.Sprintf("k%03d", i)) + 20
	}
	secOff := uint64(24 + dirLen)
	var dir []byte
	for i := range nkeys {
		k := fmt.Sprintf("k%03d", i)
		dir = append(dir, byte(len(k)))
		dir = append(dir, k...)
		dir = binary.BigEndian.AppendUint64(dir, secOff)
		dir = binary.BigEndian.AppendUint64(dir, uint64(len(sec)))
		dir = binary.BigEndian.AppendUint32(dir, crc32.ChecksumIEEE(sec))
	}
	head := append([]byte("MGCACHE2"), make([]byte, 12)...)
	binary.BigEndian.PutUint32(head[8:], validity)
	binary.BigEndian.PutUint32(head[12:], nkeys)
	binary.BigEndian.PutUint32(head[16:], uint32(dirLen))
	head = binary.BigEndian.AppendUint32(head, crc32.Update(crc32.ChecksumIEEE(head), crc32.IEEETable, dir))
	file := append(append(head, dir...), sec...)
	path := filepath.Join(u.Home, "box.cache")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}

	w, _ := selectBox(t, newStore, u, layout)
	if b, ok := w.CachedBytes(1, "k000"); ok {
		t.Errorf("a value of %d bytes served from overlapping sections", len(b))
	}
	setValues(w, "env", 1) // dirty: the close saves
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w.Close()
	runtime.ReadMemStats(&after)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("file in %d bytes, file out %d bytes, save allocated %d bytes", len(file), fi.Size(), alloc)
	if fi.Size() > 2*int64(len(file)) || alloc > 8*uint64(len(file)) {
		t.Errorf("a %d-byte file of overlapping sections became %d bytes (%d allocated by the save)", len(file), fi.Size(), alloc)
	}
	// The next process finds what the save wrote.
	x, _ := selectBox(t, newStore, u, layout)
	wantValues(t, x, "env", []uint32{1}, nil)
	wantValues(t, x, "k000", nil, []uint32{1})
}
