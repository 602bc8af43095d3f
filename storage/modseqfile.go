package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// ModSeqFiler is an optional interface of a Folder: where the core keeps
// the mailbox's modification sequences (RFC 7162 CONDSTORE), beside the
// messages. A folder without it gets modseqs that live only in memory,
// and the frontends report NOMODSEQ for it.
type ModSeqFiler interface {
	ModSeqFile() string
}

// The modseq file, shared by every mailgate process that opens the
// mailbox and updated in place under an exclusive flock(2) on the file
// itself (never replaced by a rename, so that the lock always covers the
// file every process sees):
//
//	header (40 bytes):  "MGMODSQ1" | uidvalidity u32 | snapshot length u32 |
//	                    ceiling u64 | counter u64 | snapshot CRC u32 | header CRC u32
//	snapshot:           floor u64 | n u32 | n × (uid u32, modseq u64, flag hash u32) |
//	                    r u32 | r × (first uid u32, last uid u32, modseq u64)
//	log:                24-byte records appended at each change:
//	                    kind u8, 3 zero bytes | a u32 | b u32 | modseq u64 | CRC u32
//
// The counter is the last modseq handed out by any process; the ceiling
// is a bound reserved in blocks (modseqBlock) and synced to disk before
// any modseq under it is used, so that after a crash or a power cut the
// next modseq is above every one ever handed out: a process that opens
// the mailbox starts above the ceiling. The snapshot is the table folded
// by the last compaction; the log holds what changed since, in modseq
// order: kind 1 sets message a's modseq (b is the hash of its flags);
// kind 2 records that UIDs a to b were expunged. A torn record at the end
// is ignored; a damaged snapshot loses the table (every message then gets
// a new modseq, a full answer) but never the ceiling.
const (
	modseqMagic     = "MGMODSQ1"
	modseqHeaderLen = 40
	modseqRecordLen = 24
	// modseqBlock is how many modseqs are reserved at a time.
	modseqBlock = 4096
	// maxVanishedRuns bounds the expunged UID runs remembered for
	// QRESYNC; older ones are forgotten, and a client that asks about
	// them gets every UID not present (RFC 7162 section 3.2.5.1 allows
	// it) instead of the exact list.
	maxVanishedRuns = 8192
	// Bounds that keep a damaged or hostile file from costing much.
	maxModSeqMessages = 1 << 24
	// maxModSeqLog is how many log records are read at most: a log is
	// folded into the snapshot once it holds more than the mailbox's
	// messages and compactAfter (see writeChangeLocked).
	maxModSeqLog = maxModSeqMessages + compactAfter
)

const (
	recSet      byte = 1
	recExpunged byte = 2
)

// modseqEntry is what the file knows of one message.
type modseqEntry struct {
	modseq uint64
	hash   uint32
}

// VanishedRun is a run of UIDs expunged together, at ModSeq.
type VanishedRun struct {
	First, Last uint32
	ModSeq      uint64
}

// modseqTable is a modseq file as read.
//
// The snapshot's entries stay a slice in ascending UID order, as the file
// holds them, so that a process opening a large mailbox matches them with
// its messages in one pass instead of building a map of every message;
// the log, usually short, is a map over them.
type modseqTable struct {
	uidValidity uint32
	ceiling     uint64
	counter     uint64
	snap        []snapEntry         // ascending UID
	snapGone    []bool              // by index in snap: expunged by the log; nil while none is
	log         map[uint32]logEntry // set or expunged by the log; wins over snap
	runs        []VanishedRun       // ascending modseq
	floor       uint64              // expunges at or below it are forgotten
	snapLen     uint32
	snapCRC     uint32
	records     int   // log records read
	end         int64 // where the next record goes
	tableLost   bool  // the snapshot was damaged
}

// snapEntry is one message of the snapshot: 16 bytes, as in the file (a
// nested modseqEntry and a flag took 24), since a mailbox's first command
// after a restart reads one per message. Whether the log expunged it is
// in modseqTable.snapGone.
type snapEntry struct {
	uid    uint32
	hash   uint32
	modseq uint64
}

func (e snapEntry) entry() modseqEntry { return modseqEntry{modseq: e.modseq, hash: e.hash} }

