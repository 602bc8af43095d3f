package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// readCacheBytes reads every section of the cache file data, as a new
// process would, one key at a time.
func readCacheBytes(data []byte, validity uint32, limit int64) (map[string]*cacheSection, error) {
	r := bytes.NewReader(data)
	dir, err := readCacheDir(r, int64(len(data)), validity, limit)
	if err != nil {
		return nil, err
	}
	return readSections(r, dir, validity, nil), nil
}

// sectionValues returns the values of a section by UID.
func sectionValues(s *cacheSection) map[uint32]string {
	out := make(map[uint32]string, s.n)
	for i := range s.n {
		out[s.uid(i)] = string(s.value(i))
	}
	return out
}

func TestCacheFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache")
	in := map[uint32]map[string]any{
		1: {"env": []byte("(NIL)"), "bs": []byte("(\"TEXT\")")},
		7: {"env": []byte("")},
		9: {"skipped": 42}, // not []byte: not written
	}
	if err := writeCache(path, 123, in); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	out, err := readCacheBytes(data, 123, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out["skipped"] != nil {
		t.Fatalf("sections %v", out)
	}
	if got := sectionValues(out["env"]); len(got) != 2 || got[1] != "(NIL)" || got[7] != "" {
		t.Errorf("env: %v", got)
	}
	if v, ok := out["bs"].get(1); !ok || string(v) != "(\"TEXT\")" {
		t.Errorf("bs of UID 1: %q, %v", v, ok)
	}
	if v, ok := out["bs"].get(7); ok {
		t.Errorf("bs of UID 7: %q", v)
	}
	if _, err := readCacheBytes(data, 124, 1<<30); err == nil {
		t.Error("a cache for another UIDVALIDITY was accepted")
	}
	// Truncated anywhere, or any byte changed: no panic, and no value
	// read back is other than what was written.
	check := func(what string, d []byte) {
		out, _ := readCacheBytes(d, 123, 1<<30)
		for k, s := range out {
			for uid, v := range sectionValues(s) {
				if want, _ := in[uid][k].([]byte); want == nil || string(want) != v {
					t.Fatalf("%s: %s of UID %d read as %q", what, k, uid, v)
				}
			}
		}
	}
	for i := range data {
		check(fmt.Sprint("cut at ", i), data[:i])
		d := bytes.Clone(data)
		d[i] ^= 0x40
		check(fmt.Sprint("byte ", i, " changed"), d)
	}
}

