package fts

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// A segment file (the log's path + ".seg") holds the index of the
// messages the log held when it was written, inverted: for each trigram
// the list of messages that have it. The log is then started again, with
// the segment's generation, so a segment is used only with the log
// written after it. Layout:
//
//	header: segMagic, UIDVALIDITY, generation, message count, TooLarge
//	        count, trigram count, offset of the tables (u64), CRC-32C of
//	        the tables, CRC-32C of the header
//	lists:  for each trigram, its messages ascending, each as a uvarint
//	        (ordinal - previous ordinal) << zoneBits | zones
//	tables: UIDs by ordinal (0 for a removed message), ordinals of
//	        TooLarge messages, then per trigram: trigram, offset (u64),
//	        length, last ordinal, CRC-32C of its list
//
// Only the header and the tables are read at open; a list is read when a
// search asks for its trigram, and its CRC checked then.
var segMagic = [8]byte{'M', 'G', 'F', 'T', 'S', 'G', 0, 1}

const (
	segHeaderSize = 8 + 4 + 8 + 4 + 4 + 4 + 8 + 4 + 4
	segEntrySize  = 4 + 8 + 4 + 4 + 4
	maxSegDocs    = 1 << 30
)

var errBadSegment = errors.New("fts: damaged segment")

// segEntry is one trigram's list in a segment.
type segEntry struct {
	tri  uint32
	off  uint64
	n    uint32 // bytes
	last uint32 // last ordinal
	crc  uint32
}

// segment is an open segment file.
type segment struct {
	f      *os.File
	docs   int
	uids   []uint32
	always []int32
	dir    []segEntry // ascending trigram
}

func (s *segment) find(tri uint32) (segEntry, bool) {
	i, ok := slices.BinarySearchFunc(s.dir, tri, func(e segEntry, t uint32) int {
		switch {
		case e.tri < t:
			return -1
		case e.tri > t:
			return 1
		}
		return 0
	})
	if !ok {
		return segEntry{}, false
	}
	return s.dir[i], true
}

// list reads a trigram's list and calls fn for each posting; false when
// the list is damaged.
func (s *segment) list(e segEntry, buf []byte, fn func(ord uint32, z Zone)) ([]byte, bool) {
	buf = slices.Grow(buf[:0], int(e.n))[:e.n]
	if _, err := s.f.ReadAt(buf, int64(e.off)); err != nil || crc32.Checksum(buf, fsutil.Castagnoli()) != e.crc {
		return buf, false
	}
	return buf, decodeList(buf, uint32(s.docs), fn)
}

// decodeList decodes a posting list of ordinals below docs.
func decodeList(p []byte, docs uint32, fn func(ord uint32, z Zone)) bool {
	ord := uint64(0)
	first := true
	for len(p) > 0 {
		v, n := binary.Uvarint(p)
		if n <= 0 || v&(1<<zoneBits-1) == 0 || (!first && v>>zoneBits == 0) {
			return false
		}
		p = p[n:]
		ord += v >> zoneBits
		if ord >= uint64(docs) {
			return false
		}
		fn(uint32(ord), Zone(v&(1<<zoneBits-1)))
		first = false
	}
	return true
}

// openSegment reads a segment's header and tables; it must be of
// validity and generation gen.
func openSegment(path string, validity uint32, gen uint64) (*segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := readSegment(f, validity, gen)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.f = f
	return s, nil
}

// readSegment reads a segment's header and tables from r.
func readSegment(r io.ReaderAt, validity uint32, gen uint64) (*segment, error) {
	h := make([]byte, segHeaderSize)
	if _, err := r.ReadAt(h, 0); err != nil {
		return nil, errBadSegment
	}
	if [8]byte(h[:8]) != segMagic || binary.BigEndian.Uint32(h[segHeaderSize-4:]) != crc32.Checksum(h[:segHeaderSize-4], fsutil.Castagnoli()) {
		return nil, errBadSegment
	}
	if binary.BigEndian.Uint32(h[8:]) != validity || binary.BigEndian.Uint64(h[12:]) != gen {
		return nil, errBadSegment
	}
	docs := binary.BigEndian.Uint32(h[20:])
	nAlways := binary.BigEndian.Uint32(h[24:])
	nTri := binary.BigEndian.Uint32(h[28:])
	tabOff := binary.BigEndian.Uint64(h[32:])
	if docs > maxSegDocs || nAlways > docs || nTri > 1<<24 || tabOff < segHeaderSize || tabOff > 1<<50 {
		return nil, errBadSegment
	}
	size := int64(docs)*4 + int64(nAlways)*4 + int64(nTri)*segEntrySize
	tab := make([]byte, 0, min(size, 1<<20))
	sr := io.NewSectionReader(r, int64(tabOff), size)
	// Grown as the bytes come, not as the header says.
	buf := make([]byte, 1<<16)
	for {
		n, err := sr.Read(buf)
		tab = append(tab, buf[:n]...)
		if err != nil {
			break
		}
	}
	if int64(len(tab)) != size || crc32.Checksum(tab, fsutil.Castagnoli()) != binary.BigEndian.Uint32(h[40:]) {
		return nil, errBadSegment
	}
	s := &segment{docs: int(docs), uids: make([]uint32, docs), always: make([]int32, nAlways), dir: make([]segEntry, nTri)}
	for i := range s.uids {
		s.uids[i] = binary.BigEndian.Uint32(tab[4*i:])
	}
	tab = tab[4*docs:]
	for i := range s.always {
		o := binary.BigEndian.Uint32(tab[4*i:])
		if o >= docs {
			return nil, errBadSegment
		}
		s.always[i] = int32(o)
	}
	tab = tab[4*nAlways:]
	for i := range s.dir {
		e := tab[i*segEntrySize:]
		s.dir[i] = segEntry{
			tri:  binary.BigEndian.Uint32(e),
			off:  binary.BigEndian.Uint64(e[4:]),
			n:    binary.BigEndian.Uint32(e[12:]),
			last: binary.BigEndian.Uint32(e[16:]),
			crc:  binary.BigEndian.Uint32(e[20:]),
		}
		d := s.dir[i]
		if (i > 0 && d.tri <= s.dir[i-1].tri) || d.tri >= 1<<24 || d.last >= docs || d.off < segHeaderSize || d.off+uint64(d.n) > tabOff {
			return nil, errBadSegment
		}
	}
	return s, nil
}

