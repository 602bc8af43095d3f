package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"unsafe"
)

// FuzzReadModSeqFile: the modseq file reader takes any bytes without a
// panic or a runaway allocation, and what it reads back from a file it
// wrote is what was written.
func FuzzReadModSeqFile(f *testing.F) {
	msgs := []Message{{UID: 1, ModSeq: 5, Flags: []string{FlagSeen}}, {UID: 3, ModSeq: 9}}
	runs := []VanishedRun{{First: 2, Last: 2, ModSeq: 7}}
	snap := encodeSnapshot(msgs, runs, 4)
	good := append(encodeHeader(42, uint32(len(snap)), crc(snap), 4096, 9), snap...)
	good = append(good, encodeRecord(recSet, 1, flagHash(nil), 10)...)
	good = append(good, encodeRecord(recExpunged, 3, 3, 11)...)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(good[:45])
	f.Add([]byte(modseqMagic))
	f.Add([]byte{})
	// Out of order and twice, as mailgate never writes it.
	odd := encodeSnapshot([]Message{{UID: 7, ModSeq: 3}, {UID: 2, ModSeq: 4}, {UID: 7, ModSeq: 5}}, nil, 0)
	oddFile := append(encodeHeader(42, uint32(len(odd)), crc(odd), 4096, 9), odd...)
	f.Add(append(oddFile, encodeRecord(recExpunged, 1, 2, 11)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl, err := readModSeqFile(data)
		if tbl == nil {
			t.Fatal("nil table")
		}
		if err != nil && (tbl.count() > 0 || len(tbl.runs) > 0) {
			t.Fatalf("damaged header, yet a table: %v", tbl)
		}
		if len(tbl.runs) > maxVanishedRuns {
			t.Fatalf("%d runs kept", len(tbl.runs))
		}
		if err == nil && !tbl.tableLost {
			ref := referenceTable(data, tbl.snapLen)
			if tbl.count() != len(ref) {
				t.Fatalf("%d messages, the plain reading has %d", tbl.count(), len(ref))
			}
			for uid, want := range ref {
				if got, ok := tbl.get(uid); !ok || got != want {
					t.Fatalf("UID %d: %+v %v, want %+v", uid, got, ok, want)
				}
			}
		}
	})
}

// referenceTable reads the messages of a modseq file whose header and
// snapshot are sound the plain way, into a map, entry by entry and
// record by record, to check the reader's merged table against.
func referenceTable(data []byte, snapLen uint32) map[uint32]modseqEntry {
	be := binary.BigEndian
	m := make(map[uint32]modseqEntry)
	snap := data[modseqHeaderLen : modseqHeaderLen+int(snapLen)]
	n := be.Uint32(snap[8:])
	for i := range int(n) {
		e := snap[12+16*i:]
		m[be.Uint32(e)] = modseqEntry{modseq: be.Uint64(e[4:]), hash: be.Uint32(e[12:])}
	}
	for pos := modseqHeaderLen + int(snapLen); pos+modseqRecordLen <= len(data); pos += modseqRecordLen {
		r := data[pos : pos+modseqRecordLen]
		if crc32.ChecksumIEEE(r[:20]) != be.Uint32(r[20:]) {
			continue
		}
		a, b := be.Uint32(r[4:]), be.Uint32(r[8:])
		switch r[0] {
		case recSet:
			m[a] = modseqEntry{modseq: be.Uint64(r[12:]), hash: b}
		case recExpunged:
			for uid := range m {
				if uid >= a && uid <= b {
					delete(m, uid)
				}
			}
		}
	}
	return m
}

