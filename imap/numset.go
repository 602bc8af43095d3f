package imap

import (
	"sort"

	"github.com/emersion/go-imap/v2"
)

// setArg reads " sequence-set", the first argument of FETCH, STORE,
// COPY, MOVE and UID EXPUNGE, where "$" is the saved search result (RFC
// 5182 section 2.1).
func (s *session) setArg(uid bool) (imap.NumSet, error) {
	if err := s.d.SP(); err != nil {
		return nil, err
	}
	return s.numSet(uid)
}

// bounds returns a range's ends, with 0 ("*") replaced by star, in order.
func bounds(start, stop, star uint32) (lo, hi uint32) {
	if start == 0 {
		start = star
	}
	if stop == 0 {
		stop = star
	}
	return min(start, stop), max(start, stop)
}

// resolveSeqs turns a sequence set (or, with uid, a UID set) into
// sequence numbers of the session's view, ascending and without
// duplicates. "*" is the view's last message (RFC 3501 section 9,
// seq-number), never the server's newest one.
func (s *session) resolveSeqs(set imap.NumSet, uid bool) ([]uint32, error) {
	n := s.view.Count()
	var ranges [][2]uint32
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			start, stop := bounds(r.Start, r.Stop, n)
			if start == 0 || stop > n {
				return nil, bad("Invalid sequence number: the mailbox has %d messages", n)
			}
			ranges = append(ranges, [2]uint32{start, stop})
		}
	case imap.UIDSet:
		if n == 0 {
			return nil, nil
		}
		last := s.view.LastUID()
		for _, r := range set {
			start, stop := bounds(uint32(r.Start), uint32(r.Stop), last)
			if lo, hi := s.view.SeqSpan(start, stop); lo <= hi {
				ranges = append(ranges, [2]uint32{lo, hi})
			}
		}
	}
	sort.Slice(ranges, func(a, b int) bool { return ranges[a][0] < ranges[b][0] })
	var seqs []uint32
	next := uint32(1) // the first sequence number not yet taken
	for _, r := range ranges {
		for q := max(r[0], next); q <= r[1]; q++ {
			seqs = append(seqs, q)
		}
		next = max(next, r[1]+1)
	}
	return seqs, nil
}
