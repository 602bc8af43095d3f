package fts

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// TestLazyLogRewrittenInPlace: after an open leaves the log's messages
// aside, the log is rewritten in place (same inode, same size: O_TRUNC
// then write, as cp or a restore does) with a record of the same UID at
// the same offset but other keys (shorter, padded to the old size so
// that the catch-up sees nothing new). The first search must not invert
// keys the open never saw: the record's checksum tells them apart.
// Message 14 holds "n014".
func TestLazyLogRewrittenInPlace(t *testing.T) {
	path := lazyIndex(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Open(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	// The log: header, record 13, record 14. Rebuild it with 14's keys
	// taken from another text whose record has the same length.
	var rec13 []byte
	readRecords(bytes.NewReader(orig[headerSize:]), func(r *record) {
		if r.uid == 13 {
			rec13 = appendRecord(nil, recDoc, 13, r.keys)
		}
	})
	var b []byte
	for i := 0; i < 1000; i++ {
		keys := docKeys(&Doc{Text: []byte(fmt.Sprintf("common words q%03d", i))}, nil)
		b = append(append(append([]byte(nil), orig[:headerSize]...), rec13...), appendRecord(nil, recDoc, 14, keys)...)
		if len(b) <= len(orig) {
			break
		}
	}
	if len(b) > len(orig) {
		t.Skip("no replacement short enough")
	}
	b = append(b, make([]byte, len(orig)-len(b))...)     // the same size: no catch-up
	if err := os.WriteFile(path, b, 0o600); err != nil { // same inode
		t.Fatal(err)
	}
	// Noticed, the index cannot narrow (nil); narrowing, it must keep
	// message 14.
	if f := x.Filter("n014", Text); f != nil && !f.May(14) {
		t.Fatalf("Filter(n014) rules out message 14, which holds it (keys re-read from a rewritten log)")
	}
}
