package imap

import (
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/storage"
)

// searchContext is a SEARCH or SORT RETURN (UPDATE) the server keeps up
// to date (RFC 5267 section 4): its result is told again, as ADDTO and
// REMOVEFROM, or as new MIN, MAX and COUNT, whenever it changes, until
// CANCELUPDATE or until the mailbox is closed.
type searchContext struct {
	tag  string
	crit *imap.SearchCriteria
	uid  bool
	ret  searchReturn
	view *storage.View // the mailbox it searches; another means it is over
	// order is a SORT's criteria (CONTEXT=SORT), nil for a SEARCH.
	order []sortCriterion
	// uids is the result last told: ascending for a SEARCH, in the
	// SORT's order for a SORT. Messages expunged since the last update
	// are marked in gone, and taken out by compact.
	uids []uint32
	gone *removals
}

// removals marks the messages of a context's result that expunges took
// out, so that an EXPUNGE of many messages costs O(n log n) and not a
// copy of the whole result per message.
type removals struct {
	gone []bool // by index in uids
	// For a SORT only: live is a Fenwick tree counting the messages not
	// gone (to tell each one's position), byUID maps a UID to its index
	// (uid<<32 | index, ascending).
	live  []int32
	byUID []uint64
}

// newRemovals prepares to mark removals in a result of n messages.
func newRemovals(uids []uint32, sorted bool) *removals {
	r := &removals{gone: make([]bool, len(uids))}
	if !sorted {
		return r
	}
	r.live = make([]int32, len(uids)+1)
	for i := 1; i <= len(uids); i++ {
		r.live[i]++
		if j := i + i&-i; j <= len(uids) {
			r.live[j] += r.live[i]
		}
	}
	r.byUID = make([]uint64, len(uids))
	for i, u := range uids {
		r.byUID[i] = uint64(u)<<32 | uint64(i)
	}
	slices.Sort(r.byUID)
	return r
}

// liveBefore returns how many messages before index i are not gone.
func (r *removals) liveBefore(i int) int {
	n := int32(0)
	for ; i > 0; i -= i & -i {
		n += r.live[i]
	}
	return int(n)
}

// remove marks index i gone.
func (r *removals) remove(i int) {
	r.gone[i] = true
	for j := i + 1; r.live != nil && j < len(r.live); j += j & -j {
		r.live[j]--
	}
}

// maxSearchContexts bounds the updating searches of one session; each
// costs a search after every command.
const maxSearchContexts = 8

// addSearchContext keeps a SEARCH or SORT with UPDATE (RFC 5267 section
// 4.1) whose first result was c.uids. A tag that names a context already
// is refused with BAD (section 4.3). Past maxSearchContexts the updates
// are refused with an untagged NO [NOUPDATE] and the command goes on
// with its other return options (section 4.3.1).
func (s *session) addSearchContext(c *searchContext) error {
	s.dropStaleContexts()
	for _, o := range s.contexts {
		if o.tag == c.tag {
			return bad("Tag reuse: %s already names an updating search", sanitize(c.tag))
		}
	}
	if len(s.contexts) >= maxSearchContexts {
		s.e.Raw("* NO [NOUPDATE ").String(c.tag).Raw("] Too many updating searches; CANCELUPDATE one first\r\n")
		return nil
	}
	c.view = s.view
	c.uids = slices.Clone(c.uids)
	s.contexts = append(s.contexts, c)
	return nil
}

// dropStaleContexts forgets the contexts of a mailbox no longer selected.
func (s *session) dropStaleContexts() {
	s.contexts = slices.DeleteFunc(s.contexts, func(c *searchContext) bool { return c.view != s.view || s.view == nil })
}

// contextExpunged is called before an EXPUNGE response for message seq:
// every context that held it hears REMOVEFROM first, with the number the
// message had (RFC 5267 section 4.3.4) and, for a SORT, its position.
func (s *session) contextExpunged(seq, uid uint32) {
	for _, c := range s.contexts {
		if c.view != s.view {
			continue
		}
		if c.ret.min || c.ret.max || c.ret.count {
			continue // told at the end, by updateContexts
		}
		if c.gone == nil {
			c.gone = newRemovals(c.uids, c.order != nil)
		}
		i, found := c.index(uid)
		if !found {
			continue
		}
		n := seq
		if c.uid {
			n = uid
		}
		pos := 0 // a SEARCH's results are in mailbox order
		if c.order != nil {
			pos = c.gone.liveBefore(i) + 1
		}
		c.gone.remove(i)
		c.writeHead(s)
		s.e.Raw(" REMOVEFROM (").Number(uint32(pos)).SP().Number(n).Raw(")\r\n")
	}
}

// index finds uid among the messages of the context's result not gone
// (c.gone is set).
func (c *searchContext) index(uid uint32) (int, bool) {
	if c.order == nil {
		i, found := slices.BinarySearch(c.uids, uid)
		return i, found && !c.gone.gone[i]
	}
	byUID := c.gone.byUID
	k, _ := slices.BinarySearch(byUID, uint64(uid)<<32)
	if k == len(byUID) || uint32(byUID[k]>>32) != uid {
		return 0, false
	}
	i := int(uint32(byUID[k]))
	return i, !c.gone.gone[i]
}

// compact takes the messages marked gone out of the result.
func (c *searchContext) compact() {
	if c.gone == nil {
		return
	}
	k := 0
	for i, u := range c.uids {
		if !c.gone.gone[i] {
			c.uids[k] = u
			k++
		}
	}
	c.uids = c.uids[:k]
	c.gone = nil
}

