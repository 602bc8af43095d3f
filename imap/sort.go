package imap

import (
	"cmp"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// sortKey is one SORT key (RFC 5256 section 3, RFC 5957 section 3).
type sortKey uint8

const (
	sortArrival sortKey = iota
	sortCc
	sortDate
	sortFrom
	sortSize
	sortSubject
	sortTo
	sortDisplayFrom
	sortDisplayTo
)

var sortKeyNames = map[string]sortKey{
	"ARRIVAL": sortArrival, "CC": sortCc, "DATE": sortDate, "FROM": sortFrom,
	"SIZE": sortSize, "SUBJECT": sortSubject, "TO": sortTo,
	"DISPLAYFROM": sortDisplayFrom, "DISPLAYTO": sortDisplayTo,
}

// sortCriterion is a sort key, perhaps reversed.
type sortCriterion struct {
	key     sortKey
	reverse bool
}

// maxSortCriteria bounds a SORT's list; there are nine keys.
const maxSortCriteria = 32

// parseSortCriteria reads "(" sort-criterion *(SP sort-criterion) ")"
// (RFC 5256 section 5): REVERSE applies to the key after it.
func (s *session) parseSortCriteria() ([]sortCriterion, error) {
	var crit []sortCriterion
	reverse := false
	err := s.d.List(func() error {
		word, err := s.d.Atom()
		if err != nil {
			return err
		}
		word = strings.ToUpper(word)
		if word == "REVERSE" && !reverse {
			reverse = true
			if err := s.d.SP(); err != nil {
				return err
			}
			if word, err = s.d.Atom(); err != nil {
				return err
			}
			word = strings.ToUpper(word)
		}
		k, ok := sortKeyNames[word]
		if !ok {
			return &wire.SyntaxError{Msg: "unknown sort key " + sanitize(word)}
		}
		if len(crit) == maxSortCriteria {
			return bad("Too many sort criteria")
		}
		crit = append(crit, sortCriterion{key: k, reverse: reverse})
		reverse = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(crit) == 0 {
		return nil, bad("SORT needs at least one sort key")
	}
	return crit, nil
}

// parseCharset reads the charset argument that SORT and THREAD require
// before their search keys (RFC 5256 section 3): US-ASCII and UTF-8 are
// known, any other is refused with BADCHARSET.
func (s *session) parseCharset() error {
	if err := s.d.SP(); err != nil {
		return err
	}
	cs, err := s.d.AString()
	if err != nil {
		return err
	}
	switch strings.ToUpper(cs) {
	case "US-ASCII", "UTF-8":
		return nil
	}
	return no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset")
}

// parseSortSearch reads the charset and the search keys of a SORT or
// THREAD to the end of the line; a MODSEQ key enables CONDSTORE (RFC
// 7162 section 3.1).
func (s *session) parseSortSearch() (*imap.SearchCriteria, error) {
	if err := s.parseCharset(); err != nil {
		return nil, err
	}
	search, _, err := s.parseSearchKeys(false)
	if err != nil {
		return nil, err
	}
	if err := s.d.CRLF(); err != nil {
		return nil, err
	}
	if usesModSeq(search) {
		if err := s.modSeqKept(); err != nil {
			return nil, err
		}
		s.enableCondStore()
	}
	return search, nil
}

// sorted is one message found by a SORT or THREAD.
type sorted struct {
	seq, uid uint32
	arrival  int64 // internal date, seconds since 1970
	size     int64
	keys     sortKeys
}

// sortedSearch runs the search of a SORT or THREAD: the messages that
// match crit, with the sort keys need names (see decodeOnly), taken from
// the shared cache a batch at a time, and read from the messages' headers
// only when missing (fillSortKeys).
func (s *session) sortedSearch(crit *imap.SearchCriteria, need int) []sorted {
	found := make([]sorted, 0, s.view.Count())
	// ARRIVAL, and DATE (and THREAD) for a message without a Date
	// field, order by the internal date.
	s.searchEach(crit, true, func(seq uint32, m *storage.Message) {
		found = append(found, sorted{seq: seq, uid: m.UID, arrival: m.InternalDate.Unix(), size: m.Size})
	})
	if need < 0 {
		return found
	}
	uids := make([]uint32, fetchBatch)
	vals := make([]any, fetchBatch)
	var missing []int
	for start := 0; start < len(found); start += fetchBatch {
		batch := found[start:min(start+fetchBatch, len(found))]
		for i := range batch {
			uids[i] = batch[i].uid
		}
		s.view.CachedBatch(uids[:len(batch)], cacheSortKeys, vals[:len(batch)])
		for i := range batch {
			e := &batch[i]
			if b, ok := vals[i].([]byte); ok && e.keys.decodeOnly(b, need) == nil {
				continue
			}
			missing = append(missing, start+i)
		}
	}
	if len(missing) > 0 {
		s.fillSortKeys(found, missing)
	}
	return found
}

// sentDate is the date SORT's DATE key and THREAD order by (RFC 5256
// section 2.2): the Date field, or the internal date without one.
func (e *sorted) sentDate() int64 {
	if e.keys.hasDate {
		return e.keys.date
	}
	return e.arrival
}

// compareSorted compares two messages by the SORT criteria, then by
// sequence number (RFC 5256 section 3).
func compareSorted(crit []sortCriterion, a, b *sorted) int {
	for _, c := range crit {
		var r int
		switch c.key {
		case sortArrival:
			r = cmp.Compare(a.arrival, b.arrival)
		case sortCc:
			r = strings.Compare(a.keys.cc, b.keys.cc)
		case sortDate:
			r = cmp.Compare(a.sentDate(), b.sentDate())
		case sortFrom:
			r = strings.Compare(a.keys.from, b.keys.from)
		case sortSize:
			r = cmp.Compare(a.size, b.size)
		case sortSubject:
			r = strings.Compare(a.keys.subject, b.keys.subject)
		case sortTo:
			r = strings.Compare(a.keys.to, b.keys.to)
		case sortDisplayFrom:
			r = strings.Compare(a.keys.displayFrom, b.keys.displayFrom)
		case sortDisplayTo:
			r = strings.Compare(a.keys.displayTo, b.keys.displayTo)
		}
		if c.reverse {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return cmp.Compare(a.seq, b.seq)
}

// keysNeeded says which sortKeys the criteria compare (see decodeOnly):
// -1 when none, not even the date.
func keysNeeded(crit []sortCriterion) int {
	need := -1
	for _, c := range crit {
		switch c.key {
		case sortArrival, sortSize:
			continue
		case sortCc:
			need = max(need, 0) | needCc
		case sortFrom:
			need = max(need, 0) | needFrom
		case sortSubject:
			need = max(need, 0) | needSubject
		case sortTo:
			need = max(need, 0) | needTo
		case sortDisplayFrom:
			need = max(need, 0) | needDisplayFrom
		case sortDisplayTo:
			need = max(need, 0) | needDisplayTo
		case sortDate:
			need = max(need, 0)
		}
	}
	return need
}

// cmdSort: RFC 5256 section 3 (SORT and UID SORT), with the DISPLAYFROM
// and DISPLAYTO keys of RFC 5957 section 3, the RETURN options of ESORT
// (RFC 5267 section 3.2) and UPDATE and CONTEXT of CONTEXT=SORT (section
// 4).
func (s *session) cmdSort(tag string, uid bool) error {
	ret, err := s.parseSortReturn()
	if err != nil {
		return err
	}
	crit, err := s.parseSortCriteria()
	if err != nil {
		return err
	}
	search, err := s.parseSortSearch()
	if err != nil {
		if ret.save {
			s.saved = nil // RFC 5182 section 2.1: a failed SAVE empties "$"
		}
		return err
	}
	hits, uids := s.sortResult(search, crit)
	if err := s.takeSearchErr(); err != nil {
		if ret.save {
			s.saved = nil // RFC 5182 section 2.1: a failed SAVE empties "$"
		}
		return err
	}
	if uid {
		hits = uids
	}
	if ret.save {
		s.saveResult(ret, uids)
	}
	if ret.update {
		// CONTEXT=SORT (RFC 5267 section 4): kept up to date from now on.
		c := &searchContext{tag: tag, crit: search, uid: uid, ret: ret, order: crit, uids: uids}
		if err := s.addSearchContext(c); err != nil {
			return err
		}
	}
	if ret.extended {
		s.writeESearch(tag, ret, searchResult{hits: hits, uid: uid})
		return nil
	}
	s.e.Raw("* SORT")
	for _, h := range hits {
		s.e.SP().Number(h)
	}
	s.e.CRLF()
	return nil
}

// sortResult runs a SORT: the sequence numbers and the UIDs of the
// messages that match search, in the order of crit.
func (s *session) sortResult(search *imap.SearchCriteria, crit []sortCriterion) (seqs, uids []uint32) {
	found := s.sortedSearch(search, keysNeeded(crit))
	// Sort indexes: the entries are large.
	order := make([]int32, len(found))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareSorted(crit, &found[a], &found[b]) })
	seqs = make([]uint32, len(found))
	uids = make([]uint32, len(found))
	for i, k := range order {
		seqs[i], uids[i] = found[k].seq, found[k].uid
	}
	return seqs, uids
}

// parseSortReturn reads the space after SORT and, when they come, the
// RETURN options of ESORT (RFC 5267 section 3.2) and the space after
// them.
func (s *session) parseSortReturn() (searchReturn, error) {
	var ret searchReturn
	if err := s.d.SP(); err != nil {
		return ret, err
	}
	if b, err := s.d.Peek(); err != nil || b == '(' {
		return ret, err
	}
	word, err := s.d.Atom()
	if err != nil {
		return ret, err
	}
	if !strings.EqualFold(word, "RETURN") {
		return ret, &wire.SyntaxError{Msg: "expected RETURN or sort criteria"}
	}
	if ret, err = s.parseSearchReturn(true); err != nil {
		return ret, err
	}
	return ret, s.d.SP()
}
