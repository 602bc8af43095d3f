package fts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// lazyIndex writes an index of 12 messages merged into a segment, and
// messages 13 and 14 in the log after it, and returns its path.
func lazyIndex(t *testing.T) string {
	t.Helper()
	defer func(n int) { mergeDocs = n }(mergeDocs)
	mergeDocs = 10
	x, path := openTemp(t, 4)
	for i := range 14 {
		x.Add(uint32(i+1), &Doc{Text: []byte(fmt.Sprintf("common words and number n%03d", i+1))})
		if i == 11 {
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(); st.Trigrams == 0 || st.TailMessages != 2 {
		t.Fatalf("not a segment and a log: %+v", st)
	}
	x.Close()
	return path
}

// editDir changes the segment's directory with edit and writes the
// tables' and the header's CRCs again, so that only the directory's own
// checks can find what was done.
func editDir(t *testing.T, path string, edit func(dir []byte)) {
	t.Helper()
	seg, err := os.ReadFile(path + ".seg")
	if err != nil {
		t.Fatal(err)
	}
	docs, nAlways := binary.BigEndian.Uint32(seg[20:]), binary.BigEndian.Uint32(seg[24:])
	tabOff := binary.BigEndian.Uint64(seg[32:])
	edit(seg[tabOff+4*uint64(docs+nAlways):])
	binary.BigEndian.PutUint32(seg[40:], crc32.Checksum(seg[tabOff:], fsutil.Castagnoli()))
	binary.BigEndian.PutUint32(seg[44:], crc32.Checksum(seg[:44], fsutil.Castagnoli()))
	if err := os.WriteFile(path+".seg", seg, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLazyDamagedDirectory: a segment whose UID tables are good but
// whose directory is not opens (its messages are known), and the first
// search finds the damage: it does not narrow, and the index is started
// again. Damage the tables' CRC catches is found at open.
func TestLazyDamagedDirectory(t *testing.T) {
	tests := []struct {
		name string
		edit func(t *testing.T, path string)
		// known: whether the open still trusts the segment's UIDs.
		known bool
	}{
		{"trigrams out of order", func(t *testing.T, path string) {
			editDir(t, path, func(dir []byte) { copy(dir[segEntrySize:], dir[:4]) })
		}, true},
		{"a list beyond the lists", func(t *testing.T, path string) {
			editDir(t, path, func(dir []byte) { binary.BigEndian.PutUint64(dir[4:], 1<<40) })
		}, true},
		{"an ordinal beyond the messages", func(t *testing.T, path string) {
			editDir(t, path, func(dir []byte) { binary.BigEndian.PutUint32(dir[16:], 1000) })
		}, true},
		{"a trigram beyond 24 bits", func(t *testing.T, path string) {
			editDir(t, path, func(dir []byte) {
				binary.BigEndian.PutUint32(dir[len(dir)-segEntrySize:], 1<<24)
			})
		}, true},
		{"a byte of the directory flipped", func(t *testing.T, path string) {
			seg, _ := os.ReadFile(path + ".seg")
			seg[len(seg)-3] ^= 1
			os.WriteFile(path+".seg", seg, 0o600)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := lazyIndex(t)
			tt.edit(t, path)
			x, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if got := x.Known(5); got != tt.known || !x.Known(13) {
				t.Fatalf("Known(5) %v, Known(13) %v; want %v, true", got, x.Known(13), tt.known)
			}
			f := x.Filter("n005", Text)
			if tt.known && f != nil {
				t.Fatalf("a damaged directory narrowed the search to %d", f.Count())
			}
			if !f.May(5) {
				t.Fatalf("message 5 was ruled out")
			}
			if tt.known {
				if x.Filter("words", Text); x.Len() != 0 {
					t.Errorf("the damaged index was kept: %d messages", x.Len())
				}
			}
		})
	}
}

// TestLazyDirectoryChangedAfterOpen: a directory changed on disk after
// the open checked the tables' CRC is caught when it is read.
func TestLazyDirectoryChangedAfterOpen(t *testing.T) {
	path := lazyIndex(t)
	x, err := Open(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	f, err := os.OpenFile(path+".seg", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	f.WriteAt([]byte{0xff}, st.Size()-3)
	f.Close()
	if f := x.Filter("n005", Text); f != nil {
		t.Fatalf("a directory changed after the open narrowed the search to %d", f.Count())
	}
}

// TestLazyLog: the log's messages are inverted when first needed, from
// the records the open read, whatever happened meanwhile: a torn last
// record, records another process appended, a message added here, a
// merge; a log changed under the index is never used to narrow.
func TestLazyLog(t *testing.T) {
	torn := func(t *testing.T, path string) {
		b, _ := os.ReadFile(path)
		b = appendRecord(b, recDoc, 15, docKeys(&Doc{Text: []byte("torn n015")}, nil))
		os.WriteFile(path, b[:len(b)-2], 0o600)
	}
	tests := []struct {
		name   string
		before func(t *testing.T, path string)           // before the open
		after  func(t *testing.T, path string, x *Index) // after it, before the search
		want   map[string][]uint32                       // candidates of 1..16 by needle; nil: no narrowing
	}{
		{"as written", nil, nil, map[string][]uint32{"n013": {13, 15, 16}, "n003": {3, 15, 16}}},
		{"a torn last record", torn, nil, map[string][]uint32{"n013": {13, 15, 16}, "n015": {15, 16}}},
		{"another process appends", torn, func(t *testing.T, path string, x *Index) {
			y, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer y.Close()
			y.Add(15, &Doc{Text: []byte("later n015")})
			y.Add(16, &Doc{TooLarge: true})
			if err := y.Flush(); err != nil {
				t.Fatal(err)
			}
			if !x.Known(13) || x.Known(15) {
				t.Fatalf("before a catch-up: Known(13) %v, Known(15) %v", x.Known(13), x.Known(15))
			}
		}, map[string][]uint32{"n013": {13, 16}, "n015": {15, 16}, "n003": {3, 16}}},
		{"a message added here", nil, func(t *testing.T, path string, x *Index) {
			x.Add(15, &Doc{Text: []byte("here n015")})
		}, map[string][]uint32{"n013": {13, 16}, "n015": {15, 16}}},
		{"merged before any search", nil, func(t *testing.T, path string, x *Index) {
			if err := x.Merge(); err != nil {
				t.Fatal(err)
			}
			if st := x.Stats(); st.TailMessages != 0 {
				t.Fatalf("not merged: %+v", st)
			}
		}, map[string][]uint32{"n013": {13, 15, 16}, "n014": {14, 15, 16}, "n003": {3, 15, 16}}},
		{"the log changed under it", nil, func(t *testing.T, path string, x *Index) {
			b, _ := os.ReadFile(path)
			b[len(b)-6] ^= 0x40
			os.WriteFile(path, b, 0o600)
		}, map[string][]uint32{"n013": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := lazyIndex(t)
			if tt.before != nil {
				tt.before(t, path)
			}
			x, err := Open(path, 4)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if x.Len() != 14 || x.Stats().TailPostings == 0 {
				t.Fatalf("opened: %d messages, %+v", x.Len(), x.Stats())
			}
			if tt.after != nil {
				tt.after(t, path, x)
			}
			for needle, want := range tt.want {
				f := x.Filter(needle, Text)
				if want == nil {
					if f != nil {
						t.Errorf("Filter(%q) narrowed to %d, want nil", needle, f.Count())
					}
					continue
				}
				var got []uint32
				for uid := uint32(1); uid <= 16; uid++ {
					if f.May(uid) {
						got = append(got, uid)
					}
				}
				if !equalUIDs(got, want) {
					t.Errorf("Filter(%q): %v, want %v", needle, got, want)
				}
			}
		})
	}
}

// FuzzLazyLog: whatever the log holds, an open that leaves the log's
// messages aside, then inverts them when needed, ends with the memory of
// one that took each record as it read it.
func FuzzLazyLog(f *testing.F) {
	var good []byte
	good = appendRecord(good, recDoc, 1, []uint32{1<<zoneBits | 1, 7<<zoneBits | 3})
	good = appendRecord(good, recTooLarge, 2, nil)
	good = appendRecord(good, recDoc, 3, []uint32{7<<zoneBits | 2, 9<<zoneBits | 1})
	good = appendRecord(good, recRemoved, 1, nil)
	good = appendRecord(good, recDoc, 1, []uint32{8<<zoneBits | 1})
	good = appendRecord(good, recDoc, 4, []uint32{7<<zoneBits | 1})
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		path := t.TempDir() + "/x.fts"
		if err := os.WriteFile(path, append(encodeHeader(1, 2), data...), 0o600); err != nil {
			t.Fatal(err)
		}
		x, err := Open(path, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		eager := &Index{ords: make(map[uint32]int32), tail: newTail()}
		readRecords(bytes.NewReader(data), func(r *record) { eager.applyLocked(r, -1) })
		x.mu.Lock()
		defer x.mu.Unlock()
		if err := x.loadLocked(); err != nil {
			t.Fatalf("the log as read: %v", err)
		}
		x.tail.invert()
		eager.tail.invert()
		if !slices.Equal(x.uids, eager.uids) || !slices.Equal(x.always, eager.always) || x.tail.postings != eager.tail.postings {
			t.Fatalf("lazy: %v %v %d postings; eager: %v %v %d", x.uids, x.always, x.tail.postings, eager.uids, eager.always, eager.tail.postings)
		}
		for tri := range eager.tail.idx {
			if l, e := x.tail.list(tri), eager.tail.list(tri); l == nil || !bytes.Equal(l.b, e.b) || l.last != e.last {
				t.Fatalf("trigram %d: lazy %v, eager %v", tri, l, e)
			}
		}
		if len(x.tail.idx) != len(eager.tail.idx) {
			t.Fatalf("lazy has %d trigrams, eager %d", len(x.tail.idx), len(eager.tail.idx))
		}
	})
}
