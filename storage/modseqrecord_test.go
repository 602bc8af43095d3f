package storage

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// TestAppendRecord checks that records appended one after another into
// one buffer are those encodeRecord makes, each with the CRC of its own
// bytes only.
func TestAppendRecord(t *testing.T) {
	buf := []byte("prefix")
	var want []byte
	want = append(want, buf...)
	for k, r := range []struct {
		kind   byte
		a, b   uint32
		modseq uint64
	}{{recSet, 1, flagHash([]string{FlagSeen}), 10}, {recExpunged, 3, 9, 11}, {recSet, 1 << 31, 0, 1 << 40}} {
		buf = appendRecord(buf, r.kind, r.a, r.b, r.modseq)
		want = append(want, encodeRecord(r.kind, r.a, r.b, r.modseq)...)
		rec := buf[len(buf)-modseqRecordLen:]
		if got := binary.BigEndian.Uint32(rec[modseqRecordLen-4:]); got != crc32.ChecksumIEEE(rec[:modseqRecordLen-4]) {
			t.Fatalf("record %d: CRC %08x is not its bytes'", k, got)
		}
	}
	if !bytes.Equal(buf, want) {
		t.Fatalf("appended %x\nwant     %x", buf, want)
	}
}
