package maildir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// indexFile keeps the result of a scan, so that a Folder opened later (in
// this process or another) can answer Scan with two stats and one read
// instead of reading new/ and cur/ and learning every file in them. It is
// a cache, never the truth: a Folder uses it only when new/ and cur/ are
// in exactly the state it records and .mu-prop holds the same UID
// counters, and otherwise scans, which writes it anew.
const indexFile = ".mailgate-index"

// indexMagic starts an index file; the version is its last byte.
var indexMagic = [8]byte{'M', 'G', 'M', 'D', 'I', 'D', 'X', '5'}

// The layout of an index file; every integer is little-endian.
//
//	header   magic [8]byte
//	         new/: inode u64, mtime i64, ctime i64 (Unix nanoseconds)
//	         cur/: inode u64, mtime i64, ctime i64
//	         uidvalidity u32, uidnext u32 (as in .mu-prop)
//	         messages u32, letter sets u32
//	         size u64 (the sum of RFC822.SIZE), bits u32 (1: a message
//	         is in new/), runs u32
//	letters  per letter set: the UID of its first message u32, length
//	         u8, the info letters of some names
//	uids     the messages' UIDs, ascending, as runs of consecutive UIDs:
//	         per run, first uid u32, length u32
//	records  per message, in the same order: letter set u16, bits u8
//	         (1: the file is in new/), name length u8, mtime i64
//	         (INTERNALDATE, Unix nanoseconds; the smallest i64 while
//	         not learnt yet, see unknownDate), size i64 (RFC822.SIZE)
//	names    the file names, one after another, in record order
//	trailer  the names' length u32, the CRC-32C of header, letters and
//	         uids u32, the CRC-32C of everything up to the end of the
//	         records u32, the file's length u64, then the CRC-32C of
//	         everything before it u32
//
// Messages that share their flags share a letter set, so that Scan
// decodes each set of flags once and gives those messages one Flags
// slice. The trailer detects a torn or truncated file: the file is
// written without fsync, since losing it loses nothing. The checksums
// are computed on from one another, so that a process reads what it
// needs and checks just that: SELECT reads the head (header, letters
// and the runs of UIDs: a few bytes for most mailboxes) and answers from
// it, since the header
// and the letter sets hold the counts, the size, where each set of flags
// first appears and so the first unseen message; the records are read
// when a command needs the messages, and the names (most of the file)
// when an operation needs the files. The full decoding checks that the
// head agrees with the records.
const (
	indexHeaderSize  = 8 + 6*8 + 4*4 + 8 + 4 + 4
	indexRunSize     = 4 + 4
	indexRecordSize  = 2 + 1 + 1 + 8 + 8
	indexTrailerSize = 4 + 4 + 4 + 8 + 4
	indexInNew       = 1
)

// indexHeader is what an index file says about the state it records.
type indexHeader struct {
	stamp    dirStamp // valid is not stored
	validity uint32
	uidNext  uint32
	count    uint32 // messages
	sets     uint32 // letter sets
	size     uint64 // the messages' RFC822.SIZE summed
	inNew    bool   // some message is in new/
	runs     uint32 // runs of consecutive UIDs
}

// index is a decoded index file.
//
// Decoding checks what it reads but builds nothing per message: Scan
// builds its snapshot straight from the records (messages), and a Folder
// builds its entries (entries) only when an operation needs them, which a
// SELECT does not. A Folder reads the head first (readIndexHead), the
// records when a command needs the messages (loadRecords), the names
// when it needs the files (loadNames).
type index struct {
	indexHeader
	letters []string       // letter sets
	firsts  []uint32       // the UID of each letter set's first message
	flags   [][]string     // what each letter set means; set by the Folder
	uidRuns storage.Ranges // every message's UID, as runs; shared, never changed
	uids    []uint32       // the runs listed, once a record is decoded (uid)
	headLen uint64         // the length of the head: header, letters, runs
	recs    []byte         // the records; nil until read (see loadRecords)
	names   string         // the names; "" until read (see loadNames)
	// nameAt holds where each message's name starts in names, for
	// lookups before the entries are built (nameSpan); nil until one.
	nameAt []uint32
	// nameRead says that one message's name was read alone (readName):
	// a Folder reads the others all at once (loadNames).
	nameRead bool
	// nameLens holds each message's name length, when the messages were
	// built from the records as they were read (recordMessages), which
	// then are not kept: what an open needs of them (see nameLen).
	nameLens []uint8
	// The trailer's: what the rest of the file must be.
	namesLen uint32
	headCRC  uint32
	recsCRC  uint32
	crc      uint32 // the trailer's last checksum
}

