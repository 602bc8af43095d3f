package imap

import (
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// searchReturn is what a SEARCH's RETURN options (RFC 4731 section 3.1,
// RFC 5182 section 2) ask for.
type searchReturn struct {
	// extended says the command had RETURN, or the session answers
	// every SEARCH with ESEARCH (see wantsESearch): the answer is an
	// ESEARCH response, not SEARCH.
	extended bool
	min, max bool
	count    bool
	all      bool
	save     bool // SEARCHRES: keep the result for "$"
	// partial is RFC 9394's PARTIAL: the results at positions first
	// to last (1-based; negative ones count from the end, -1 the
	// last), |first| <= |last|.
	partial     bool
	first, last int64
	// update is RFC 5267's UPDATE: the result is kept up to date
	// (context.go); context is its CONTEXT hint, which changes nothing.
	update, context bool
}

// parseSearchReturn reads "RETURN (" [option *(SP option)] ")" after
// the word RETURN has been read (RFC 4731 section 3.1). "RETURN ()"
// means ALL. Options are MIN, MAX, COUNT, ALL and SAVE (RFC 5182); any
// other is a syntax error, as RFC 4466 section 2.6.1 allows for options
// the server does not know.
func (s *session) parseSearchReturn(updates bool) (searchReturn, error) {
	ret := searchReturn{extended: true}
	if err := s.d.SP(); err != nil {
		return ret, err
	}
	if err := s.d.List(func() error {
		opt, err := s.d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(opt) {
		case "MIN":
			ret.min = true
		case "MAX":
			ret.max = true
		case "COUNT":
			ret.count = true
		case "ALL":
			ret.all = true
		case "SAVE":
			ret.save = true
		case "UPDATE", "CONTEXT":
			if !updates {
				return bad("RETURN (%s) is for SEARCH and SORT", strings.ToUpper(opt))
			}
			ret.update = ret.update || strings.EqualFold(opt, "UPDATE")
			ret.context = true
		case "PARTIAL":
			if err := s.d.SP(); err != nil {
				return err
			}
			r, err := s.d.Atom()
			if err != nil {
				return err
			}
			if ret.first, ret.last, err = parsePartialRange(r); err != nil {
				return err
			}
			ret.partial = true
		default:
			return bad("Unknown SEARCH RETURN option %s", sanitize(opt))
		}
		return nil
	}); err != nil {
		return ret, err
	}
	if !ret.min && !ret.max && !ret.count && !ret.all && !ret.save && !ret.partial && !ret.update {
		ret.all = true
	}
	return ret, nil
}

// parsePartialRange reads a PARTIAL range (RFC 9394 section 3):
// "first:last" of positive positions or of negative ones, in either
// order; it returns them with the smaller magnitude first.
func parsePartialRange(r string) (first, last int64, err error) {
	a, b, ok := strings.Cut(r, ":")
	x, errA := strconv.ParseInt(a, 10, 32)
	y, errB := strconv.ParseInt(b, 10, 32)
	if !ok || errA != nil || errB != nil || x == 0 || y == 0 || (x < 0) != (y < 0) ||
		strings.HasPrefix(a, "+") || strings.HasPrefix(b, "+") {
		return 0, 0, bad("Bad PARTIAL range %s", sanitize(r))
	}
	if (x > 0 && x > y) || (x < 0 && x < y) {
		x, y = y, x
	}
	return x, y, nil
}

// partialOf returns the results at the positions of a PARTIAL range.
func partialOf(hits []uint32, first, last int64) []uint32 {
	n := int64(len(hits))
	var from, to int64 // indexes, to exclusive
	if first > 0 {
		from, to = first-1, min(last, n)
	} else {
		from, to = max(n+last, 0), n+first+1
	}
	if from >= to {
		return nil
	}
	return hits[from:to]
}

// wantsESearch reports whether every SEARCH of this session is answered
// with ESEARCH even without RETURN: IMAP4rev2 sessions (RFC 9051
// section 6.4.4.1); IMAP4rev1 sessions get SEARCH.
func (s *session) wantsESearch() bool { return s.rev2 }

// searchResult is what a SEARCH found, for ESEARCH to report.
type searchResult struct {
	hits []uint32 // sequence numbers, or UIDs with uid; ascending
	uid  bool
	// modSeq, when not zero, is the highest mod-sequence of the
	// messages found, which an ESEARCH answer to a search that used
	// MODSEQ must carry (RFC 7162 section 3.1.5): CONDSTORE sets it.
	modSeq uint64
}

// writeESearch writes the ESEARCH response (RFC 4731 section 3.1) for
// the command tagged tag: MIN, MAX and ALL only when something matched,
// COUNT always. With SAVE as the only option nothing is sent (RFC 5182
// section 2.4). Any command that answers with ESEARCH (SEARCH, UID
// SEARCH, and in IMAP4rev2 sessions every SEARCH) calls it.
func (s *session) writeESearch(tag string, ret searchReturn, res searchResult) {
	if ret.save && !ret.min && !ret.max && !ret.count && !ret.all && !ret.partial && !ret.update {
		return
	}
	s.e.Raw("* ESEARCH (TAG ").String(tag).Byte(')')
	if res.uid {
		s.e.Raw(" UID")
	}
	if n := len(res.hits); n > 0 {
		if ret.min {
			s.e.Raw(" MIN ").Number(res.hits[0])
		}
		if ret.max {
			s.e.Raw(" MAX ").Number(res.hits[n-1])
		}
	}
	if ret.count {
		s.e.Raw(" COUNT ").Number(uint32(len(res.hits)))
	}
	if ret.all && len(res.hits) > 0 {
		s.e.Raw(" ALL ")
		writeCompactSet(s, res.hits)
	}
	if ret.partial {
		// RFC 9394 section 3.1: the range asked, then the results in
		// it or NIL.
		s.e.Raw(" PARTIAL (").Raw(strconv.FormatInt(ret.first, 10)).Byte(':').Raw(strconv.FormatInt(ret.last, 10)).SP()
		if part := partialOf(res.hits, ret.first, ret.last); len(part) > 0 {
			writeCompactSet(s, part)
		} else {
			s.e.Raw("NIL")
		}
		s.e.Byte(')')
	}
	if res.modSeq > 0 {
		s.e.Raw(" MODSEQ ").Number64(int64(res.modSeq))
	}
	s.e.CRLF()
}

// writeCompactSet writes ascending numbers as a sequence set of ranges
// (1:3,5).
func writeCompactSet(s *session, nums []uint32) {
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if i > 0 {
			s.e.Byte(',')
		}
		s.e.Number(nums[i])
		if j > i {
			s.e.Byte(':').Number(nums[j])
		}
		i = j + 1
	}
}

