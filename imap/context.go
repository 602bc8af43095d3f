package imap

import (
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/storage"
)

// searchContext is a SEARCH RETURN (UPDATE) the server keeps up to date
// (RFC 5267 section 4): its result is told again, as ADDTO and
// REMOVEFROM, or as new MIN, MAX and COUNT, whenever it changes, until
// CANCELUPDATE or until the mailbox is closed.
type searchContext struct {
	tag  string
	crit *imap.SearchCriteria
	uid  bool
	ret  searchReturn
	view *storage.View // the mailbox it searches; another means it is over
	uids []uint32      // the result last told, ascending
}

// maxSearchContexts bounds the updating searches of one session; each
// costs a search after every command.
const maxSearchContexts = 8

// addSearchContext keeps a SEARCH with UPDATE (RFC 5267 section 4.1)
// whose first result was uids.
func (s *session) addSearchContext(tag string, crit *imap.SearchCriteria, uid bool, ret searchReturn, uids []uint32) error {
	s.dropStaleContexts()
	if len(s.contexts) >= maxSearchContexts {
		return no("NOUPDATE "+quoteTag(tag), "Too many updating searches; CANCELUPDATE one first")
	}
	s.contexts = append(s.contexts, &searchContext{tag: tag, crit: crit, uid: uid, ret: ret, view: s.view, uids: slices.Clone(uids)})
	return nil
}

func quoteTag(tag string) string { return `"` + tag + `"` }

// dropStaleContexts forgets the contexts of a mailbox no longer selected.
func (s *session) dropStaleContexts() {
	s.contexts = slices.DeleteFunc(s.contexts, func(c *searchContext) bool { return c.view != s.view || s.view == nil })
}

// contextExpunged is called before an EXPUNGE response for message seq:
// every context that held it hears REMOVEFROM first, with the number the
// message had (RFC 5267 section 4.3).
func (s *session) contextExpunged(seq, uid uint32) {
	for _, c := range s.contexts {
		if c.view != s.view {
			continue
		}
		i, found := slices.BinarySearch(c.uids, uid)
		if !found {
			continue
		}
		c.uids = slices.Delete(c.uids, i, i+1)
		if c.ret.min || c.ret.max || c.ret.count {
			continue // told at the end, by updateContexts
		}
		n := seq
		if c.uid {
			n = uid
		}
		s.e.Raw("* ESEARCH (TAG ").String(c.tag).Byte(')')
		if c.uid {
			s.e.Raw(" UID")
		}
		s.e.Raw(" REMOVEFROM (0 ").Number(n).Raw(")\r\n")
	}
}

// updateContexts searches again for every context and tells what
// changed (RFC 5267 section 4.3). It runs after each command's updates
// and IDLE's.
func (s *session) updateContexts() {
	s.dropStaleContexts()
	for _, c := range s.contexts {
		seqs, uids := s.search(c.crit)
		added, removed := diffAscending(c.uids, uids)
		if len(added) == 0 && len(removed) == 0 {
			c.uids = uids
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
		for _, change := range []struct {
			name string
			set  []uint32
		}{{"REMOVEFROM", removed}, {"ADDTO", added}} {
			if len(change.set) == 0 {
				continue
			}
			nums := change.set
			if !c.uid {
				// Messages still here: their sequence numbers now.
				nums = make([]uint32, len(change.set))
				for i, u := range change.set {
					nums[i] = s.view.SeqOf(u)
				}
				slices.Sort(nums)
			}
			s.e.Raw("* ESEARCH (TAG ").String(c.tag).Byte(')')
			if c.uid {
				s.e.Raw(" UID")
			}
			s.e.SP().Raw(change.name).Raw(" (0 ")
			writeCompactSet(s, nums)
			s.e.Raw(")\r\n")
		}
		c.uids = uids
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
