package maildir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// indexFile keeps the result of a scan, so that a Folder opened later (in
// this process or another) can answer Scan with two stats and one read
// instead of reading new/ and cur/ and learning every file in them. It is
// a cache, never the truth: a Folder uses it only when new/ and cur/ are
// in exactly the state it records and .mu-prop holds the same UID
// counters, and otherwise scans, which writes it anew.
const indexFile = ".mailgate-index"

// indexMagic starts an index file; the version is its last byte.
var indexMagic = [8]byte{'M', 'G', 'M', 'D', 'I', 'D', 'X', '2'}

// The layout of an index file; every integer is little-endian.
//
//	header   magic [8]byte
//	         new/: inode u64, mtime i64, ctime i64 (Unix nanoseconds)
//	         cur/: inode u64, mtime i64, ctime i64
//	         uidvalidity u32, uidnext u32 (as in .mu-prop)
//	         messages u32, letter sets u32
//	letters  per letter set: length u8, the info letters of some names
//	records  per message, in ascending UID order: uid u32, letter set u16,
//	         bits u8 (1: the file is in new/), name length u8,
//	         mtime i64 (INTERNALDATE, Unix nanoseconds), size i64 (RFC822.SIZE)
//	names    the file names, one after another, in record order
//	trailer  the names' length u32, the CRC-32C of header, letters and
//	         records u32, the file's length u64, then the CRC-32C of
//	         everything before it u32
//
// Messages that share their flags share a letter set, so that Scan
// decodes each set of flags once and gives those messages one Flags
// slice. The trailer detects a torn or truncated file: the file is
// written without fsync, since losing it loses nothing. Its first
// checksum lets a process answer SELECT from the header, letters and
// records alone, and read the names (most of the file) only when an
// operation needs them: the second checksum, computed on from the first,
// vouches for them then.
const (
	indexHeaderSize  = 8 + 6*8 + 4*4
	indexRecordSize  = 4 + 2 + 1 + 1 + 8 + 8
	indexTrailerSize = 4 + 4 + 8 + 4
	indexInNew       = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// indexHeader is what an index file says about the state it records.
type indexHeader struct {
	stamp    dirStamp // valid is not stored
	validity uint32
	uidNext  uint32
	count    uint32 // messages
	sets     uint32 // letter sets
}

// index is a decoded index file.
//
// Decoding checks the whole file but builds nothing per message: Scan
// builds its snapshot straight from the records (messages), and a Folder
// builds its entries (entries) only when an operation needs them, which a
// SELECT does not.
type index struct {
	indexHeader
	letters []string   // letter sets
	flags   [][]string // what each letter set means; set by the Folder
	recs    []byte     // the records
	names   []byte     // the names; nil until read (see loadNames)
	// namesLen and headCRC are the trailer's: what the names must be.
	namesLen uint32
	headCRC  uint32
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

// record decodes record i.
func (x *index) record(i int) indexRecord {
	r := x.recs[i*indexRecordSize : (i+1)*indexRecordSize]
	return indexRecord{
		uid:     binary.LittleEndian.Uint32(r),
		set:     binary.LittleEndian.Uint16(r[4:]),
		inNew:   r[6]&indexInNew != 0,
		nameLen: int(r[7]),
		meta:    fileMeta{mtime: int64(binary.LittleEndian.Uint64(r[8:])), size: int64(binary.LittleEndian.Uint64(r[16:]))},
	}
}

// messages returns the snapshot's messages; x.flags must be set.
func (x *index) messages() []storage.Message {
	msgs := make([]storage.Message, x.count)
	for i := range msgs {
		r := x.record(i)
		msgs[i] = storage.Message{UID: r.uid, Flags: x.flags[r.set],
			InternalDate: time.Unix(0, r.meta.mtime), Size: r.meta.size, New: r.inNew}
	}
	return msgs
}

// summary returns what a SELECT needs of the messages of x, whose flags
// must be set, and false when one of them is in new/ (New).
func (x *index) summary(validity, uidNext uint32) (storage.Summary, bool) {
	sum := storage.Summary{UIDValidity: validity, UIDNext: uidNext, UIDs: make([]uint32, x.count), Flags: []string{}}
	seen := make([]bool, len(x.flags))
	for i, fl := range x.flags {
		seen[i] = slices.Contains(fl, storage.FlagSeen)
	}
	used := make([]bool, len(x.flags))
	rest := x.recs
	for i := range sum.UIDs {
		r := rest[:indexRecordSize]
		rest = rest[indexRecordSize:]
		uid := binary.LittleEndian.Uint32(r)
		set := binary.LittleEndian.Uint16(r[4:])
		if r[6]&indexInNew != 0 {
			return storage.Summary{}, false
		}
		sum.UIDs[i] = uid
		sum.Size += int64(binary.LittleEndian.Uint64(r[16:]))
		if used[set] && (seen[set] || sum.FirstUnseen != 0) {
			continue // what else this record could tell is known
		}
		if !seen[set] && sum.FirstUnseen == 0 {
			sum.FirstUnseen = uid
		}
		if !used[set] {
			used[set] = true
			for _, fl := range x.flags[set] {
				if !slices.Contains(sum.Flags, fl) {
					sum.Flags = append(sum.Flags, fl)
				}
			}
		}
	}
	sum.Messages = x.messages
	return sum, true
}

// entries returns a Folder's entries, whose flags come from x.flags when
// that is set. The names share one string.
func (x *index) entries() []entry {
	names := string(x.names)
	entries := make([]entry, x.count)
	pos := 0
	for i := range entries {
		r := x.record(i)
		entries[i] = entry{uid: r.uid, inNew: r.inNew, name: names[pos : pos+r.nameLen], meta: r.meta}
		if x.flags != nil {
			entries[i].flags = x.flags[r.set]
		}
		pos += r.nameLen
	}
	return entries
}

// errBadIndex means an index file is not ours, is damaged, or was written
// by another version.
var errBadIndex = errors.New("index file is damaged or of another version")

// encodeIndex formats an index file for entries, which are in ascending
// UID order, in the state that hdr records (its counts are ignored).
func encodeIndex(hdr indexHeader, entries []entry) ([]byte, error) {
	sets := make(map[string]uint16)
	var letters []string
	size := indexHeaderSize + len(entries)*indexRecordSize + indexTrailerSize
	for i := range entries {
		e := &entries[i]
		if e.name == "" || len(e.name) > math.MaxUint8 {
			return nil, fmt.Errorf("index: file name %q: length %d out of range", e.name, len(e.name))
		}
		if i > 0 && e.uid <= entries[i-1].uid {
			return nil, fmt.Errorf("index: UID %d after %d", e.uid, entries[i-1].uid)
		}
		l := parseName(e.name).letters()
		if _, ok := sets[l]; !ok {
			if len(letters) > math.MaxUint16 {
				return nil, errors.New("index: too many sets of flags")
			}
			sets[l] = uint16(len(letters))
			letters = append(letters, l)
			size += 1 + len(l)
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
	for _, l := range letters {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	for i := range entries {
		e := &entries[i]
		b = binary.LittleEndian.AppendUint32(b, e.uid)
		b = binary.LittleEndian.AppendUint16(b, sets[parseName(e.name).letters()])
		bits := byte(0)
		if e.inNew {
			bits |= indexInNew
		}
		b = append(b, bits, byte(len(e.name)))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.meta.mtime))
		b = binary.LittleEndian.AppendUint64(b, uint64(e.meta.size))
	}
	head := len(b)
	for i := range entries {
		b = append(b, entries[i].name...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(b)-head))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[:head], castagnoli))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(b)+8+4))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
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
	return h, nil
}