// TestCacheFileMerge: a save writes this process's values over the
// file's, keeps the file's values it did not replace, and leaves out
// the UIDs that are gone.
func TestCacheFileMerge(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := writeCache(old, 5, map[uint32]map[string]any{
		1: {"env": []byte("e1"), "bs": []byte("b1")},
		2: {"env": []byte("e2"), "bs": []byte("b2")},
		3: {"env": []byte("e3")},
	}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(old)
	sections, err := readCacheBytes(data, 5, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	own := snapshotCache(map[uint32]map[string]any{
		2: {"env": []byte("E2")},
		4: {"env": []byte("E4"), "sk": []byte("s4")},
		5: {"env": []byte("E5")}, // gone
	})
	path := filepath.Join(dir, "new")
	if err := writeCacheFile(path, 5, own, sections, []uint32{1, 2, 4}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	out, err := readCacheBytes(data, 5, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[uint32]string{
		"env": {1: "e1", 2: "E2", 4: "E4"},
		"bs":  {1: "b1", 2: "b2"},
		"sk":  {4: "s4"},
	}
	if len(out) != len(want) {
		t.Errorf("keys %v", out)
	}
	for k, w := range want {
		if out[k] == nil {
			t.Errorf("no section %s", k)
			continue
		}
		if got := sectionValues(out[k]); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: %v, want %v", k, got, w)
		}
	}
	// A section for another UIDVALIDITY is not written again; this
	// process's values of its key are.
	own = snapshotCache(map[uint32]map[string]any{1: {"env": []byte("new")}})
	if err := writeCacheFile(path, 6, own, sections, nil); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	out, err = readCacheBytes(data, 6, 1<<30)
	if err != nil || len(out) != 1 || out["env"] == nil || fmt.Sprint(sectionValues(out["env"])) != "map[1:new]" {
		t.Errorf("another UIDVALIDITY: %v, %v", out, err)
	}
}

// hostileCache returns a cache file for UIDVALIDITY 5 with a header of
// nkeys keys and the directory dir, whose CRC is right, then rest.
func hostileCache(nkeys uint32, dir []byte, rest []byte) []byte {
	return hostileCacheDir(nkeys, uint32(len(dir)), dir, rest)
}

// hostileCacheDir is hostileCache with a directory length of dirLen.
func hostileCacheDir(nkeys, dirLen uint32, dir []byte, rest []byte) []byte {
	b := append([]byte(nil), cacheMagic...)
	b = binary.BigEndian.AppendUint32(b, 5)
	b = binary.BigEndian.AppendUint32(b, nkeys)
	b = binary.BigEndian.AppendUint32(b, dirLen)
	crc := crc32.Update(crc32.Checksum(b, cacheCRC), cacheCRC, dir)
	b = binary.BigEndian.AppendUint32(b, crc)
	b = append(b, dir...)
	return append(b, rest...)
}

// hostileSection returns a directory of one key, "k", whose section is
// sec at offset off, with sec's CRC.
func hostileSection(off, n uint64, sec []byte) []byte {
	d := []byte{1, 'k'}
	d = binary.BigEndian.AppendUint64(d, off)
	d = binary.BigEndian.AppendUint64(d, n)
	return binary.BigEndian.AppendUint32(d, crc32.Checksum(sec, cacheCRC))
}

// TestCacheHostile: files that lie about their counts and offsets, with
// right CRCs, are refused without a panic and without an allocation of
// what they claim.
func TestCacheHostile(t *testing.T) {
	dirLen := uint64(1 + 1 + cacheDirFixed)
	secAt := uint64(cacheHeaderLen) + dirLen
	table := func(pairs ...uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(pairs)/2))
		for _, p := range pairs {
			b = binary.BigEndian.AppendUint32(b, p)
		}
		return b
	}
	withValues := func(b []byte, v string) []byte { return append(b, v...) }
	cases := []struct {
		name string
		file []byte
	}{
		{"old version", append([]byte("MGCACHE1\x00\x00\x00\x05"), bytes.Repeat([]byte{0}, 64)...)},
		{"huge key count", hostileCache(1<<31, nil, nil)},
		{"cut in the header", hostileCache(0, nil, nil)[:20]},
		{"huge directory", hostileCacheDir(1, 1<<31, nil, nil)},
		{"directory past the end", hostileCacheDir(1, 1<<10, hostileSection(secAt, 0, nil), nil)},
		{"section past the end", hostileCache(1, hostileSection(secAt, 1<<40, nil), nil)},
		{"section offset wraps", hostileCache(1, hostileSection(1<<63, 1<<63, nil), nil)},
		{"section inside the header", hostileCache(1, hostileSection(0, 4, []byte("MGCA")), nil)},
		{"huge entry count", func() []byte {
			sec := table(1, 0)
			binary.BigEndian.PutUint32(sec, 1<<30)
			return hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec)
		}()},
		{"value past the end", func() []byte {
			sec := withValues(table(1, 100), "short")
			return hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec)
		}()},
		{"values backwards", func() []byte {
			sec := withValues(table(1, 4, 2, 2), "abcd")
			return hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec)
		}()},
		{"UIDs not ascending", func() []byte {
			sec := withValues(table(2, 1, 2, 2), "ab")
			return hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec)
		}()},
		{"value too large", func() []byte {
			sec := withValues(table(1, maxCacheValue+1), string(make([]byte, maxCacheValue+1)))
			return hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec)
		}()},
		{"key too long", func() []byte {
			d := append([]byte{maxCacheKey + 1}, bytes.Repeat([]byte{'k'}, maxCacheKey+1)...)
			d = append(d, make([]byte, cacheDirFixed)...)
			return hostileCache(1, d, nil)
		}()},
		{"directory longer than its keys", hostileCache(1, append(hostileSection(secAt+1, 0, nil), 0), nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := allocatedBytes()
			out, err := readCacheBytes(c.file, 5, 1<<30)
			if grew := allocatedBytes() - before; grew > uint64(len(c.file))+1<<16 {
				t.Errorf("allocated %d bytes for a file of %d", grew, len(c.file))
			}
			if err == nil && len(out) != 0 {
				t.Errorf("accepted: %v", out)
			}
		})
	}
	// The sound form of the last ones is accepted: the cases fail for
	// what they name.
	sec := withValues(table(1, 2, 2, 4), "abcd")
	out, err := readCacheBytes(hostileCache(1, hostileSection(secAt, uint64(len(sec)), sec), sec), 5, 1<<30)
	if err != nil || out["k"] == nil || fmt.Sprint(sectionValues(out["k"])) != "map[1:ab 2:cd]" {
		t.Errorf("a sound file: %v, %v", out, err)
	}
}

// allocatedBytes returns how many bytes the process has allocated so far.
func allocatedBytes() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

func FuzzReadCache(f *testing.F) {
	path := filepath.Join(f.TempDir(), "c")
	writeCache(path, 5, map[uint32]map[string]any{
		3: {"k": []byte("value"), "b": []byte("other")},
		4: {"k": []byte("")},
	})
	data, _ := os.ReadFile(path)
	f.Add(data)
	f.Add([]byte("MGCACHE1\x00\x00\x00\x05\xff\xff\xff\xff\x40"))
	f.Add(hostileCache(1<<31, nil, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := readCacheBytes(data, 5, 1<<30)
		for k, s := range out {
			if len(k) > maxCacheKey {
				t.Fatalf("key beyond the limit: %q", k)
			}
			for i := range s.n {
				v := s.value(i)
				if len(v) > maxCacheValue {
					t.Fatalf("value beyond the limit: %d bytes", len(v))
				}
				if got, ok := s.get(s.uid(i)); !ok || !bytes.Equal(got, v) {
					t.Fatalf("UID %d not found again", s.uid(i))
				}
			}
		}
	})
}

// BenchmarkReadCache10k reads the envelopes of the cache file of 10,000
// messages with an envelope, a body structure and search fields each
// (about 1 KB), as the first FETCH ENVELOPE of a new process does.
func BenchmarkReadCache10k(b *testing.B) {
	in := make(map[uint32]map[string]any)
	for uid := uint32(1); uid <= 10_000; uid++ {
		in[uid] = map[string]any{
			"envelope":      bytes.Repeat([]byte("e"), 450),
			"bodystructure": bytes.Repeat([]byte("b"), 350),
			"search":        bytes.Repeat([]byte("s"), 200),
		}
	}
	path := filepath.Join(b.TempDir(), "cache")
	if err := writeCache(path, 1, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		out, err := readCacheSections(path, 1, 1<<30, func(k string) bool { return k != "envelope" })
		if err != nil || out["envelope"] == nil || out["envelope"].n != 10_000 {
			b.Fatal(out, err)
		}
	}
}
