package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

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
	out, err := readCache(bytes.NewReader(data), 123, func(uid uint32) bool { return uid != 7 }, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || string(out[1]["env"].([]byte)) != "(NIL)" || string(out[1]["bs"].([]byte)) != "(\"TEXT\")" {
		t.Errorf("read back %v", out)
	}
	if _, err := readCache(bytes.NewReader(data), 124, func(uint32) bool { return true }, 1<<30); err == nil {
		t.Error("a cache for another UIDVALIDITY was accepted")
	}
	// Truncated anywhere: no panic, and what was whole is kept or dropped.
	for i := range data {
		readCache(bytes.NewReader(data[:i]), 123, func(uint32) bool { return true }, 1<<30)
	}
}

func FuzzReadCache(f *testing.F) {
	var buf bytes.Buffer
	path := filepath.Join(f.TempDir(), "c")
	writeCache(path, 5, map[uint32]map[string]any{3: {"k": []byte("value")}})
	data, _ := os.ReadFile(path)
	buf.Write(data)
	f.Add(buf.Bytes())
	f.Add([]byte("MGCACHE1\x00\x00\x00\x05\xff\xff\xff\xff\x40"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := readCache(bytes.NewReader(data), 5, func(uint32) bool { return true }, 1<<30)
		for _, m := range out {
			for k, v := range m {
				if len(k) > maxCacheKey || len(v.([]byte)) > maxCacheValue {
					t.Fatalf("entry beyond the limits: %q", k)
				}
			}
		}
	})
}

// BenchmarkReadCache10k reads the cache file of 10,000 messages with an
// envelope, a body structure and search fields each (about 1 KB), as the
// first FETCH of a new process does.
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
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		out, err := readCache(f, 1, func(uint32) bool { return true }, 1<<30)
		f.Close()
		if err != nil || len(out) != 10_000 {
			b.Fatal(len(out), err)
		}
	}
}
