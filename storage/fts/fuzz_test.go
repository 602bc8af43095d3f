package fts

import (
	"bytes"
	"testing"
)

// FuzzReadRecords: the reader of index files never panics, allocates
// within its limits, and reads back exactly the good records before any
// damage.
func FuzzReadRecords(f *testing.F) {
	var good []byte
	good = appendRecord(good, recDoc, 1, []uint32{1<<zoneBits | 1, 7<<zoneBits | 3})
	good = appendRecord(good, recTooLarge, 2, nil)
	good = appendRecord(good, recRemoved, 1, nil)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{recDoc, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var again []byte
		n := readRecords(bytes.NewReader(data), func(r *record) {
			again = appendRecord(again, r.kind, r.uid, r.keys)
		})
		if n < 0 || n > int64(len(data)) {
			t.Fatalf("good length %d of %d bytes", n, len(data))
		}
		if !bytes.Equal(again, data[:n]) {
			t.Fatalf("records read back differ from the %d good bytes", n)
		}
		decodeHeader(data)
	})
}