// indexRecord is one decoded record.
type indexRecord struct {
	uid     uint32
	set     uint16
	inNew   bool
	nameLen int
	meta    fileMeta
}

// uid returns the UID of message i.
func (x *index) uid(i int) uint32 {
	if x.uids == nil {
		x.listUIDs()
	}
	return x.uids[i]
}

// uidList returns every message's UID, in ascending order.
func (x *index) uidList() []uint32 {
	if x.uids == nil {
		x.listUIDs()
	}
	return x.uids
}

// listUIDs lists the runs of UIDs in x.uids.
func (x *index) listUIDs() {
	x.uids = make([]uint32, 0, x.count)
	for _, r := range x.uidRuns {
		for u := r[0]; ; u++ {
			x.uids = append(x.uids, u)
			if u == r[1] {
				break
			}
		}
	}
}

// record decodes record i; x.recs must be set.
func (x *index) record(i int) indexRecord {
	return x.decodeRecord(i, x.recs[i*indexRecordSize:(i+1)*indexRecordSize])
}

// decodeRecord decodes r, the record of message i.
func (x *index) decodeRecord(i int, r []byte) indexRecord {
	return indexRecord{
		uid:     x.uid(i),
		set:     binary.LittleEndian.Uint16(r),
		inNew:   r[2]&indexInNew != 0,
		nameLen: int(r[3]),
		meta:    fileMeta{mtime: int64(binary.LittleEndian.Uint64(r[4:])), size: int64(binary.LittleEndian.Uint64(r[12:]))},
	}
}

// messages returns the snapshot's messages; x.flags and x.recs must be
// set.
func (x *index) messages() []storage.Message {
	msgs := make([]storage.Message, x.count)
	for i := range msgs {
		msgs[i] = x.record(i).message(x)
	}
	return msgs
}

// messagesFrom is messages for x, whose records r holds and which does
// not keep them: they pass through a 32 KB buffer, are checked as
// setRecords checks them, and only the names' lengths are kept
// (x.nameLens). x.flags must be set. A read that fails is
// errIndexReplaced, a record that is not sound errBadIndex.
func (x *index) messagesFrom(r io.Reader) ([]storage.Message, error) {
	n := uint64(x.count) * indexRecordSize
	buf := make([]byte, min(n, (32<<10)/indexRecordSize*indexRecordSize))
	msgs := make([]storage.Message, x.count)
	lens := make([]uint8, x.count)
	c := x.newRecordCheck()
	sum := x.headCRC
	for i := 0; i < len(msgs); {
		chunk := buf[:min(uint64(len(buf)), uint64(len(msgs)-i)*indexRecordSize)]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, errIndexReplaced // shrunk meanwhile, or unreadable
		}
		sum = crc32.Update(sum, fsutil.Castagnoli(), chunk)
		for ; len(chunk) > 0; i++ {
			rec := chunk[:indexRecordSize]
			if !c.check(i, rec) {
				return nil, errBadIndex
			}
			msgs[i] = x.decodeRecord(i, rec).message(x)
			lens[i] = rec[3]
			chunk = chunk[indexRecordSize:]
		}
	}
	if sum != x.recsCRC || !c.done() {
		return nil, errBadIndex
	}
	x.nameLens = lens
	return msgs, nil
}

// message returns what r says of its message; x.flags must be set.
func (r indexRecord) message(x *index) storage.Message {
	return storage.Message{UID: r.uid, Flags: x.flags[r.set], InternalDate: r.meta.date(), Size: r.meta.size, New: r.inNew}
}