// gone reports whether the log expunged the message of snap[i].
func (t *modseqTable) gone(i int) bool { return t.snapGone != nil && t.snapGone[i] }

// logEntry is what the log says of one message.
type logEntry struct {
	modseqEntry
	gone    bool // expunged after it was set
	matched bool // found on disk (loadModSeqsLocked)
}

// reset empties the table of messages and expunges.
func (t *modseqTable) reset() {
	t.snap, t.snapGone, t.log, t.runs, t.floor = nil, nil, make(map[uint32]logEntry), nil, 0
}

// get returns what the table knows of uid.
func (t *modseqTable) get(uid uint32) (modseqEntry, bool) {
	if e, ok := t.log[uid]; ok {
		return e.modseqEntry, !e.gone
	}
	i, ok := slices.BinarySearchFunc(t.snap, uid, func(e snapEntry, uid uint32) int { return cmpUID(e.uid, uid) })
	if !ok || t.gone(i) {
		return modseqEntry{}, false
	}
	return t.snap[i].entry(), true
}

// count returns how many messages the table knows, expunged ones left
// out.
func (t *modseqTable) count() int {
	n := 0
	for i := range t.snap {
		if _, inLog := t.log[t.snap[i].uid]; !t.gone(i) && !inLog {
			n++
		}
	}
	for _, e := range t.log {
		if !e.gone {
			n++
		}
	}
	return n
}

func cmpUID(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// errModSeqHeader means the file's header is missing or damaged.
var errModSeqHeader = errors.New("modseq file header is damaged")

// readModSeqFile parses a modseq file held in memory (tests, the fuzzer):
// see readModSeqAt.
func readModSeqFile(data []byte) (*modseqTable, error) {
	return readModSeqAt(bytes.NewReader(data), int64(len(data)))
}

// readModSeqAt parses the modseq file of size bytes that r holds. With a
// damaged header it returns errModSeqHeader and a table that knows
// nothing; with a damaged snapshot it returns the header's figures and an
// empty table marked tableLost. The snapshot, most of the file (16 bytes
// a message), is checked and decoded as it passes through a small
// buffer, never held whole beside the table: a mailbox's first command
// after a restart built both, 1.6 MB of file and 2.3 MB of table at
// 100,000 messages. What cannot be read counts as not there (a file
// shrunk meanwhile reads as torn); r may keep the read error for its
// caller (see readErr).
func readModSeqAt(r io.ReaderAt, size int64) (*modseqTable, error) {
	t := &modseqTable{log: make(map[uint32]logEntry)}
	var h [modseqHeaderLen]byte
	if size < modseqHeaderLen {
		return t, errModSeqHeader
	}
	if n, _ := r.ReadAt(h[:], 0); n < len(h) || string(h[:8]) != modseqMagic ||
		headerCRC(h[:36]) != binary.BigEndian.Uint32(h[36:40]) {
		return t, errModSeqHeader
	}
	be := binary.BigEndian
	t.uidValidity = be.Uint32(h[8:])
	t.snapLen = be.Uint32(h[12:])
	t.ceiling = be.Uint64(h[16:])
	t.counter = be.Uint64(h[24:])
	t.snapCRC = be.Uint32(h[32:])
	snapEnd := int64(modseqHeaderLen) + int64(t.snapLen)
	if snapEnd > size || !t.readSnapshot(io.NewSectionReader(r, modseqHeaderLen, int64(t.snapLen))) {
		t.reset()
		t.tableLost = true
		t.end = size
		return t, nil
	}
	// The log, read through a small buffer as the snapshot is, and no
	// further than a mailbox's log grows between two folds: a planted
	// file with a sparse log of terabytes costs a bounded read, never an
	// allocation of its size.
	logLen := min(size-snapEnd, int64(maxModSeqLog)*modseqRecordLen)
	if n := logLen / modseqRecordLen; n > 0 && len(t.log) == 0 {
		// Sized for the log at once rather than grown record by record;
		// a damaged or hostile file gets no larger a map than a few pages.
		t.log = make(map[uint32]logEntry, min(n, 1<<12))
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, snapEnd, logLen), 32<<10)
	var rec [modseqRecordLen]byte
	pos := int64(0)
	for {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			break
		}
		pos += modseqRecordLen
		if crc32.ChecksumIEEE(rec[:20]) != be.Uint32(rec[20:]) {
			continue // a record torn by a power cut: skip it, keep the rest
		}
		t.records++
		t.apply(rec[0], be.Uint32(rec[4:]), be.Uint32(rec[8:]), be.Uint64(rec[12:]))
	}
	t.end = snapEnd + pos
	return t, nil
}