// indexTrailer is an index file's trailer.
type indexTrailer struct {
	namesLen uint32
	headCRC  uint32
	length   uint64
	crc      uint32
}

func decodeIndexTrailer(b []byte) indexTrailer {
	return indexTrailer{namesLen: binary.LittleEndian.Uint32(b), headCRC: binary.LittleEndian.Uint32(b[4:]),
		length: binary.LittleEndian.Uint64(b[8:]), crc: binary.LittleEndian.Uint32(b[16:])}
}

// decodeIndex reads a whole index file. It checks both checksums, and
// that every count, length and reference lies inside the file, that UIDs
// ascend below uidnext, and that names are plain file names, so that no
// damage can make a Folder open a file outside the maildir.
func decodeIndex(data []byte) (*index, error) {
	if len(data) < indexHeaderSize+indexTrailerSize {
		return nil, errBadIndex
	}
	tr := decodeIndexTrailer(data[len(data)-indexTrailerSize:])
	if tr.length != uint64(len(data)) || uint64(tr.namesLen) > uint64(len(data)-indexHeaderSize-indexTrailerSize) ||
		tr.crc != crc32.Checksum(data[:len(data)-4], castagnoli) {
		return nil, errBadIndex
	}
	namesAt := len(data) - indexTrailerSize - int(tr.namesLen)
	x, err := decodeIndexHead(data[:namesAt], tr)
	if err != nil {
		return nil, err
	}
	if err := x.setNames(data[namesAt : namesAt+int(tr.namesLen)]); err != nil {
		return nil, err
	}
	return x, nil
}

