package fts

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
)

// invertKeys is how many keys of fresh messages the tail holds before it
// inverts them into its lists. Inverting in batches turns one map lookup
// and one scattered append per posting into a radix sort and one lookup
// per trigram of the batch. A variable for the tests.
var invertKeys = 1 << 18

// tail is the index of the messages in the log, in memory: for each
// trigram, the list of those messages that have it, encoded as a
// segment's list is (so that merging copies it), and the keys of the
// messages added since the lists were last brought up to date, which a
// search reads message by message.
type tail struct {
	idx      map[uint32]int32 // trigram to lists
	lists    []tailList
	keys     []uint32   // the fresh messages' keys, message after message
	docs     []freshDoc // the fresh messages, ascending ordinal
	postings int64      // (trigram, message) pairs, fresh ones included
	bytes    int64      // of the lists
}

// tailList is one trigram's postings: uvarints of (ordinal - previous
// ordinal) << zoneBits | zones, the first ordinal as it is.
type tailList struct {
	b    []byte
	last uint32
}

// freshDoc is a message whose keys are keys[end of the one before:end].
type freshDoc struct {
	ord uint32
	end int32
}

func newTail() *tail { return &tail{idx: make(map[uint32]int32)} }

// add takes the sorted keys of the message ord, which is above every
// ordinal the tail holds.
func (t *tail) add(ord uint32, keys []uint32) {
	t.keys = append(t.keys, keys...)
	t.docs = append(t.docs, freshDoc{ord: ord, end: int32(len(t.keys))})
	t.postings += int64(len(keys))
	if len(t.keys) >= invertKeys {
		t.invert()
	}
}

// pairScratch holds the buffers of invert: two of (trigram << 32 |
// ordinal << zoneBits | zones).
var pairScratch = sync.Pool{New: func() any { return new([2][]uint64) }}

// invert appends the fresh messages' postings to the lists.
func (t *tail) invert() {
	if len(t.docs) == 0 {
		return
	}
	sc := pairScratch.Get().(*[2][]uint64)
	defer pairScratch.Put(sc)
	pairs := slices.Grow(sc[0][:0], len(t.keys))
	start := int32(0)
	for _, d := range t.docs {
		for _, k := range t.keys[start:d.end] {
			pairs = append(pairs, uint64(k>>zoneBits)<<32|uint64(d.ord)<<zoneBits|uint64(k&(1<<zoneBits-1)))
		}
		start = d.end
	}
	// Sorted by trigram, stable: each trigram's ordinals stay ascending.
	pairs, sc[1] = radixSort(pairs, sc[1], 32, 24)
	sc[0] = pairs
	// Room is made once for the batch's new trigrams, and once per list
	// for its postings, not as each is appended.
	fresh := 0
	for i := 0; i < len(pairs); i++ {
		tri := uint32(pairs[i] >> 32)
		if i > 0 && tri == uint32(pairs[i-1]>>32) {
			continue
		}
		if _, ok := t.idx[tri]; !ok {
			fresh++
		}
	}
	t.lists = slices.Grow(t.lists, fresh)
	for i := 0; i < len(pairs); {
		tri := uint32(pairs[i] >> 32)
		j, ok := t.idx[tri]
		if !ok {
			j = int32(len(t.lists))
			t.idx[tri] = j
			t.lists = append(t.lists, tailList{})
		}
		l := &t.lists[j]
		end, need := i, 0
		for prev := l.last; end < len(pairs) && uint32(pairs[end]>>32) == tri; end++ {
			ord := uint32(pairs[end]) >> zoneBits
			need += uvarintLen(uint64(ord-prev) << zoneBits)
			prev = ord
		}
		l.b = slices.Grow(l.b, need)
		before := len(l.b)
		for ; i < end; i++ {
			ord := uint32(pairs[i]) >> zoneBits
			d := ord - l.last
			if len(l.b) == 0 {
				d = ord
			}
			l.b = binary.AppendUvarint(l.b, uint64(d)<<zoneBits|pairs[i]&(1<<zoneBits-1))
			l.last = ord
		}
		t.bytes += int64(len(l.b) - before)
	}
	t.keys, t.docs = t.keys[:0], t.docs[:0]
}

// uvarintLen is how many bytes binary.AppendUvarint takes for v.
func uvarintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

// list returns the trigram's list; nil when it has none.
func (t *tail) list(tri uint32) *tailList {
	if j, ok := t.idx[tri]; ok {
		return &t.lists[j]
	}
	return nil
}

// size is about how many postings the trigram has, to order a search's
// trigrams.
func (t *tail) size(tri uint32) int {
	if l := t.list(tri); l != nil {
		return len(l.b)
	}
	return 0
}

// each calls fn for each posting of the trigram, the fresh messages'
// last, in ascending ordinal.
func (t *tail) each(tri uint32, docs uint32, fn func(ord uint32, z Zone)) {
	if l := t.list(tri); l != nil {
		decodeList(l.b, docs, fn)
	}
	start := int32(0)
	for _, d := range t.docs {
		keys := t.keys[start:d.end]
		start = d.end
		i, _ := slices.BinarySearch(keys, tri<<zoneBits)
		if i < len(keys) && keys[i]>>zoneBits == tri {
			fn(d.ord, Zone(keys[i]&(1<<zoneBits-1)))
		}
	}
}

// radixSort sorts a, stably, by the bits [shift, shift+width) of each
// value, eight at a time, using tmp (grown as needed) as the other
// buffer; it returns the sorted slice and the other buffer.
func radixSort[T uint32 | uint64](a, tmp []T, shift, width uint) ([]T, []T) {
	if len(a) < 2 {
		return a, tmp
	}
	tmp = slices.Grow(tmp[:0], len(a))[:len(a)]
	for s := shift; s < shift+width; s += 8 {
		var count [256]int
		for _, v := range a {
			count[byte(v>>s)]++
		}
		if count[byte(a[0]>>s)] == len(a) {
			continue // every value has this byte
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, v := range a {
			b := byte(v >> s)
			tmp[count[b]] = v
			count[b]++
		}
		a, tmp = tmp, a
	}
	return a, tmp
}