// readSnapshot parses the snapshot section, which r holds (t.snapLen
// bytes), checking it against t.snapCRC; false means it is damaged or
// malformed, and then the table holds part of it. It reads 32 KB at a
// time and decodes each piece in one loop.
func (t *modseqTable) readSnapshot(r io.Reader) bool {
	be := binary.BigEndian
	sum := crc32.NewIEEE()
	r = io.TeeReader(r, sum)
	buf := make([]byte, 32<<10) // a multiple of 16, the size of an entry and of a run
	read := func(p []byte) bool {
		_, err := io.ReadFull(r, p)
		return err == nil
	}
	if t.snapLen < 12 || !read(buf[:12]) {
		return false
	}
	t.floor = be.Uint64(buf)
	n := int(be.Uint32(buf[8:]))
	if n > maxModSeqMessages || uint64(t.snapLen)-12 < uint64(n)*16+4 {
		return false
	}
	t.snap = make([]snapEntry, n)
	sorted := true
	for i := 0; i < n; {
		k := min(n-i, len(buf)/16)
		if !read(buf[:k*16]) {
			return false
		}
		for j := range k {
			b := buf[j*16 : j*16+16]
			e := snapEntry{uid: be.Uint32(b), modseq: be.Uint64(b[4:]), hash: be.Uint32(b[12:])}
			sorted = sorted && (i+j == 0 || e.uid > t.snap[i+j-1].uid)
			t.snap[i+j] = e
		}
		i += k
	}
	if !read(buf[:4]) {
		return false
	}
	runs := int(be.Uint32(buf))
	if runs > maxVanishedRuns || uint64(t.snapLen)-12-uint64(n)*16-4 != uint64(runs)*16 {
		return false
	}
	for i := 0; i < runs; {
		k := min(runs-i, len(buf)/16)
		if !read(buf[:k*16]) {
			return false
		}
		for j := range k {
			b := buf[j*16 : j*16+16]
			t.runs = append(t.runs, VanishedRun{First: be.Uint32(b), Last: be.Uint32(b[4:]), ModSeq: be.Uint64(b[8:])})
		}
		i += k
	}
	// Every byte of the section is read by now (the lengths add up), and
	// so summed.
	if sum.Sum32() != t.snapCRC {
		return false
	}
	if !sorted {
		// Not as mailgate writes it; the last entry of a UID counts.
		slices.SortStableFunc(t.snap, func(x, y snapEntry) int { return cmpUID(x.uid, y.uid) })
		out := t.snap[:0]
		for _, e := range t.snap {
			if len(out) > 0 && out[len(out)-1].uid == e.uid {
				out[len(out)-1] = e
				continue
			}
			out = append(out, e)
		}
		t.snap = out
	}
	return true
}

// apply folds one log record into the table.
func (t *modseqTable) apply(kind byte, a, b uint32, modseq uint64) {
	switch kind {
	case recSet:
		if _, ok := t.log[a]; ok || len(t.log) < maxModSeqMessages {
			t.log[a] = logEntry{modseqEntry: modseqEntry{modseq: modseq, hash: b}}
		}
	case recExpunged:
		if b < a {
			return
		}
		if uint64(b-a) >= uint64(len(t.log)) {
			for uid, e := range t.log {
				if uid >= a && uid <= b && !e.gone {
					e.gone = true
					t.log[uid] = e
				}
			}
		} else {
			for uid := a; ; uid++ {
				if e, ok := t.log[uid]; ok && !e.gone {
					e.gone = true
					t.log[uid] = e
				}
				if uid == b {
					break
				}
			}
		}
		i, _ := slices.BinarySearchFunc(t.snap, a, func(e snapEntry, uid uint32) int { return cmpUID(e.uid, uid) })
		for ; i < len(t.snap) && t.snap[i].uid <= b; i++ {
			if t.snapGone == nil {
				t.snapGone = make([]bool, len(t.snap))
			}
			t.snapGone[i] = true
		}
		t.runs, t.floor = addVanished(t.runs, t.floor, VanishedRun{First: a, Last: b, ModSeq: modseq})
	}
}