// writeSegment writes, to w, the segment of old (nil for none) and the
// tail postings: each tail ordinal is above every ordinal of old, so a
// list of old is copied as it is and the tail's postings appended to it.
func writeSegment(w io.Writer, validity uint32, gen uint64, old *segment, uids []uint32, always []int32, tail *tail) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(make([]byte, segHeaderSize)) // written again at the end
	tris := make([]uint32, 0, len(tail.idx)+func() int {
		if old == nil {
			return 0
		}
		return len(old.dir)
	}())
	for t := range tail.idx {
		tris = append(tris, t)
	}
	if old != nil {
		for _, e := range old.dir {
			if _, ok := tail.idx[e.tri]; !ok {
				tris = append(tris, e.tri)
			}
		}
	}
	slices.Sort(tris)
	dir := make([]segEntry, 0, len(tris))
	off := uint64(segHeaderSize)
	var buf []byte
	// The old lists lie one after the other in trigram order: read in
	// one pass.
	var oldR *bufio.Reader
	j := 0
	if old != nil {
		oldR = bufio.NewReaderSize(io.NewSectionReader(old.f, segHeaderSize, 1<<62), 1<<20)
	}
	for _, t := range tris {
		e := segEntry{tri: t, off: off}
		prev, first := uint32(0), true
		if old != nil && j < len(old.dir) && old.dir[j].tri == t {
			oe := old.dir[j]
			j++
			buf = slices.Grow(buf[:0], int(oe.n))[:oe.n]
			if _, err := io.ReadFull(oldR, buf); err != nil {
				return err
			}
			if crc32.Checksum(buf, fsutil.Castagnoli()) != oe.crc {
				return errBadSegment
			}
			bw.Write(buf)
			e.n, e.crc, e.last = oe.n, oe.crc, oe.last
			prev, first = oe.last, false
		}
		if l := tail.list(t); l != nil {
			// The tail's list goes on after the old one's last ordinal:
			// its first posting is written again as a difference.
			v, n := binary.Uvarint(l.b)
			if !first {
				v -= uint64(prev) << zoneBits
			}
			var hb [binary.MaxVarintLen64]byte
			head := hb[:binary.PutUvarint(hb[:], v)]
			bw.Write(head)
			bw.Write(l.b[n:])
			e.n += uint32(len(head) + len(l.b) - n)
			e.crc = crc32.Update(e.crc, fsutil.Castagnoli(), head)
			e.crc = crc32.Update(e.crc, fsutil.Castagnoli(), l.b[n:])
			e.last = l.last
		}
		off += uint64(e.n)
		dir = append(dir, e)
	}
	tab := make([]byte, 0, 4*len(uids)+4*len(always)+segEntrySize*len(dir))
	for _, u := range uids {
		tab = binary.BigEndian.AppendUint32(tab, u)
	}
	for _, o := range always {
		tab = binary.BigEndian.AppendUint32(tab, uint32(o))
	}
	for _, e := range dir {
		tab = binary.BigEndian.AppendUint32(tab, e.tri)
		tab = binary.BigEndian.AppendUint64(tab, e.off)
		tab = binary.BigEndian.AppendUint32(tab, e.n)
		tab = binary.BigEndian.AppendUint32(tab, e.last)
		tab = binary.BigEndian.AppendUint32(tab, e.crc)
	}
	bw.Write(tab)
	if err := bw.Flush(); err != nil {
		return err
	}
	h := make([]byte, 0, segHeaderSize)
	h = append(h, segMagic[:]...)
	h = binary.BigEndian.AppendUint32(h, validity)
	h = binary.BigEndian.AppendUint64(h, gen)
	h = binary.BigEndian.AppendUint32(h, uint32(len(uids)))
	h = binary.BigEndian.AppendUint32(h, uint32(len(always)))
	h = binary.BigEndian.AppendUint32(h, uint32(len(dir)))
	h = binary.BigEndian.AppendUint64(h, off)
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(tab, fsutil.Castagnoli()))
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, fsutil.Castagnoli()))
	wa, ok := w.(io.WriterAt)
	if !ok {
		return errors.New("fts: segment writer cannot seek")
	}
	_, err := wa.WriteAt(h, 0)
	return err
}