// saveResult keeps the UIDs of a SEARCH RETURN (SAVE) for "$" (RFC 5182
// section 2.1): with MIN or MAX as well, only those messages are saved.
func (s *session) saveResult(ret searchReturn, uids []uint32) {
	switch {
	case len(uids) == 0:
		s.saved = nil
	case (ret.min || ret.max) && !ret.all && !ret.count && !ret.partial:
		var keep []uint32
		if ret.min {
			keep = append(keep, uids[0])
		}
		if ret.max && (!ret.min || len(uids) > 1) {
			keep = append(keep, uids[len(uids)-1])
		}
		s.saved = keep
	default:
		s.saved = append([]uint32(nil), uids...)
	}
}

// savedSet is the saved search result as a UID set ("$", RFC 5182
// section 2.1), whichever command reads it: messages expunged since are
// simply no longer found, as section 2.1 asks, and messages added since
// are not in it. An empty result matches no message.
func (s *session) savedSet() imap.UIDSet {
	set := make(imap.UIDSet, 0, len(s.saved))
	for _, u := range s.saved {
		if n := len(set); n > 0 && uint32(set[n-1].Stop)+1 == u {
			set[n-1].Stop = imap.UID(u)
			continue
		}
		set = append(set, imap.UIDRange{Start: imap.UID(u), Stop: imap.UID(u)})
	}
	return set
}

// numSet reads a sequence set, or "$" for the saved search result
// (RFC 5182 section 2.1), which is always a UID set.
func (s *session) numSet(uid bool) (imap.NumSet, error) {
	if s.d.Maybe('$') {
		return s.savedSet(), nil
	}
	return s.d.NumSet(uid)
}