func crc(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// TestReadModSeqFileRoundTrip: snapshot, then log records on top.
func TestReadModSeqFileRoundTrip(t *testing.T) {
	msgs := []Message{{UID: 1, ModSeq: 5, Flags: []string{FlagSeen}}, {UID: 3, ModSeq: 9}}
	snap := encodeSnapshot(msgs, nil, 0)
	data := append(encodeHeader(42, uint32(len(snap)), crc(snap), 4096, 9), snap...)
	data = append(data, encodeRecord(recSet, 1, flagHash(nil), 10)...)
	data = append(data, 0, 0, 0) // a torn record
	tbl, err := readModSeqFile(data)
	if err != nil || tbl.uidValidity != 42 || tbl.ceiling != 4096 || tbl.counter != 9 {
		t.Fatalf("%v %+v", err, tbl)
	}
	if e, _ := tbl.get(1); e.modseq != 10 || e.hash != flagHash(nil) {
		t.Errorf("UID 1: %+v", e)
	}
	if e, _ := tbl.get(3); e.modseq != 9 {
		t.Errorf("UID 3: %+v", e)
	}
	data = append(data[:len(data)-3], encodeRecord(recExpunged, 1, 3, 11)...)
	tbl, _ = readModSeqFile(data)
	if tbl.count() != 0 || len(tbl.runs) != 1 || tbl.runs[0] != (VanishedRun{1, 3, 11}) {
		t.Errorf("after expunge: %+v", tbl)
	}
}

// TestReadModSeqReadError: a read that fails is told to readModSeq's
// caller (readErr), not taken for a torn file, whose table would be
// read without what could not be read.
func TestReadModSeqReadError(t *testing.T) {
	msgs := []Message{{UID: 1, ModSeq: 5}, {UID: 3, ModSeq: 9}}
	snap := encodeSnapshot(msgs, nil, 0)
	data := append(encodeHeader(42, uint32(len(snap)), crc(snap), 4096, 9), snap...)
	data = append(data, encodeRecord(recSet, 1, flagHash(nil), 10)...)
	for _, at := range []int64{0, modseqHeaderLen + 20, int64(len(data)) - 1} {
		r := &readErr{r: failingAt{bytes.NewReader(data), at}}
		readModSeqAt(r, int64(len(data)))
		if r.err == nil {
			t.Errorf("a read failing at %d: no error kept", at)
		}
	}
	r := &readErr{r: bytes.NewReader(data)}
	if tbl, err := readModSeqAt(r, int64(len(data))); err != nil || r.err != nil || tbl.tableLost || len(tbl.snap) != 2 {
		t.Fatalf("intact: %v %v %+v", err, r.err, tbl)
	}
}

// failingAt is an io.ReaderAt whose reads of byte at, or beyond, fail.
type failingAt struct {
	r  io.ReaderAt
	at int64
}

func (f failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		return 0, errors.New("input/output error")
	}
	return f.r.ReadAt(p, off)
}

// TestSnapEntrySize: the table holds one snapEntry per message of the
// snapshot, as compact as the file's 16 bytes.
func TestSnapEntrySize(t *testing.T) {
	if got := unsafe.Sizeof(snapEntry{}); got != 16 {
		t.Fatalf("snapEntry takes %d bytes, want 16", got)
	}
}

// TestVanishedRingIsBounded: beyond maxVanishedRuns the oldest runs go and
// the floor says up to where the list is incomplete.
func TestVanishedRingIsBounded(t *testing.T) {
	var runs []VanishedRun
	var floor uint64
	for i := 1; i <= maxVanishedRuns+10; i++ {
		runs, floor = addVanished(runs, floor, VanishedRun{First: uint32(2 * i), Last: uint32(2 * i), ModSeq: uint64(i)})
	}
	if len(runs) != maxVanishedRuns || floor != 10 || runs[0].ModSeq != 11 {
		t.Errorf("%d runs, floor %d, oldest %d", len(runs), floor, runs[0].ModSeq)
	}
}

// BenchmarkReadModSeqFile measures reading the modseq file of a mailbox
// of 10,000 messages whose log holds 1,000 flag changes, as the first
// command after a cold SELECT does.
func BenchmarkReadModSeqFile(b *testing.B) {
	msgs := make([]Message, 10_000)
	for i := range msgs {
		msgs[i] = Message{UID: uint32(i + 1), ModSeq: uint64(i + 1), Flags: []string{FlagSeen}}
	}
	snap := encodeSnapshot(msgs, nil, 0)
	data := encodeHeader(1, uint32(len(snap)), crc32.ChecksumIEEE(snap), 20_000, 11_000)
	data = append(data, snap...)
	for i := range 1000 {
		data = append(data, encodeRecord(recSet, uint32(i*7%10_000+1), 1, uint64(10_001+i))...)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if t, err := readModSeqFile(data); err != nil || len(t.log) == 0 {
			b.Fatal(err)
		}
	}
}

// TestHeaderCRC: the byte-at-a-time checksum of modseq headers is
// crc32.ChecksumIEEE, so files written before and after it agree.
func TestHeaderCRC(t *testing.T) {
	for _, b := range [][]byte{nil, {0}, []byte(modseqMagic), encodeHeader(42, 7, 9, 4096, 9)[:36], make([]byte, 200)} {
		if got, want := headerCRC(b), crc32.ChecksumIEEE(b); got != want {
			t.Errorf("headerCRC(%x) = %08x, want %08x", b, got, want)
		}
	}
}
