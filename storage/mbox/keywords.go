package mbox

import (
	"bytes"
	"sort"
	"strings"
)

// kwTable interns keyword sets: a message holds the number of its set,
// so that 100,000 messages without keywords cost nothing and those with
// the same keywords share one slice.
type kwTable struct {
	sets [][]string        // by number; 0 is the empty set
	ids  map[string]uint32 // the set's keywords joined by spaces -> number
	raw  map[string]uint32 // an X-Keywords value as found in files -> number
}

// set returns the keywords of set number id, sorted.
func (t *kwTable) set(id uint32) []string {
	if id == 0 || int(id) >= len(t.sets) {
		return nil
	}
	return t.sets[id]
}

// intern returns the number of the set of kws, which it sorts and rids of
// duplicates (compared without regard to case, as IMAP compares flags).
func (t *kwTable) intern(kws []string) uint32 {
	if len(kws) == 0 {
		return 0
	}
	list := append([]string(nil), kws...)
	sort.Strings(list)
	out := list[:0]
	for _, k := range list {
		dup := false
		for _, o := range out {
			dup = dup || strings.EqualFold(o, k)
		}
		if !dup {
			out = append(out, k)
		}
	}
	key := strings.Join(out, " ")
	if id, ok := t.ids[key]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = make(map[string]uint32)
		t.sets = [][]string{nil}
	}
	id := uint32(len(t.sets))
	t.sets = append(t.sets, out)
	t.ids[key] = id
	return id
}

// internRaw returns the number of the keyword set in an X-Keywords value,
// whose keywords are separated by commas or white space. Words that are
// no valid keyword are left out.
func (t *kwTable) internRaw(v []byte) uint32 {
	if len(v) == 0 {
		return 0
	}
	if id, ok := t.raw[string(v)]; ok {
		return id
	}
	var kws []string
	for _, w := range bytes.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}) {
		if s := string(w); validKeyword(s) {
			kws = append(kws, s)
		}
	}
	id := t.intern(kws)
	if t.raw == nil {
		t.raw = make(map[string]uint32)
	}
	if len(t.raw) < 10000 {
		t.raw[string(v)] = id
	}
	return id
}