// summary returns what a SELECT needs of the messages of x, whose flags
// must be set, and false when one of them is in new/ (New). It reads the
// head alone: the records need not be read.
func (x *index) summary(validity, uidNext uint32) (storage.Summary, bool) {
	if x.inNew || x.size > math.MaxInt64 {
		return storage.Summary{}, false
	}
	sum := storage.Summary{UIDValidity: validity, UIDNext: uidNext, UIDs: x.uidRuns, Flags: []string{}, Size: int64(x.size)}
	// The sets are numbered in the order they first appear in.
	for set, fl := range x.flags {
		if !slices.Contains(fl, storage.FlagSeen) && (sum.FirstUnseen == 0 || x.firsts[set] < sum.FirstUnseen) {
			sum.FirstUnseen = x.firsts[set]
		}
		for _, f := range fl {
			if !slices.Contains(sum.Flags, f) {
				sum.Flags = append(sum.Flags, f)
			}
		}
	}
	return sum, true
}

// entries returns a Folder's entries, whose flags come from x.flags when
// that is set; x.recs and x.names must be set. The names share x.names.
func (x *index) entries() []entry {
	entries := make([]entry, x.count)
	pos := 0
	for i := range entries {
		r := x.record(i)
		entries[i] = entry{uid: r.uid, inNew: r.inNew, name: x.names[pos : pos+r.nameLen], meta: r.meta}
		if x.flags != nil {
			entries[i].flags = x.flags[r.set]
		}
		pos += r.nameLen
	}
	return entries
}

// position returns where message uid is among x's messages, and false
// when x has none such.
func (x *index) position(uid uint32) (int, bool) {
	return slices.BinarySearch(x.uidList(), uid)
}

// entryAt returns the entry of message i, as entries builds it, whose
// file is name; x.recs must be set.
func (x *index) entryAt(i int, name string) entry {
	r := x.record(i)
	e := entry{uid: r.uid, inNew: r.inNew, name: name, meta: r.meta}
	if x.flags != nil {
		e.flags = x.flags[r.set]
	}
	return e
}

// nameSpan returns where the name of message i starts in the names, and
// its length; x.recs must be set. Once the names are read, the starts of
// all are kept (4 bytes a message, where an entry takes 64), else the
// lengths before it are added up.
func (x *index) nameSpan(i int) (start, n uint64) {
	n = uint64(x.nameLen(i))
	if x.names == "" {
		for j := range i {
			start += uint64(x.nameLen(j))
		}
		return start, n
	}
	if x.nameAt == nil {
		x.nameAt = make([]uint32, x.count)
		pos := uint32(0)
		for j := range x.nameAt {
			x.nameAt[j] = pos
			pos += uint32(x.nameLen(j))
		}
	}
	return uint64(x.nameAt[i]), n
}

// nameLen returns the length of message i's name; x.recs or x.nameLens
// must be set.
func (x *index) nameLen(i int) uint8 {
	if x.recs == nil {
		return x.nameLens[i]
	}
	return x.recs[i*indexRecordSize+3]
}

// errBadIndex means an index file is not ours, is damaged, or was written
// by another version.
var errBadIndex = errors.New("index file is damaged or of another version")

