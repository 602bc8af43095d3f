package fts

import (
	"bytes"
	"slices"
)

// A key is a trigram (three bytes of lower-cased text, big-endian, in
// the low 24 bits shifted left by two) with the zones it occurs in, in
// the low two bits.
const zoneBits = 2

func trigram(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

// appendTrigrams appends the keys of every trigram of lower-cased text,
// in zone z.
func appendTrigrams(keys []uint32, low []byte, z Zone) []uint32 {
	for i := 0; i+3 <= len(low); i++ {
		keys = append(keys, trigram(low[i:])<<zoneBits|uint32(z))
	}
	return keys
}

// docKeys returns the sorted keys of d, one per trigram, its zones
// merged. scratch is reused.
func docKeys(d *Doc, scratch []uint32) []uint32 {
	keys := scratch[:0]
	start := min(max(d.BodyStart, 0), len(d.Text))
	// The header lines end in a line feed, so lower-casing the two
	// pieces apart is lower-casing the whole; a trigram that begins in
	// the header lines and runs into the body counts as a header one.
	head := bytes.ToLower(d.Text[:start])
	body := bytes.ToLower(d.Text[start:])
	joined := make([]byte, 0, len(head)+len(body))
	joined = append(append(joined, head...), body...)
	keys = appendTrigrams(keys, joined[:min(len(joined), len(head)+2)], Header)
	keys = appendTrigrams(keys, body, Body)
	for _, h := range d.HeaderText {
		keys = appendTrigrams(keys, bytes.ToLower(h), Header)
	}
	slices.Sort(keys)
	out := keys[:0]
	for _, k := range keys {
		if n := len(out); n > 0 && out[n-1]>>zoneBits == k>>zoneBits {
			out[n-1] |= k
			continue
		}
		out = append(out, k)
	}
	return out
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