// decodeIndexHead reads an index file's header, letters and records,
// head, which the trailer tr says are followed by names it does not
// check. The index it returns has no names: setNames gives them.
func decodeIndexHead(head []byte, tr indexTrailer) (*index, error) {
	h, err := decodeIndexHeader(head)
	if err != nil || tr.headCRC != crc32.Checksum(head, castagnoli) {
		return nil, errBadIndex
	}
	p := head[indexHeaderSize:]
	if uint64(h.sets) > math.MaxUint16+1 || uint64(h.sets) > uint64(len(p)) {
		return nil, errBadIndex
	}
	letters := make([]string, h.sets)
	for i := range letters {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return nil, errBadIndex
		}
		letters[i] = string(p[1 : 1+int(p[0])])
		p = p[1+int(p[0]):]
	}
	if uint64(h.count)*indexRecordSize != uint64(len(p)) {
		return nil, errBadIndex
	}
	x := &index{indexHeader: h, letters: letters, recs: p, namesLen: tr.namesLen, headCRC: tr.headCRC, crc: tr.crc}
	pos := uint64(0)
	prev := uint32(0)
	// Fields are read straight from the bytes: a cold SELECT of a large
	// mailbox spends much of its time in this loop.
	for rest := p; len(rest) >= indexRecordSize; rest = rest[indexRecordSize:] {
		r := rest[:indexRecordSize]
		uid := binary.LittleEndian.Uint32(r)
		if uid <= prev || uint32(binary.LittleEndian.Uint16(r[4:])) >= h.sets || r[6]&^indexInNew != 0 || r[7] == 0 ||
			int64(binary.LittleEndian.Uint64(r[16:])) < 0 {
			return nil, errBadIndex
		}
		pos += uint64(r[7])
		prev = uid
	}
	if pos != uint64(tr.namesLen) || (h.count > 0 && h.uidNext <= prev) {
		return nil, errBadIndex
	}
	return x, nil
}

// setNames checks names, read from the file x was read from, against the
// trailer's checksum, and that they are plain file names, before x takes
// them.
func (x *index) setNames(names []byte) error {
	if uint64(len(names)) != uint64(x.namesLen) {
		return errBadIndex
	}
	var tail [indexTrailerSize - 4]byte
	binary.LittleEndian.PutUint32(tail[:], x.namesLen)
	binary.LittleEndian.PutUint32(tail[4:], x.headCRC)
	head := uint64(indexHeaderSize) + uint64(len(x.recs))
	for _, l := range x.letters {
		head += 1 + uint64(len(l))
	}
	binary.LittleEndian.PutUint64(tail[8:], head+uint64(len(names))+indexTrailerSize)
	crc := crc32.Update(crc32.Update(x.headCRC, castagnoli, names), castagnoli, tail[:])
	if crc != x.crc || bytes.IndexByte(names, '/') >= 0 || bytes.IndexByte(names, 0) >= 0 {
		return errBadIndex
	}
	pos := 0
	for i := range int(x.count) {
		if names[pos] == '.' {
			return errBadIndex
		}
		pos += x.record(i).nameLen
	}
	x.names = names
	return nil
}
