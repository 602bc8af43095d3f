package fts

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// The log file begins with magic (the last byte is the format version),
// the mailbox's UIDVALIDITY, the log's generation (a random number that
// the segment written with it carries too) and a CRC-32C of them.
var magic = [8]byte{'M', 'G', 'F', 'T', 'S', 0, 0, 2}

const headerSize = len(magic) + 4 + 8 + 4

// Record kinds.
const (
	recDoc      = 1 // a message's keys
	recTooLarge = 2 // a message kept as a candidate for every string
	recRemoved  = 3 // an expunged message
)

// Limits that keep a damaged or hostile file from costing much: a
// message has at most 1<<24 distinct trigrams (every one there is).
const (
	maxKeys    = 1 << 24
	maxPayload = 5 * maxKeys
)

// errBadHeader means the file is not an index of this format.
var errBadHeader = errors.New("fts: not an index file of this version")

func encodeHeader(uidValidity uint32, gen uint64) []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic[:]...)
	b = binary.BigEndian.AppendUint32(b, uidValidity)
	b = binary.BigEndian.AppendUint64(b, gen)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, fsutil.Castagnoli()))
}

// decodeHeader returns the UIDVALIDITY and generation of a log header.
func decodeHeader(b []byte) (uint32, uint64, error) {
	if len(b) < headerSize || [8]byte(b[:8]) != magic ||
		binary.BigEndian.Uint32(b[20:]) != crc32.Checksum(b[:20], fsutil.Castagnoli()) {
		return 0, 0, errBadHeader
	}
	return binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint64(b[12:]), nil
}

// appendRecord appends a record: kind, UID, payload length, payload
// (for recDoc the count of keys, then each key as the difference from
// the one before, as uvarints), CRC-32C of all that.
func appendRecord(b []byte, kind byte, uid uint32, keys []uint32) []byte {
	start := len(b)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uid)
	lenAt := len(b)
	b = append(b, 0, 0, 0, 0)
	if kind == recDoc {
		b = binary.AppendUvarint(b, uint64(len(keys)))
		prev := uint32(0)
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(k-prev))
			prev = k
		}
	}
	binary.BigEndian.PutUint32(b[lenAt:], uint32(len(b)-lenAt-4))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], fsutil.Castagnoli()))
}

// record is one decoded record; keys is reused by the reader.
type record struct {
	kind byte
	uid  uint32
	keys []uint32
	off  int64  // where the record begins in what was read
	crc  uint32 // its checksum, which tells it from another record of the same UID
}

// readRecords reads records from r until its end or a damaged or cut
// record, calls fn for each good one, and returns how many bytes the
// good ones take: where the next record is to be written.
func readRecords(r io.Reader, fn func(*record)) int64 {
	br := bufio.NewReaderSize(r, 1<<16)
	var good int64
	var head [9]byte
	var buf []byte
	var rec record
	for {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return good
		}
		kind := head[0]
		n := binary.BigEndian.Uint32(head[5:])
		if kind < recDoc || kind > recRemoved || n > maxPayload || (kind != recDoc && n != 0) {
			return good
		}
		// Grown as the bytes come, not as the length says.
		b := bytes.NewBuffer(buf[:0])
		b.Write(head[:])
		if m, _ := io.CopyN(b, br, int64(n)+4); m != int64(n)+4 {
			return good
		}
		buf = b.Bytes()
		body := buf[:len(buf)-4]
		if binary.BigEndian.Uint32(buf[len(body):]) != crc32.Checksum(body, fsutil.Castagnoli()) {
			return good
		}
		rec.kind, rec.uid, rec.crc = kind, binary.BigEndian.Uint32(head[1:]), binary.BigEndian.Uint32(buf[len(body):])
		rec.keys = rec.keys[:0]
		if kind == recDoc {
			var ok bool
			if rec.keys, ok = decodeKeys(body[len(head):], rec.keys); !ok {
				return good
			}
		}
		rec.off = good
		fn(&rec)
		good += int64(len(buf))
	}
}

// decodeKeys decodes a recDoc payload: ascending keys, each exactly once.
func decodeKeys(p []byte, keys []uint32) ([]uint32, bool) {
	count, n := binary.Uvarint(p)
	if n <= 0 || count > maxKeys || count > uint64(len(p)) {
		return keys, false
	}
	p = p[n:]
	prev := uint64(0)
	for i := uint64(0); i < count; i++ {
		d, n := binary.Uvarint(p)
		if n <= 0 || (i > 0 && d == 0) {
			return keys, false
		}
		p = p[n:]
		prev += d
		if prev >= 1<<(24+zoneBits) || prev&(1<<zoneBits-1) == 0 {
			return keys, false
		}
		keys = append(keys, uint32(prev))
	}
	return keys, len(p) == 0
}
