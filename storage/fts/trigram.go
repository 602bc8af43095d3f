package fts

import (
	"bytes"
	"slices"
	"sync"
	"unicode/utf8"
)

// A key is a trigram (three bytes of lower-cased text, big-endian, in
// the low 24 bits shifted left by two) with the zones it occurs in, in
// the low two bits.
const zoneBits = 2

func trigram(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

// trigramSet collects the distinct trigrams of a message with their
// zones: a bit per possible trigram and zone (4 MiB, pooled), and the
// list of those set, so that only they are cleared afterwards.
type trigramSet struct {
	bits [2][]uint64 // by zone: Header, Body
	list []uint32
	tmp  []uint32 // radixSort's
	low  []byte   // lower-cased text
}

var trigramSets = sync.Pool{New: func() any {
	return &trigramSet{bits: [2][]uint64{make([]uint64, 1<<24/64), make([]uint64, 1<<24/64)}}
}}

// add adds every trigram of lower-cased text, in zone z (Header or Body).
func (s *trigramSet) add(low []byte, z Zone) {
	zb := s.bits[z>>1]
	other := s.bits[(z>>1)^1]
	for i := 0; i+3 <= len(low); i++ {
		t := trigram(low[i:])
		w, b := t/64, uint64(1)<<(t%64)
		if zb[w]&b != 0 {
			continue
		}
		if other[w]&b == 0 {
			s.list = append(s.list, t)
		}
		zb[w] |= b
	}
}

// appendKeys appends the sorted keys of the set to keys and clears it.
func (s *trigramSet) appendKeys(keys []uint32) []uint32 {
	s.list, s.tmp = radixSort(s.list, s.tmp, 0, 24)
	for _, t := range s.list {
		w, b := t/64, uint64(1)<<(t%64)
		k := t << zoneBits
		if s.bits[0][w]&b != 0 {
			k |= uint32(Header)
		}
		if s.bits[1][w]&b != 0 {
			k |= uint32(Body)
		}
		s.bits[0][w] &^= b
		s.bits[1][w] &^= b
		keys = append(keys, k)
	}
	s.list = s.list[:0]
	return keys
}

// docKeys returns the sorted keys of d, one per trigram, its zones
// merged. scratch is reused.
func docKeys(d *Doc, scratch []uint32) []uint32 {
	s := trigramSets.Get().(*trigramSet)
	defer trigramSets.Put(s)
	start := min(max(d.BodyStart, 0), len(d.Text))
	// The header lines end in a line feed, so lower-casing the two
	// pieces apart is lower-casing the whole; a trigram that begins in
	// the header lines and runs into the body counts as a header one.
	s.low = appendLower(s.low[:0], d.Text[:start])
	n := len(s.low)
	s.low = appendLower(s.low, d.Text[start:])
	s.add(s.low[:min(n+2, len(s.low))], Header)
	s.add(s.low[n:], Body)
	for _, h := range d.HeaderText {
		s.low = appendLower(s.low[:0], h)
		s.add(s.low, Header)
	}
	if cap(s.low) > 1<<20 {
		s.low = nil // a large message's text is not kept in the pool
	}
	return s.appendKeys(scratch[:0])
}

// appendLower appends b lower-cased as bytes.ToLower does.
func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return append(dst, bytes.ToLower(b)...)
		}
	}
	start := len(dst)
	dst = append(dst, b...)
	for i, c := range dst[start:] {
		if 'A' <= c && c <= 'Z' {
			dst[start+i] = c + 'a' - 'A'
		}
	}
	return dst
}

// needleTrigrams returns the distinct trigrams of the lower-cased
// needle, or nil when it is shorter than three bytes.
func needleTrigrams(needle string) []uint32 {
	low := bytes.ToLower([]byte(needle))
	var ts []uint32
	for i := 0; i+3 <= len(low); i++ {
		t := trigram(low[i:])
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	return ts
}