// encodeIndex formats an index file for entries, which are in ascending
// UID order, in the state that hdr records (its counts and sums are
// ignored).
func encodeIndex(hdr indexHeader, entries []entry) ([]byte, error) {
	sets := make(map[string]uint16)
	var letters []string
	var firsts []uint32
	hdr.size, hdr.inNew = 0, false
	size := indexHeaderSize + len(entries)*(indexRunSize+indexRecordSize) + indexTrailerSize
	for i := range entries {
		e := &entries[i]
		if e.name == "" || len(e.name) > math.MaxUint8 {
			return nil, fmt.Errorf("index: file name %q: length %d out of range", e.name, len(e.name))
		}
		if i > 0 && e.uid <= entries[i-1].uid {
			return nil, fmt.Errorf("index: UID %d after %d", e.uid, entries[i-1].uid)
		}
		if e.meta.size < 0 || hdr.size+uint64(e.meta.size) > math.MaxInt64 {
			return nil, fmt.Errorf("index: size %d of %q out of range", e.meta.size, e.name)
		}
		hdr.size += uint64(e.meta.size)
		hdr.inNew = hdr.inNew || e.inNew
		l := parseName(e.name).letters()
		if _, ok := sets[l]; !ok {
			if len(letters) > math.MaxUint16 {
				return nil, errors.New("index: too many sets of flags")
			}
			sets[l] = uint16(len(letters))
			letters = append(letters, l)
			firsts = append(firsts, e.uid)
			size += 4 + 1 + len(l)
		}
		size += len(e.name)
	}

	b := make([]byte, 0, size)
	b = append(b, indexMagic[:]...)
	for _, d := range []dirState{hdr.stamp.new, hdr.stamp.cur} {
		b = binary.LittleEndian.AppendUint64(b, d.ino)
		b = binary.LittleEndian.AppendUint64(b, uint64(d.mtime))
		b = binary.LittleEndian.AppendUint64(b, uint64(d.ctime))
	}
	b = binary.LittleEndian.AppendUint32(b, hdr.validity)
	b = binary.LittleEndian.AppendUint32(b, hdr.uidNext)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entries)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(letters)))
	b = binary.LittleEndian.AppendUint64(b, hdr.size)
	bits := uint32(0)
	if hdr.inNew {
		bits |= indexInNew
	}
	b = binary.LittleEndian.AppendUint32(b, bits)
	runsAt := len(b)
	b = binary.LittleEndian.AppendUint32(b, 0) // the runs, counted below
	for i, l := range letters {
		b = binary.LittleEndian.AppendUint32(b, firsts[i])
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	runs := uint32(0)
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].uid == entries[j-1].uid+1 {
			j++
		}
		b = binary.LittleEndian.AppendUint32(b, entries[i].uid)
		b = binary.LittleEndian.AppendUint32(b, uint32(j-i))
		runs++
		i = j
	}
	binary.LittleEndian.PutUint32(b[runsAt:], runs)
	head := len(b)
	for i := range entries {
		e := &entries[i]
		b = binary.LittleEndian.AppendUint16(b, sets[parseName(e.name).letters()])
		bits := byte(0)
		if e.inNew {
			bits |= indexInNew
		}
		b = append(b, bits, byte(len(e.name)))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.meta.mtime))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.meta.size))
	}
	recs := len(b)
	for i := range entries {
		b = append(b, entries[i].name...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(b)-recs))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[:head], fsutil.Castagnoli()))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[:recs], fsutil.Castagnoli()))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(b)+8+4))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, fsutil.Castagnoli()))
	return b, nil
}

// decodeIndexHeader reads the header at the start of an index file,
// without checking the rest.
func decodeIndexHeader(data []byte) (indexHeader, error) {
	var h indexHeader
	if len(data) < indexHeaderSize || [8]byte(data[:8]) != indexMagic {
		return h, errBadIndex
	}
	p := data[8:indexHeaderSize]
	for _, d := range []*dirState{&h.stamp.new, &h.stamp.cur} {
		d.ino = binary.LittleEndian.Uint64(p)
		d.mtime = int64(binary.LittleEndian.Uint64(p[8:]))
		d.ctime = int64(binary.LittleEndian.Uint64(p[16:]))
		p = p[24:]
	}
	h.validity = binary.LittleEndian.Uint32(p)
	h.uidNext = binary.LittleEndian.Uint32(p[4:])
	h.count = binary.LittleEndian.Uint32(p[8:])
	h.sets = binary.LittleEndian.Uint32(p[12:])
	h.size = binary.LittleEndian.Uint64(p[16:])
	bits := binary.LittleEndian.Uint32(p[24:])
	if bits&^indexInNew != 0 {
		return h, errBadIndex
	}
	h.inNew = bits&indexInNew != 0
	h.runs = binary.LittleEndian.Uint32(p[28:])
	return h, nil
}

// indexTrailer is an index file's trailer.
type indexTrailer struct {
	namesLen uint32
	headCRC  uint32
	recsCRC  uint32
	length   uint64
	crc      uint32
}

func decodeIndexTrailer(b []byte) indexTrailer {
	return indexTrailer{namesLen: binary.LittleEndian.Uint32(b), headCRC: binary.LittleEndian.Uint32(b[4:]),
		recsCRC: binary.LittleEndian.Uint32(b[8:]), length: binary.LittleEndian.Uint64(b[12:]),
		crc: binary.LittleEndian.Uint32(b[20:])}
}

