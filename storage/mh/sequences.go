package mh

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// seqFile is where nmh keeps a folder's public sequences.
const seqFile = ".mh_sequences"

// span is a run of message numbers, lo to hi inclusive.
type span struct{ lo, hi uint32 }

// numSet is a set of message numbers as sorted, disjoint, non-adjacent
// spans, so that "unseen: 1-100000" costs one span.
type numSet []span

// find returns the index of the first span that does not end below n.
func (s numSet) find(n uint32) int {
	i, _ := slices.BinarySearchFunc(s, n, func(sp span, n uint32) int {
		return cmp.Compare(sp.hi, n)
	})
	return i
}

// contains reports whether n is in the set.
func (s numSet) contains(n uint32) bool {
	i := s.find(n)
	return i < len(s) && s[i].lo <= n
}

// add returns the set with the span lo-hi added.
func (s numSet) add(lo, hi uint32) numSet {
	if lo > hi {
		return s
	}
	// The first span that ends at or after lo-1 (touching counts).
	i := s.find(max(lo, 1) - 1)
	j := i
	for j < len(s) && uint64(s[j].lo) <= uint64(hi)+1 {
		lo, hi = min(lo, s[j].lo), max(hi, s[j].hi)
		j++
	}
	return slices.Replace(s, i, j, span{lo, hi})
}

// remove returns the set without n.
func (s numSet) remove(n uint32) numSet {
	i := s.find(n)
	if i == len(s) || s[i].lo > n {
		return s
	}
	switch sp := s[i]; {
	case sp.lo == sp.hi:
		return slices.Delete(s, i, i+1)
	case n == sp.lo:
		s[i].lo++
	case n == sp.hi:
		s[i].hi--
	default:
		s = slices.Insert(s, i+1, span{n + 1, sp.hi})
		s[i].hi = n - 1
	}
	return s
}

// sequence is one line of .mh_sequences.
type sequence struct {
	name string
	set  numSet
}

// sequences is the content of .mh_sequences, in the file's order.
type sequences []sequence

// find returns the index of the sequence called name (compared exactly,
// as nmh does), or -1.
func (ss sequences) find(name string) int {
	for i := range ss {
		if ss[i].name == name {
			return i
		}
	}
	return -1
}

// findFold returns the index of the sequence whose name equals name
// without regard to case, preferring an exact match, or -1.
func (ss sequences) findFold(name string) int {
	if i := ss.find(name); i >= 0 {
		return i
	}
	for i := range ss {
		if strings.EqualFold(ss[i].name, name) {
			return i
		}
	}
	return -1
}

// maxSeqFile bounds how much of .mh_sequences is read.
const maxSeqFile = 16 << 20

// parseSequences reads the .mh_sequences format: lines "name: 1-3 5 7",
// where a line starting with a space or tab continues the one before.
// Numbers that are zero, out of range or malformed are skipped, and so
// are lines without a name; a name given twice gets the union. It never
// fails: the file is other programs' and must not stop a scan.
func parseSequences(data []byte) sequences {
	var ss sequences
	cur := -1
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if cur >= 0 {
				ss[cur].set = addNumbers(ss[cur].set, line)
			}
			continue
		}
		name, list, ok := bytes.Cut(line, []byte(":"))
		n := string(bytes.TrimSpace(name))
		if !ok || !validSeqName(n) {
			cur = -1
			continue
		}
		if cur = ss.find(n); cur < 0 {
			ss = append(ss, sequence{name: n})
			cur = len(ss) - 1
		}
		ss[cur].set = addNumbers(ss[cur].set, list)
	}
	return ss
}

// validSeqName reports whether name can stand before the ':' of a line:
// no colon, no control characters but tabs, no blanks at either end.
func validSeqName(name string) bool {
	if name == "" || name != strings.Trim(name, " \t") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < ' ' && c != '\t') || c == ':' || c == 0x7f {
			return false
		}
	}
	return true
}

// addNumbers adds the numbers and ranges listed in list to s. It sorts
// and merges once, so that a long list in any order costs n log n.
func addNumbers(s numSet, list []byte) numSet {
	spans := []span(s)
	for _, tok := range bytes.Fields(list) {
		a, b, isRange := bytes.Cut(tok, []byte("-"))
		lo, ok := parseNumber(a)
		if !ok {
			continue
		}
		hi := lo
		if isRange {
			if hi, ok = parseNumber(b); !ok || hi < lo {
				continue
			}
		}
		spans = append(spans, span{lo, hi})
	}
	return normalize(spans)
}

// normalize sorts spans and merges those that overlap or touch.
func normalize(spans []span) numSet {
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if uint64(sp.lo) <= uint64(last.hi)+1 {
			last.hi = max(last.hi, sp.hi)
			continue
		}
		out = append(out, sp)
	}
	return numSet(out)
}

// parseNumber parses a message number: decimal digits, 1 to 2^32-2 (the
// top value is never a UID, as UIDNEXT must stay above it).
func parseNumber(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n == 0 || n >= 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// format writes the sequences as nmh does, one line each, ranges as
// "lo-hi". A sequence without members is written as "name:" when keep
// says so (to record that it is defined and empty), and left out
// otherwise, as nmh leaves it out.
func (ss sequences) format(keep func(name string) bool) []byte {
	var b []byte
	for _, s := range ss {
		if len(s.set) == 0 && (keep == nil || !keep(s.name)) {
			continue
		}
		b = append(b, s.name...)
		b = append(b, ':')
		for _, sp := range s.set {
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(sp.lo), 10)
			if sp.hi != sp.lo {
				b = append(b, '-')
				b = strconv.AppendUint(b, uint64(sp.hi), 10)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// memberOf returns the names of the sequences that hold n.
func (ss sequences) memberOf(n uint32) []string {
	var names []string
	for _, s := range ss {
		if s.set.contains(n) {
			names = append(names, s.name)
		}
	}
	return names
}

// restore returns ss with n in exactly the sequences called names (as
// memberOf gave them), adding those that are missing. ss must be the
// caller's own copy.
func (ss sequences) restore(n uint32, names []string) sequences {
	for i := range ss {
		if slices.Contains(names, ss[i].name) {
			ss[i].set = ss[i].set.add(n, n)
		} else {
			ss[i].set = ss[i].set.remove(n)
		}
	}
	for _, name := range names {
		if ss.find(name) < 0 {
			ss = append(ss, sequence{name: name, set: numSet{{n, n}}})
		}
	}
	return ss
}

// above reports whether a sequence other than cur holds a number above
// top.
func (ss sequences) above(top uint32) bool {
	for _, s := range ss {
		if s.name != curSequence && len(s.set) > 0 && s.set[len(s.set)-1].hi > top {
			return true
		}
	}
	return false
}

// upTo returns the set without the numbers above top.
func (s numSet) upTo(top uint32) numSet {
	i := s.find(top + 1)
	if i < len(s) && s[i].lo <= top {
		s[i].hi = top
		i++
	}
	return s[:i]
}