// addVanished appends run to runs, forgetting the oldest beyond
// maxVanishedRuns; it returns the runs and the new floor.
func addVanished(runs []VanishedRun, floor uint64, run VanishedRun) ([]VanishedRun, uint64) {
	runs = append(runs, run)
	if over := len(runs) - maxVanishedRuns; over > 0 {
		for _, r := range runs[:over] {
			floor = max(floor, r.ModSeq)
		}
		runs = append(runs[:0:0], runs[over:]...)
	}
	return runs, floor
}

// encodeSnapshot returns the snapshot section for msgs, runs and floor.
func encodeSnapshot(msgs []Message, runs []VanishedRun, floor uint64) []byte {
	be := binary.BigEndian
	b := make([]byte, 0, 16+len(msgs)*16+len(runs)*16)
	b = be.AppendUint64(b, floor)
	b = be.AppendUint32(b, uint32(len(msgs)))
	for i := range msgs {
		b = be.AppendUint32(b, msgs[i].UID)
		b = be.AppendUint64(b, msgs[i].ModSeq)
		b = be.AppendUint32(b, flagHash(msgs[i].Flags))
	}
	b = be.AppendUint32(b, uint32(len(runs)))
	for _, r := range runs {
		b = be.AppendUint32(b, r.First)
		b = be.AppendUint32(b, r.Last)
		b = be.AppendUint64(b, r.ModSeq)
	}
	return b
}

// encodeHeader returns the 40-byte header.
func encodeHeader(uidValidity, snapLen, snapCRC uint32, ceiling, counter uint64) []byte {
	be := binary.BigEndian
	h := make([]byte, 0, modseqHeaderLen)
	h = append(h, modseqMagic...)
	h = be.AppendUint32(h, uidValidity)
	h = be.AppendUint32(h, snapLen)
	h = be.AppendUint64(h, ceiling)
	h = be.AppendUint64(h, counter)
	h = be.AppendUint32(h, snapCRC)
	return be.AppendUint32(h, headerCRC(h))
}

// ieeeBytewise is crc32's IEEE table under another address, so that
// crc32.Update takes its byte-at-a-time path with it. A cold SELECT
// checks only the modseq file's 36-byte header (peekHighestModSeq);
// ChecksumIEEE would first make its slicing-by-8 tables, about 50 µs
// of the process's first SELECT.
var ieeeBytewise = *crc32.IEEETable

// headerCRC returns the CRC-32 (IEEE) of a modseq file's header, the
// same as crc32.ChecksumIEEE.
func headerCRC(h []byte) uint32 { return crc32.Update(0, &ieeeBytewise, h) }

// encodeRecord returns one log record.
func encodeRecord(kind byte, a, b uint32, modseq uint64) []byte {
	return appendRecord(make([]byte, 0, modseqRecordLen), kind, a, b, modseq)
}

// appendRecord appends the record encodeRecord returns to dst: a STORE of
// 10,000 messages logs 10,000 records without a buffer for each.
func appendRecord(dst []byte, kind byte, a, b uint32, modseq uint64) []byte {
	be := binary.BigEndian
	start := len(dst)
	dst = append(dst, kind, 0, 0, 0)
	dst = be.AppendUint32(dst, a)
	dst = be.AppendUint32(dst, b)
	dst = be.AppendUint64(dst, modseq)
	return be.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// timeCeiling is the ceiling used when the real one is lost (a damaged
// header, a file removed from a mailbox that has messages): the time in
// microseconds, far above any counter that blocks of modseqBlock could
// have reached, so that modseqs still go forwards.
func timeCeiling() uint64 { return uint64(time.Now().UnixMicro()) }

// flagHash identifies a message's flags, so that a change made while no
// mailgate process watched is noticed at the next open: FNV-1a (32 bits)
// of each flag followed by a zero byte.
func flagHash(flags []string) uint32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for _, f := range flags {
		for i := 0; i < len(f); i++ {
			h ^= uint32(f[i])
			h *= prime
		}
		h *= prime // the zero byte: h ^= 0 changes nothing
	}
	return h
}