// writeHead begins an ESEARCH response of the context.
func (c *searchContext) writeHead(s *session) {
	s.e.Raw("* ESEARCH (TAG ").String(c.tag).Byte(')')
	if c.uid {
		s.e.Raw(" UID")
	}
}

// updateContexts searches again for every context and tells what
// changed (RFC 5267 section 4.3). It runs after each command's updates
// and IDLE's.
func (s *session) updateContexts() {
	s.dropStaleContexts()
	for _, c := range s.contexts {
		c.compact()
		var seqs, uids []uint32
		if c.order != nil {
			seqs, uids = s.sortResult(c.crit, c.order)
		} else {
			seqs, uids = s.search(c.crit)
		}
		if s.takeSearchErr() != nil {
			continue // told at the next update that can read the dates
		}
		if slices.Equal(c.uids, uids) {
			continue
		}
		if c.ret.min || c.ret.max || c.ret.count {
			// The new MIN, MAX and COUNT, as the first answer gave them.
			hits := seqs
			if c.uid {
				hits = uids
			}
			r := c.ret
			r.all, r.save, r.partial = false, false, false
			s.writeESearch(c.tag, r, searchResult{hits: hits, uid: c.uid})
			c.uids = uids
			continue
		}
		if c.order != nil {
			s.writeSortChanges(c, uids)
			c.uids = uids
			continue
		}
		added, removed := diffAscending(c.uids, uids)
		for _, change := range []struct {
			name string
			set  []uint32
		}{{"REMOVEFROM", removed}, {"ADDTO", added}} {
			if len(change.set) == 0 {
				continue
			}
			c.writeHead(s)
			s.e.SP().Raw(change.name).Raw(" (0 ")
			writeCompactSet(s, s.contextNumbers(c, change.set, true))
			s.e.Raw(")\r\n")
		}
		c.uids = uids
	}
}

// contextNumbers returns what a context tells of messages still in the
// mailbox: their UIDs, or their sequence numbers now (ascending when
// sorted).
func (s *session) contextNumbers(c *searchContext, uids []uint32, sorted bool) []uint32 {
	if c.uid {
		return uids
	}
	nums := make([]uint32, len(uids))
	for i, u := range uids {
		nums[i] = s.view.SeqOf(u)
	}
	if sorted {
		slices.Sort(nums)
	}
	return nums
}

// writeSortChanges tells how a SORT context's result went from c.uids to
// now (RFC 5267 sections 4.3.3 and 4.3.4): REMOVEFROM, then ADDTO, each
// a list of pairs of a position (1 the first) and the messages that
// leave it or come in there, in the SORT's order. The pairs apply one
// after the other: a REMOVEFROM pair's position counts the results kept
// before it, an ADDTO pair's those of the new result before it. SORT
// orders by keys that never change, ties by sequence number, so the
// messages kept stay in the same order.
func (s *session) writeSortChanges(c *searchContext, now []uint32) {
	added, removed := diffAscending(slices.Sorted(slices.Values(c.uids)), slices.Sorted(slices.Values(now)))
	in := func(set []uint32, uid uint32) bool {
		_, found := slices.BinarySearch(set, uid)
		return found
	}
	for _, change := range []struct {
		name   string
		list   []uint32 // the result the positions count in
		set    []uint32
		counts bool // positions count the runs of set passed (ADDTO)
	}{{"REMOVEFROM", c.uids, removed, false}, {"ADDTO", now, added, true}} {
		if len(change.set) == 0 {
			continue
		}
		c.writeHead(s)
		s.e.SP().Raw(change.name).Raw(" (")
		pos, first := 0, true
		for i := 0; i < len(change.list); {
			if !in(change.set, change.list[i]) {
				pos++
				i++
				continue
			}
			j := i + 1
			for j < len(change.list) && in(change.set, change.list[j]) {
				j++
			}
			if !first {
				s.e.SP()
			}
			first = false
			s.e.Number(uint32(pos + 1)).SP()
			writeCompactSet(s, s.contextNumbers(c, change.list[i:j], false))
			if change.counts {
				pos += j - i
			}
			i = j
		}
		s.e.Raw(")\r\n")
	}
}

// diffAscending returns what b has that a lacks, and what a has that b
// lacks; both ascend.
func diffAscending(a, b []uint32) (added, removed []uint32) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			removed = append(removed, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// cmdCancelUpdate: RFC 5267 section 4.2. Each tag names a SEARCH with
// UPDATE of this session, which is no longer kept up to date.
func (s *session) cmdCancelUpdate(tag string, _ bool) error {
	var tags []string
	for !s.d.AtEOL() {
		if err := s.d.SP(); err != nil {
			return err
		}
		t, err := s.d.String()
		if err != nil {
			return err
		}
		tags = append(tags, t)
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if len(tags) == 0 {
		return bad("CANCELUPDATE needs a tag")
	}
	s.dropStaleContexts()
	var unknown []string
	for _, t := range tags {
		n := len(s.contexts)
		s.contexts = slices.DeleteFunc(s.contexts, func(c *searchContext) bool { return c.tag == t })
		if len(s.contexts) == n {
			unknown = append(unknown, sanitize(t))
		}
	}
	if len(unknown) > 0 {
		return bad("No updating search is tagged %s", strings.Join(unknown, ", "))
	}
	return nil
}
