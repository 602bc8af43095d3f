package fts

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sort"

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
// At open only the header and the UID tables are kept (the CRC of all
// the tables is checked, the directory's bytes read for it and let go);
// the directory is read when a search or a merge first needs it, and a
// list when a search asks for its trigram, its CRC checked then.
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

// segment is an open segment file. Its directory (the per-trigram
// table) is read when a search or a merge first needs it: opening the
// index for its UIDs, as every fresh process does, reads only the
// header and the UID tables (and runs the tables' CRC over the rest).
type segment struct {
	f      *os.File    // nil when read from elsewhere (tests)
	r      io.ReaderAt // f, or what the segment is read from
	docs   int
	uids   []uint32 // given to the Index at open
	always []int32
	nTri   int
	tabOff int64  // where the tables begin, after the lists
	dirOff int64  // where the directory begins
	crcPre uint32 // the tables' CRC-32C up to the directory
	crc    uint32 // the tables' CRC-32C, from the header
	dir    []byte // the directory as stored, once loaded
	loaded bool
}

// entry decodes the i-th entry of the loaded directory.
func (s *segment) entry(i int) segEntry {
	e := s.dir[i*segEntrySize:]
	return segEntry{
		tri:  binary.BigEndian.Uint32(e),
		off:  binary.BigEndian.Uint64(e[4:]),
		n:    binary.BigEndian.Uint32(e[12:]),
		last: binary.BigEndian.Uint32(e[16:]),
		crc:  binary.BigEndian.Uint32(e[20:]),
	}
}

// find returns the trigram's entry of the loaded directory.
func (s *segment) find(tri uint32) (segEntry, bool) {
	i := sort.Search(s.nTri, func(i int) bool { return binary.BigEndian.Uint32(s.dir[i*segEntrySize:]) >= tri })
	if i == s.nTri {
		return segEntry{}, false
	}
	e := s.entry(i)
	return e, e.tri == tri
}

// loadDir reads the directory, once, and checks it: the bytes must be
// those whose CRC the open checked, each entry in bounds, the trigrams
// ascending. A directory that fails leaves the segment unusable for
// searches and merges (errBadSegment), never half read.
func (s *segment) loadDir() error {
	if s.loaded {
		return nil
	}
	if s.dir == nil && s.nTri > 0 {
		// The open read these bytes: the file holds them, so the
		// allocation is bounded by its size.
		dir := make([]byte, s.nTri*segEntrySize)
		if _, err := s.r.ReadAt(dir, s.dirOff); err != nil {
			return errBadSegment
		}
		if crc32.Update(s.crcPre, fsutil.Castagnoli(), dir) != s.crc {
			return errBadSegment
		}
		s.dir = dir
	}
	for i := range s.nTri {
		d := s.entry(i)
		if (i > 0 && d.tri <= s.entry(i-1).tri) || d.tri >= 1<<24 || d.last >= uint32(s.docs) ||
			d.off < segHeaderSize || d.off+uint64(d.n) > uint64(s.tabOff) {
			s.dir = nil
			return errBadSegment
		}
	}
	s.loaded = true
	return nil
}

// list reads a trigram's list and calls fn for each posting; false when
// the list is damaged.
func (s *segment) list(e segEntry, buf []byte, fn func(ord uint32, z Zone)) ([]byte, bool) {
	buf = slices.Grow(buf[:0], int(e.n))[:e.n]
	if _, err := s.r.ReadAt(buf, int64(e.off)); err != nil || crc32.Checksum(buf, fsutil.Castagnoli()) != e.crc {
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

// openSegment reads a segment's header and UID tables; it must be of
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

// readSegment reads a segment's header and UID tables from r, and checks
// the CRC of all its tables, the directory's bytes read only for it
// (segment.loadDir keeps them).
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
	ids := int64(docs)*4 + int64(nAlways)*4
	size := ids + int64(nTri)*segEntrySize
	s := &segment{r: r, docs: int(docs), nTri: int(nTri), tabOff: int64(tabOff), dirOff: int64(tabOff) + ids, crc: binary.BigEndian.Uint32(h[40:])}
	// Grown as the bytes come, not as the header says.
	tab := make([]byte, 0, min(ids, 1<<20))
	sr := io.NewSectionReader(r, int64(tabOff), size)
	buf := make([]byte, 1<<16)
	crc, read := uint32(0), int64(0)
	for {
		n, err := sr.Read(buf)
		b := buf[:n]
		if k := min(int64(n), max(ids-read, 0)); k > 0 {
			tab = append(tab, b[:k]...)
			crc = crc32.Update(crc, fsutil.Castagnoli(), b[:k])
			b = b[k:]
			read += k
			if read == ids {
				s.crcPre = crc
			}
		}
		crc = crc32.Update(crc, fsutil.Castagnoli(), b)
		read += int64(len(b))
		if err != nil {
			break
		}
	}
	if read != size || crc != s.crc {
		return nil, errBadSegment
	}
	s.uids = make([]uint32, docs)
	for i := range s.uids {
		s.uids[i] = binary.BigEndian.Uint32(tab[4*i:])
	}
	tab = tab[4*docs:]
	s.always = make([]int32, nAlways)
	for i := range s.always {
		o := binary.BigEndian.Uint32(tab[4*i:])
		if o >= docs {
			return nil, errBadSegment
		}
		s.always[i] = int32(o)
	}
	return s, nil
}

// writeSegment writes, to w, the segment of old (nil for none) and the
// tail postings: each tail ordinal is above every ordinal of old, so a
// list of old is copied as it is and the tail's postings appended to it.
// A damaged old segment fails it with errBadSegment.
func writeSegment(w io.Writer, validity uint32, gen uint64, old *segment, uids []uint32, always []int32, tail *tail) error {
	oldTris := 0
	if old != nil {
		if err := old.loadDir(); err != nil {
			return err
		}
		oldTris = old.nTri
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.Write(make([]byte, segHeaderSize)) // written again at the end
	tris := make([]uint32, 0, len(tail.idx)+oldTris)
	for t := range tail.idx {
		tris = append(tris, t)
	}
	for i := range oldTris {
		t := old.entry(i).tri
		if _, ok := tail.idx[t]; !ok {
			tris = append(tris, t)
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
		oldR = bufio.NewReaderSize(io.NewSectionReader(old.r, segHeaderSize, 1<<62), 1<<20)
	}
	for _, t := range tris {
		e := segEntry{tri: t, off: off}
		prev, first := uint32(0), true
		if j < oldTris && old.entry(j).tri == t {
			oe := old.entry(j)
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