// flagHasher hashes the flags of many messages, once per Flags slice
// where drivers share one slice between messages alike (it remembers
// the last few).
type flagHasher struct {
	slots [8]struct {
		flags []string
		hash  uint32
	}
	next int
}

func (h *flagHasher) sum(flags []string) uint32 {
	if len(flags) == 0 {
		return emptyFlagHash
	}
	for i := range h.slots {
		s := &h.slots[i]
		if len(s.flags) == len(flags) && &s.flags[0] == &flags[0] {
			return s.hash
		}
	}
	s := &h.slots[h.next]
	h.next = (h.next + 1) % len(h.slots)
	s.flags, s.hash = flags, flagHash(flags)
	return s.hash
}

// emptyFlagHash is flagHash(nil).
var emptyFlagHash = flagHash(nil)

// modseqFile is an open, locked modseq file.
type modseqFile struct {
	f     *os.File
	t     *modseqTable
	bad   error // the header was damaged
	empty bool  // the file was new or empty
	// dirUnsynced: the file was new or empty when opened, and its
	// directory entry not yet synced (sync does it once).
	dirUnsynced bool
}

// sync makes what was written to the file durable, and, the first time
// for a file that was new, its name too: on a file system where the
// file's fsync does not cover its directory entry, a power cut could
// otherwise lose the file, and with it the ceiling that keeps the next
// modseqs above those handed out.
func (mf *modseqFile) sync() error {
	if err := mf.f.Sync(); err != nil {
		return err
	}
	if mf.dirUnsynced {
		if err := fsutil.SyncDir(filepath.Dir(mf.f.Name())); err != nil {
			return err
		}
		mf.dirUnsynced = false
	}
	return nil
}

// openModSeqFile opens and locks path and reads it whole.
func openModSeqFile(path string, perm os.FileMode) (*modseqFile, error) {
	f, err := fsutil.OpenLocked(path, perm)
	if err != nil {
		return nil, err
	}
	return readModSeq(f, path)
}

// openModSeqHeader opens and locks path and reads only its header, for
// a change that appends to the log: the table is not needed, and reading
// it would cost as much as the mailbox is large. Where the next record
// goes follows from the file's size (a torn record at the end is
// overwritten).
func openModSeqHeader(path string, perm os.FileMode) (*modseqFile, error) {
	f, err := fsutil.OpenLocked(path, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() < modseqHeaderLen {
		return readModSeq(f, path)
	}
	var h [modseqHeaderLen]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return readModSeq(f, path)
	}
	t, bad := readModSeqFile(h[:])
	if bad != nil {
		return readModSeq(f, path)
	}
	snapEnd := int64(modseqHeaderLen) + int64(t.snapLen)
	if fi.Size() < snapEnd {
		t.tableLost = true
		t.end = fi.Size()
	} else {
		t.records = int((fi.Size() - snapEnd) / modseqRecordLen)
		t.end = snapEnd + int64(t.records)*modseqRecordLen
	}
	t.tableLost = t.tableLost && fi.Size() < snapEnd
	return &modseqFile{f: f, t: t}, nil
}

// readModSeq reads the locked file f.
func readModSeq(f *os.File, path string) (*modseqFile, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("modseq file %s: %w", path, err)
	}
	size := fi.Size()
	r := &readErr{r: f}
	t, bad := readModSeqAt(r, size)
	if r.err != nil {
		f.Close()
		return nil, fmt.Errorf("modseq file %s: %w", path, r.err)
	}
	if bad != nil && size == 0 {
		bad = nil // new
	} else if bad != nil {
		t.ceiling = timeCeiling()
		t.tableLost = true
	}
	return &modseqFile{f: f, t: t, bad: bad, empty: size == 0, dirUnsynced: size == 0}, nil
}

// readErr is an io.ReaderAt that keeps the first error of r other than
// io.EOF: readModSeqAt reads a short file as torn, but a failed read is
// not a torn file.
type readErr struct {
	r   io.ReaderAt
	err error
}