// indexHeadLen returns how long the head (header, letters, UIDs) of an
// index file of size bytes is, whose header is h and trailer tr, and
// false when they do not fit in it.
func indexHeadLen(size uint64, h indexHeader, tr indexTrailer) (uint64, bool) {
	rest := uint64(tr.namesLen) + uint64(h.count)*indexRecordSize + indexTrailerSize
	if tr.length != size || rest > size || size-rest < indexHeaderSize+indexRunSize*uint64(h.runs) {
		return 0, false
	}
	return size - rest, true
}

// decodeIndex reads a whole index file. It checks every checksum, and
// that every count, length and reference lies inside the file, that UIDs
// ascend below uidnext, that the head agrees with the records, and that
// names are plain file names, so that no damage can make a Folder open a
// file outside the maildir.
func decodeIndex(data []byte) (*index, error) {
	if len(data) < indexHeaderSize+indexTrailerSize {
		return nil, errBadIndex
	}
	tr := decodeIndexTrailer(data[len(data)-indexTrailerSize:])
	if tr.crc != crc32.Checksum(data[:len(data)-4], fsutil.Castagnoli()) {
		return nil, errBadIndex
	}
	h, err := decodeIndexHeader(data)
	if err != nil {
		return nil, err
	}
	headLen, ok := indexHeadLen(uint64(len(data)), h, tr)
	if !ok {
		return nil, errBadIndex
	}
	x, err := decodeIndexHead(data[:headLen], tr)
	if err != nil {
		return nil, err
	}
	namesAt := int(headLen) + int(h.count)*indexRecordSize
	if err := x.setRecords(data[headLen:namesAt]); err != nil {
		return nil, err
	}
	if err := x.setNames(data[namesAt : namesAt+int(tr.namesLen)]); err != nil {
		return nil, err
	}
	return x, nil
}

// decodeIndexHead reads an index file's header, letters and UIDs, head,
// which the trailer tr says are followed by records and names it does
// not check. The index it returns has neither: setRecords and setNames
// give them.
func decodeIndexHead(head []byte, tr indexTrailer) (*index, error) {
	h, err := decodeIndexHeader(head)
	if err != nil || tr.headCRC != crc32.Checksum(head, fsutil.Castagnoli()) {
		return nil, errBadIndex
	}
	p := head[indexHeaderSize:]
	if uint64(h.sets) > math.MaxUint16+1 || uint64(h.sets) > uint64(len(p)) || h.size > math.MaxInt64 {
		return nil, errBadIndex
	}
	letters := make([]string, h.sets)
	firsts := make([]uint32, h.sets)
	for i := range letters {
		if len(p) < 5 || len(p) < 5+int(p[4]) {
			return nil, errBadIndex
		}
		firsts[i] = binary.LittleEndian.Uint32(p)
		letters[i] = string(p[5 : 5+int(p[4])])
		p = p[5+int(p[4]):]
	}
	if uint64(h.runs)*indexRunSize != uint64(len(p)) || h.runs > h.count {
		return nil, errBadIndex
	}
	// The runs ascend, each beyond the last, and hold count UIDs in all;
	// they are checked before any UID is expanded.
	// The UIDs are listed only when a record is decoded (uid): a SELECT
	// answered from the head needs the runs alone.
	prev, total := uint64(0), uint64(0)
	runs := make(storage.Ranges, 0, h.runs)
	for rest := p; len(rest) > 0; rest = rest[indexRunSize:] {
		first, n := uint64(binary.LittleEndian.Uint32(rest)), uint64(binary.LittleEndian.Uint32(rest[4:]))
		if first <= prev || n == 0 || first+n-1 > math.MaxUint32 {
			return nil, errBadIndex
		}
		prev, total = first+n-1, total+n
		runs = append(runs, [2]uint32{uint32(first), uint32(prev)})
	}
	if total != uint64(h.count) {
		return nil, errBadIndex
	}
	x := &index{indexHeader: h, letters: letters, firsts: firsts, uidRuns: runs, headLen: uint64(len(head)),
		namesLen: tr.namesLen, headCRC: tr.headCRC, recsCRC: tr.recsCRC, crc: tr.crc}
	if h.count > 0 && uint64(h.uidNext) <= prev {
		return nil, errBadIndex
	}
	return x, nil
}

