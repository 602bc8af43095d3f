package maildir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

var testStamp = dirStamp{
	new: dirState{ino: 7, mtime: 1_700_000_000_000_000_001, ctime: 1_700_000_000_000_000_002},
	cur: dirState{ino: 8, mtime: 1_700_000_000_000_000_003, ctime: -4},
}

// testIndexEntries are messages of every kind an index holds: in new/ and
// cur/, sharing flag letters or not, with an info part that is not "2,",
// and with the longest name a file system allows.
func testIndexEntries() []entry {
	return []entry{
		{uid: 1, inNew: true, name: "1.M1P1.host,u=1", meta: fileMeta{mtime: 1_700_000_000_000_000_000, size: 42}},
		{uid: 5, name: "2.M1P1.host,S=9,W=10,u=5:2,FSa", meta: fileMeta{mtime: 1, size: 10}},
		{uid: 6, name: "3.M1P1.host,a=FO,u=6:2,FSa", meta: fileMeta{mtime: -1, size: 0}},
		{uid: 9, name: "4.M1P1.host,u=9:1,experimental", meta: fileMeta{mtime: 5, size: 1 << 40}},
		{uid: math.MaxUint32 - 1, name: strings.Repeat("x", 251) + ":2,S", meta: fileMeta{mtime: 6, size: 7}},
	}
}

// sealIndex appends the trailer (the names' length, the checksums and
// the length) to body, taking as runs of UIDs, records and names what follows
// the letters as the header announces them (all of it names when the
// header makes no sense).
func sealIndex(body []byte) []byte {
	headAt, namesAt := len(body), len(body)
	if h, err := decodeIndexHeader(body); err == nil {
		p := uint64(indexHeaderSize)
		for i := uint32(0); i < h.sets && p+4 < uint64(len(body)); i++ {
			p += 5 + uint64(body[p+4])
		}
		if p += uint64(h.runs) * indexRunSize; p <= uint64(len(body)) {
			headAt = int(p)
			if p += uint64(h.count) * indexRecordSize; p <= uint64(len(body)) {
				namesAt = int(p)
			}
		}
	}
	b := bytes.Clone(body)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)-namesAt))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(body[:headAt], fsutil.Castagnoli()))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(body[:namesAt], fsutil.Castagnoli()))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(b)+8+4))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, fsutil.Castagnoli()))
}

func TestIndexRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		sets    []string
	}{
		{"empty", nil, nil},
		{"one", testIndexEntries()[1:2], []string{"FSa"}},
		{"every kind", testIndexEntries(), []string{"", "FSa", "S"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := indexHeader{stamp: testStamp, validity: 99, uidNext: math.MaxUint32}
			data, err := encodeIndex(hdr, tt.entries)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := decodeIndex(data)
			if err != nil {
				t.Fatal(err)
			}
			hdr.count, hdr.sets = uint32(len(tt.entries)), uint32(len(tt.sets))
			for i, e := range tt.entries {
				hdr.size += uint64(e.meta.size)
				hdr.inNew = hdr.inNew || e.inNew
				if i == 0 || e.uid != tt.entries[i-1].uid+1 {
					hdr.runs++
				}
			}
			if idx.indexHeader != hdr {
				t.Fatalf("header %+v, want %+v", idx.indexHeader, hdr)
			}
			if strings.Join(idx.letters, "|") != strings.Join(tt.sets, "|") {
				t.Fatalf("letter sets %q, want %q", idx.letters, tt.sets)
			}
			entries := idx.entries()
			if len(entries) != len(tt.entries) {
				t.Fatalf("%d entries, want %d", len(entries), len(tt.entries))
			}
			idx.flags = make([][]string, len(idx.letters))
			for i, l := range idx.letters {
				idx.flags[i] = []string{l}
			}
			msgs := idx.messages()
			for i, e := range entries {
				want := tt.entries[i]
				if e.uid != want.uid || e.inNew != want.inNew || e.name != want.name || e.meta != want.meta {
					t.Errorf("entry %d = %+v, want %+v", i, e, want)
				}
				if got := idx.letters[idx.record(i).set]; got != parseName(want.name).letters() {
					t.Errorf("entry %d has letters %q", i, got)
				}
				if m := msgs[i]; m.UID != want.uid || m.New != want.inNew || m.Size != want.meta.size ||
					m.InternalDate.UnixNano() != want.meta.mtime || m.Flags[0] != parseName(want.name).letters() {
					t.Errorf("message %d = %+v, want %+v", i, m, want)
				}
			}
		})
	}
}