func (r *readErr) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// next hands out the next modseq: above the counter, above floor (what
// the caller already uses) and, when fresh, above the ceiling (a cold
// start, which cannot know what was handed out after the last sync). The
// header is written; a new block is reserved and synced when needed.
func (mf *modseqFile) next(floor uint64, fresh bool) (uint64, error) {
	n, mustSync, err := mf.reserve(floor, fresh)
	if err == nil && mustSync {
		err = mf.sync()
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// reserve is next without its sync: mustSync says that the file must be
// synced before the modseq is used anywhere a client or another process
// can see it (compact's sync does).
func (mf *modseqFile) reserve(floor uint64, fresh bool) (n uint64, mustSync bool, err error) {
	t := mf.t
	n = max(t.counter, floor)
	if fresh {
		n = max(n, t.ceiling)
	}
	n++
	if n > t.ceiling {
		t.ceiling = n + modseqBlock
		mustSync = true
	}
	t.counter = n
	if err := mf.writeHeader(); err != nil {
		return 0, false, err
	}
	return n, mustSync, nil
}

// writeHeader rewrites the header with the table's figures, keeping the
// snapshot's length and checksum.
func (mf *modseqFile) writeHeader() error {
	t := mf.t
	_, err := mf.f.WriteAt(encodeHeader(t.uidValidity, t.snapLen, t.snapCRC, t.ceiling, t.counter), 0)
	return err
}

// append adds records at the end of the log.
func (mf *modseqFile) append(recs []byte) error {
	if len(recs) == 0 {
		return nil
	}
	if _, err := mf.f.WriteAt(recs, mf.t.end); err != nil {
		return err
	}
	mf.t.end += int64(len(recs))
	mf.t.records += len(recs) / modseqRecordLen
	return nil
}

// compact rewrites the file in place with msgs, runs and floor as its
// snapshot and no log: snapshot first, then the header that vouches for
// it, then a sync. A crash in between leaves a snapshot whose checksum
// does not match: the table is lost, the ceiling is not.
//
// sync false leaves out the sync: for a caller whose ceiling is on disk
// already (a lost snapshot loses only the table, whose messages then get
// modseqs above that ceiling).
func (mf *modseqFile) compact(uidValidity uint32, msgs []Message, runs []VanishedRun, floor uint64, sync bool) error {
	snap := encodeSnapshot(msgs, runs, floor)
	if _, err := mf.f.WriteAt(snap, modseqHeaderLen); err != nil {
		return err
	}
	if err := mf.f.Truncate(int64(modseqHeaderLen + len(snap))); err != nil {
		return err
	}
	t := mf.t
	t.uidValidity, t.snapLen = uidValidity, uint32(len(snap))
	t.snapCRC = crc32.ChecksumIEEE(snap)
	t.end, t.records = int64(modseqHeaderLen+len(snap)), 0
	h := encodeHeader(uidValidity, t.snapLen, t.snapCRC, t.ceiling, t.counter)
	if _, err := mf.f.WriteAt(h, 0); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	return mf.sync()
}

// close releases the lock.
func (mf *modseqFile) close() { mf.f.Close() }

// runsOf groups ascending UIDs into runs of consecutive ones.
func runsOf(uids []uint32, modseq uint64) []VanishedRun {
	var out []VanishedRun
	for _, uid := range uids {
		if n := len(out); n > 0 && out[n-1].Last+1 == uid {
			out[n-1].Last = uid
			continue
		}
		out = append(out, VanishedRun{First: uid, Last: uid, ModSeq: modseq})
	}
	return out
}

// peekHighestModSeq returns the counter of the modseq file at path, the
// last modseq any process handed out, reading its header only; false
// when the file is missing, new or damaged, or holds no table for
// uidValidity, so that opening the mailbox must read the table whole.
func peekHighestModSeq(path string, perm os.FileMode, uidValidity uint32) (uint64, bool) {
	mf, err := openModSeqHeader(path, perm)
	if err != nil {
		return 0, false
	}
	defer mf.close()
	t := mf.t
	if mf.bad != nil || mf.empty || t.tableLost || t.snapLen == 0 || t.uidValidity != uidValidity || t.counter == 0 {
		return 0, false
	}
	return t.counter, true
}