// setRecords checks recs, read from the file x was read from, against
// the trailer's checksum, their fields, and that the head summarizes
// them truly (sizes, new/, each set's first message), before x takes
// them.
func (x *index) setRecords(recs []byte) error {
	if uint64(len(recs)) != uint64(x.count)*indexRecordSize ||
		crc32.Update(x.headCRC, fsutil.Castagnoli(), recs) != x.recsCRC {
		return errBadIndex
	}
	c := x.newRecordCheck()
	for i := range int(x.count) {
		if !c.check(i, recs[i*indexRecordSize:(i+1)*indexRecordSize]) {
			return errBadIndex
		}
	}
	if !c.done() {
		return errBadIndex
	}
	x.recs = recs
	return nil
}

// recordCheck checks x's records one by one, in order (setRecords, and
// recordMessages as they are read), against the head: each record's
// fields, each letter set's first message, the sizes, new/ and the
// names' length summed.
type recordCheck struct {
	x         *index
	used      []bool
	pos, size uint64
	inNew     bool
}

func (x *index) newRecordCheck() *recordCheck {
	return &recordCheck{x: x, used: make([]bool, x.sets)}
}

// check checks record i, r; false when it is not sound.
func (c *recordCheck) check(i int, r []byte) bool {
	x := c.x
	set := binary.LittleEndian.Uint16(r)
	sz := binary.LittleEndian.Uint64(r[12:])
	if uint32(set) >= x.sets || r[2]&^indexInNew != 0 || r[3] == 0 || sz > math.MaxInt64-c.size {
		return false
	}
	if !c.used[set] {
		// Sets are numbered in the order they first appear in.
		if x.firsts[set] != x.uid(i) || set > 0 && !c.used[set-1] {
			return false
		}
		c.used[set] = true
	}
	c.pos += uint64(r[3])
	c.size += sz
	c.inNew = c.inNew || r[2]&indexInNew != 0
	return true
}

// done reports whether the records checked, all of them, agree with the
// head.
func (c *recordCheck) done() bool {
	x := c.x
	return c.pos == uint64(x.namesLen) && c.size == x.size && c.inNew == x.inNew && (x.sets == 0 || c.used[x.sets-1])
}

// setNames checks names, read from the file x was read from, against the
// trailer's checksum, and that they are plain file names, before x takes
// them; x.recs (or x.nameLens) must be set.
func (x *index) setNames(names []byte) error {
	return x.takeNames(string(names), crc32.Update(x.recsCRC, fsutil.Castagnoli(), names))
}

// takeNames is setNames for names read as a string, whose checksum
// (CRC-32C, from x.recsCRC on, as the file's trailer continues it) the
// reader computed on the way: a string read whole from the file is not
// copied again.
func (x *index) takeNames(names string, namesCRC uint32) error {
	if uint64(len(names)) != uint64(x.namesLen) || (x.recs == nil && x.nameLens == nil) || !x.namesSumOK(namesCRC) ||
		strings.IndexByte(names, '/') >= 0 || strings.IndexByte(names, 0) >= 0 {
		return errBadIndex
	}
	pos := 0
	for i := range int(x.count) {
		if names[pos] == '.' {
			return errBadIndex
		}
		pos += int(x.nameLen(i))
	}
	x.names = names
	return nil
}

// namesSumOK reports whether namesCRC, the CRC-32C of the names from
// x.recsCRC on, is what the file's trailer says.
func (x *index) namesSumOK(namesCRC uint32) bool {
	var tail [indexTrailerSize - 4]byte
	binary.LittleEndian.PutUint32(tail[:], x.namesLen)
	binary.LittleEndian.PutUint32(tail[4:], x.headCRC)
	binary.LittleEndian.PutUint32(tail[8:], x.recsCRC)
	binary.LittleEndian.PutUint64(tail[12:], x.fileLen())
	return crc32.Update(namesCRC, fsutil.Castagnoli(), tail[:]) == x.crc
}

// plainName reports whether name, read from an index file, names a
// message file in new/ or cur/ and nothing else, as takeNames checks
// every name.
func plainName(name string) bool {
	return name != "" && name[0] != '.' && !strings.ContainsAny(name, "/\x00")
}

// fileLen returns the length of the file x was read from.
func (x *index) fileLen() uint64 {
	return x.headLen + uint64(x.count)*indexRecordSize + uint64(x.namesLen) + indexTrailerSize
}