func TestEncodeIndexRefuses(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
	}{
		{"empty name", []entry{{uid: 1}}},
		{"name too long", []entry{{uid: 1, name: strings.Repeat("x", 256)}}},
		{"UIDs out of order", []entry{{uid: 2, name: "a"}, {uid: 1, name: "b"}}},
		{"UID twice", []entry{{uid: 2, name: "a"}, {uid: 2, name: "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := encodeIndex(indexHeader{uidNext: 3}, tt.entries); err == nil {
				t.Fatal("encodeIndex succeeded")
			}
		})
	}
}

// TestDecodeIndexDamaged checks that every kind of damage is refused:
// what a crash or a disk leaves (torn, truncated, flipped bits) through
// the trailer, and what a bug or a hand could write with a good trailer
// through the structure checks.
func TestDecodeIndexDamaged(t *testing.T) {
	entries := testIndexEntries()
	valid, err := encodeIndex(indexHeader{stamp: testStamp, validity: 99, uidNext: math.MaxUint32}, entries)
	if err != nil {
		t.Fatal(err)
	}
	body := valid[:len(valid)-indexTrailerSize]
	idx, err := decodeIndex(valid)
	if err != nil {
		t.Fatal(err)
	}
	uids := indexHeaderSize
	for _, l := range idx.letters {
		uids += 5 + len(l)
	}
	recs := uids + int(idx.runs)*indexRunSize
	names := recs + len(entries)*indexRecordSize
	// rec returns a copy of body with record i's bytes from off changed.
	rec := func(i, off int, b ...byte) []byte {
		c := bytes.Clone(body)
		copy(c[recs+i*indexRecordSize+off:], b)
		return c
	}
	at := func(off int, b ...byte) []byte {
		c := bytes.Clone(body)
		copy(c[off:], b)
		return c
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	if _, err := decodeIndex(sealIndex(body)); err != nil {
		t.Fatalf("sealIndex of the undamaged body: %v", err)
	}

	t.Run("truncated", func(t *testing.T) {
		for n := range len(valid) {
			if _, err := decodeIndex(valid[:n]); !errors.Is(err, errBadIndex) {
				t.Fatalf("cut at %d: %v", n, err)
			}
		}
	})
	t.Run("bit flipped", func(t *testing.T) {
		for i := range len(valid) {
			for bit := range 8 {
				c := bytes.Clone(valid)
				c[i] ^= 1 << bit
				if _, err := decodeIndex(c); !errors.Is(err, errBadIndex) {
					t.Fatalf("byte %d bit %d: %v", i, bit, err)
				}
			}
		}
	})
	tests := []struct {
		name string
		data []byte
	}{
		{"nothing", nil},
		{"garbage appended", append(bytes.Clone(valid), 0)},
		{"torn: a valid file's start twice", append(bytes.Clone(valid[:len(valid)/2]), valid...)},
		{"another version", sealIndex(at(7, '1'))},
		{"not an index", sealIndex([]byte(strings.Repeat("uidnext: 3\n", 20)))},
		{"UIDs out of order", sealIndex(at(uids+indexRunSize, u32(1)...))},
		{"UID zero", sealIndex(at(uids, u32(0)...))},
		{"empty run", sealIndex(at(uids+4, u32(0)...))},
		{"runs overlap", sealIndex(at(uids+indexRunSize+4, u32(4)...))},
		{"runs hold more UIDs than messages", sealIndex(at(uids+4, u32(2)...))},
		{"run past the largest UID", sealIndex(at(uids+3*indexRunSize+4, u32(3)...))},
		{"too many runs", sealIndex(at(indexHeaderSize-4, u32(1<<30)...))},
		{"runs fewer than the head holds", sealIndex(at(indexHeaderSize-4, u32(3)...))},
		{"UID not below uidnext", sealIndex(at(indexHeaderSize-28, u32(math.MaxUint32-1)...))},
		{"letter set out of range", sealIndex(rec(0, 0, 3, 0))},
		{"unknown bits", sealIndex(rec(0, 2, 3))},
		{"empty name", sealIndex(rec(0, 3, 0))},
		{"names shorter than the records say", sealIndex(body[:len(body)-1])},
		{"names left over", sealIndex(rec(4, 3, 254))},
		{"negative size", sealIndex(rec(2, 12, 0, 0, 0, 0, 0, 0, 0, 0x80))},
		{"name with a slash", sealIndex(at(names+2, '/'))},
		{"name with NUL", sealIndex(at(names+2, 0))},
		{"hidden name", sealIndex(at(names, '.'))},
		{"too many messages", sealIndex(at(indexHeaderSize-24, u32(1<<30)...))},
		{"too many letter sets", sealIndex(at(indexHeaderSize-20, u32(1<<20)...))},
		{"letter set past the end", sealIndex(at(indexHeaderSize-20, u32(math.MaxUint32)...))},
		{"size not the records' sum", sealIndex(at(indexHeaderSize-16, 1))},
		{"size above the largest", sealIndex(at(indexHeaderSize-9, 0x80))},
		{"no message in new/ by the header", sealIndex(at(indexHeaderSize-8, 0))},
		{"unknown header bits", sealIndex(at(indexHeaderSize-8, 3))},
		{"a set's first message wrong", sealIndex(at(indexHeaderSize+5+len(idx.letters[0]), u32(9)...))},
		{"sets out of order", sealIndex(rec(0, 0, 1, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeIndex(tt.data); !errors.Is(err, errBadIndex) {
				t.Fatalf("decodeIndex: %v, want errBadIndex", err)
			}
		})
	}
}

// FuzzDecodeIndex feeds decodeIndex any bytes, as they are and with a
// good trailer appended (so that the structure checks behind the checksum
// are reached). It must never panic, and what it accepts must hold
// plain names in ascending UID order and encode back to the same entries.
func FuzzDecodeIndex(f *testing.F) {
	for _, entries := range [][]entry{nil, testIndexEntries()[:1], testIndexEntries()} {
		data, err := encodeIndex(indexHeader{stamp: testStamp, validity: 1, uidNext: math.MaxUint32}, entries)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)-indexTrailerSize])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeIndex(data)
		sealed := sealIndex(data)
		idx, err := decodeIndex(sealed)
		// Reading the head first, the records and the names later, as a
		// Folder does, accepts exactly what reading the whole file
		// accepts.
		tr := decodeIndexTrailer(sealed[len(sealed)-indexTrailerSize:])
		lerr := errBadIndex
		if h, herr := decodeIndexHeader(sealed); herr == nil {
			if headLen, ok := indexHeadLen(uint64(len(sealed)), h, tr); ok {
				namesAt := headLen + uint64(h.count)*indexRecordSize
				var x *index
				x, lerr = decodeIndexHead(sealed[:headLen], tr)
				if lerr == nil {
					// As a summarized Folder reads them: the
					// messages built on the way, the records
					// not kept.
					y, _ := decodeIndexHead(sealed[:headLen], tr)
					y.flags = make([][]string, len(y.letters))
					ymsgs, yerr := y.messagesFrom(bytes.NewReader(sealed[headLen:namesAt]))
					lerr = x.setRecords(sealed[headLen:namesAt])
					if (yerr == nil) != (lerr == nil) {
						t.Fatalf("records as read: %v; whole: %v", yerr, lerr)
					}
					x.flags = y.flags
					if lerr == nil && !slices.EqualFunc(ymsgs, x.messages(), sameMessage) {
						t.Fatalf("messages as read %+v, whole %+v", ymsgs, x.messages())
					}
					if lerr == nil {
						yerr = y.setNames(sealed[namesAt : len(sealed)-indexTrailerSize])
						lerr = x.setNames(sealed[namesAt : len(sealed)-indexTrailerSize])
						if (yerr == nil) != (lerr == nil) || lerr == nil && y.names != x.names {
							t.Fatalf("names after the records as read: %v; after them whole: %v", yerr, lerr)
						}
					}
				}
			}
		}
		if (lerr == nil) != (err == nil) {
			t.Fatalf("in steps: %v; whole: %v", lerr, err)
		}
		if err != nil {
			return
		}
		entries := idx.entries()
		for i, e := range entries {
			if e.uid == 0 || i > 0 && e.uid <= entries[i-1].uid || e.uid >= idx.uidNext {
				t.Fatalf("entry %d: UID %d out of order", i, e.uid)
			}
			if e.name == "" || e.name[0] == '.' || strings.ContainsAny(e.name, "/\x00") {
				t.Fatalf("entry %d: name %q", i, e.name)
			}
			if set := idx.record(i).set; int(set) >= len(idx.letters) {
				t.Fatalf("entry %d: letter set %d of %d", i, set, len(idx.letters))
			}
		}
		idx.flags = make([][]string, len(idx.letters))
		if msgs := idx.messages(); len(msgs) != len(entries) {
			t.Fatalf("%d messages, %d entries", len(msgs), len(entries))
		}
		again, err := encodeIndex(idx.indexHeader, entries)
		if err != nil {
			t.Fatalf("encoding what was decoded: %v", err)
		}
		back, err := decodeIndex(again)
		if err != nil {
			t.Fatalf("decoding what was encoded: %v", err)
		}
		for i, e := range back.entries() {
			o := entries[i]
			if e.uid != o.uid || e.inNew != o.inNew || e.name != o.name || e.meta != o.meta {
				t.Fatalf("entry %d: %+v became %+v", i, o, e)
			}
		}
	})
}
