package imap

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/storage"
)

// cmdSearch: RFC 3501 section 6.4.4 (and UID SEARCH, 6.4.8), with
// ESEARCH's RETURN options (RFC 4731 section 3.1) and SEARCHRES's SAVE
// and "$" (RFC 5182 section 2).
func (s *session) cmdSearch(tag string, uid bool) error {
	crit, ret, err := s.parseSearch(uid)
	if err != nil {
		if ret.save {
			s.saved = nil // RFC 5182 section 2.1: a failed SAVE empties "$"
		}
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	withModSeq := usesModSeq(crit)
	if withModSeq {
		// A CONDSTORE enabling command (RFC 7162 section 3.1).
		if err := s.modSeqKept(); err != nil {
			return err
		}
		s.enableCondStore()
	}
	seqs, uids := s.search(crit)
	if err := s.takeSearchErr(); err != nil {
		if ret.save {
			s.saved = nil // RFC 5182 section 2.1: a failed SAVE empties "$"
		}
		return err
	}
	var highest uint64
	if withModSeq && len(uids) > 0 {
		// RFC 7162 section 3.1.5: the highest modseq of the messages
		// found; of those returned when only MIN and MAX are (RFC 4731
		// section 3.2).
		counted := uids
		if ret.extended && (ret.min || ret.max) && !ret.all && !ret.count && !ret.partial {
			counted = nil
			if ret.min {
				counted = append(counted, uids[0])
			}
			if ret.max {
				counted = append(counted, uids[len(uids)-1])
			}
		}
		msgs := make([]storage.Message, len(counted))
		s.view.Lookup(counted, msgs)
		for i := range msgs {
			highest = max(highest, msgs[i].ModSeq)
		}
	}
	if ret.save {
		s.saveResult(ret, uids)
	}
	hits := seqs
	if uid {
		hits = uids
	}
	if ret.update {
		// RFC 5267 section 4.1: kept up to date from now on.
		if err := s.addSearchContext(&searchContext{tag: tag, crit: crit, uid: uid, ret: ret, uids: uids}); err != nil {
			return err
		}
	}
	if ret.extended || s.wantsESearch() {
		if !ret.extended {
			ret = searchReturn{extended: true, all: true}
		}
		s.writeESearch(tag, ret, searchResult{hits: hits, uid: uid, modSeq: highest})
		return nil
	}
	s.e.Raw("* SEARCH")
	for _, h := range hits {
		s.e.SP().Number(h)
	}
	if highest > 0 {
		s.e.Raw(" (MODSEQ ").Number64(int64(highest)).Byte(')')
	}
	s.e.CRLF()
	return nil
}

// usesModSeq reports whether crit has a MODSEQ key at any depth.
func usesModSeq(crit *imap.SearchCriteria) bool {
	return anyCriterion(crit, func(c *imap.SearchCriteria) bool { return c.ModSeq != nil })
}

// usesDate reports whether crit, at any depth, compares internal dates
// (BEFORE, ON, SINCE).
func usesDate(crit *imap.SearchCriteria) bool {
	return anyCriterion(crit, func(c *imap.SearchCriteria) bool { return !c.Since.IsZero() || !c.Before.IsZero() })
}

// anyCriterion reports whether has is true of crit or of a criterion
// inside it (NOT, OR), at any depth.
func anyCriterion(crit *imap.SearchCriteria, has func(*imap.SearchCriteria) bool) bool {
	if has(crit) {
		return true
	}
	for i := range crit.Not {
		if anyCriterion(&crit.Not[i], has) {
			return true
		}
	}
	for i := range crit.Or {
		if anyCriterion(&crit.Or[i][0], has) || anyCriterion(&crit.Or[i][1], has) {
			return true
		}
	}
	return false
}

// takeSearchErr returns, as a NO, the error that kept the last searchEach
// from learning the internal dates its criteria compare (a file that
// could not be statted for another reason than being gone), and forgets
// it; nil when there was none.
func (s *session) takeSearchErr() error {
	err := s.searchErr
	s.searchErr = nil
	if err == nil {
		return nil
	}
	return no("SERVERBUG", "Cannot read the messages' internal dates now; try again later")
}

// search returns the sequence numbers and the UIDs of the messages of
// the selected mailbox that match crit, in ascending order.
func (s *session) search(crit *imap.SearchCriteria) (seqs, uidHits []uint32) {
	s.searchEach(crit, usesDate(crit), func(seq uint32, m *storage.Message) {
		seqs = append(seqs, seq)
		uidHits = append(uidHits, m.UID)
	})
	return seqs, uidHits
}

// searchEach calls found, in ascending order, for each message of the
// selected mailbox that matches crit: the one search evaluation that
// SEARCH, SORT and THREAD share. m is valid only during the call. With
// dates, every m has its internal date (see storage.Dater); a message
// whose date went with its file is expunged and left out.
func (s *session) searchEach(crit *imap.SearchCriteria, dates bool, found func(seq uint32, m *storage.Message)) {
	uids := s.view.UIDs()
	ev := searcher{s: s, count: uint32(len(uids))}
	ev.collectText(crit)
	filters := ev.textFilters(crit)
	if len(uids) > 0 {
		ev.maxUID = uids[len(uids)-1]
	}
	// The positions in uids of the messages the index did not rule out
	// (every message when it did not narrow).
	n, at := len(uids), func(j int) int { return j }
	if len(filters) > 0 {
		var sel []int
		for i, uid := range uids {
			if mayMatch(filters, uid) {
				sel = append(sel, i)
			}
		}
		n, at = len(sel), func(j int) int { return sel[j] }
	}
	// When the index narrowed the search for crit's own BODY or TEXT
	// keys, the candidates left are few and every one's text is read:
	// in parallel, a batch at a time. (A scan reads a text only when the
	// other keys leave the message in.)
	needText := len(filters) > 0 && len(crit.Body)+len(crit.Text) > 0
	msgs := make([]storage.Message, fetchBatch)
	chunk := make([]uint32, 0, fetchBatch)
	cands := make([]candidate, 0, fetchBatch)
	for start := 0; start < n; start += fetchBatch {
		end := min(start+fetchBatch, n)
		// Copied: Lookup must not see the view change under it.
		chunk = chunk[:0]
		for j := start; j < end; j++ {
			chunk = append(chunk, uids[at(j)])
		}
		s.view.Lookup(chunk, msgs[:end-start])
		if dates {
			if err := s.view.Dated(msgs[:end-start]); err != nil {
				// The answer would compare with dates it does not
				// have: the command fails instead (takeSearchErr).
				s.log.Warn("imap: SEARCH: internal dates", "err", err)
				if s.searchErr == nil {
					s.searchErr = err
				}
			}
		}
		cands = cands[:0]
		for j := start; j < end; j++ {
			m := &msgs[j-start]
			if m.UID == 0 {
				continue
			}
			cands = append(cands, candidate{seq: uint32(at(j) + 1), m: m})
		}
		if needText {
			ev.readTexts(cands)
		}
		for i := range cands {
			if ev.match(crit, &cands[i]) {
				found(cands[i].seq, cands[i].m)
			}
		}
	}
}

// readTexts reads the text of each candidate for the searcher's BODY
// and TEXT strings, in as many goroutines as Go runs at once.
func (ev *searcher) readTexts(cands []candidate) {
	workers := min(runtime.GOMAXPROCS(0), len(cands))
	if workers < 2 {
		return // read when match asks
	}
	for len(ev.finders) < workers {
		ev.finders = append(ev.finders, message.NewSearcher(ev.body, ev.text))
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(finder *message.Searcher) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cands) {
					return
				}
				ev.readText(&cands[i], finder)
			}
		}(ev.finders[w])
	}
	wg.Wait()
}

// searcher evaluates search criteria for one SEARCH command.
type searcher struct {
	s      *session
	count  uint32 // messages in the view: "*" in a sequence set
	maxUID uint32 // the view's highest UID: "*" in a UID set

	// The strings of every BODY and TEXT key, each once, looked for in
	// one reading of a candidate's text.
	body, text []string
	finders    []*message.Searcher // one a goroutine reading texts
}

// candidate is one message under test, with its text loaded lazily.
type candidate struct {
	seq    uint32
	m      *storage.Message
	header []byte // the whole header
	epoch  uint64 // the view's CacheEpoch when header was read
	fields []byte // the commonly searched fields (cacheSearchFields)
	failed bool
	// inBody and inText say which of the searcher's body and text
	// strings the message holds, once its text has been read.
	inBody, inText []bool
	textRead       bool
}

// collectText gathers the strings of crit's BODY and TEXT keys, at any
// depth, so that a candidate's text is read once for all of them.
func (ev *searcher) collectText(crit *imap.SearchCriteria) {
	for _, b := range crit.Body {
		if !slices.Contains(ev.body, b) {
			ev.body = append(ev.body, b)
		}
	}
	for _, t := range crit.Text {
		if !slices.Contains(ev.text, t) {
			ev.text = append(ev.text, t)
		}
	}
	for i := range crit.Not {
		ev.collectText(&crit.Not[i])
	}
	for i := range crit.Or {
		ev.collectText(&crit.Or[i][0])
		ev.collectText(&crit.Or[i][1])
	}
}

// hasText reports whether the candidate's body text (or, with
// withHeaders, its text) contains s, reading the message the first time
// it is asked, streamed (message.Searcher), for every string at once.
func (ev *searcher) hasText(c *candidate, s string, withHeaders bool) bool {
	if !c.textRead {
		if len(ev.finders) == 0 {
			ev.finders = append(ev.finders, message.NewSearcher(ev.body, ev.text))
		}
		ev.readText(c, ev.finders[0])
	}
	strs, found := ev.body, c.inBody
	if withHeaders {
		strs, found = ev.text, c.inText
	}
	if found == nil {
		return s == ""
	}
	return found[slices.Index(strs, s)]
}

// readText reads the candidate's text with finder, for every BODY and
// TEXT string at once.
func (ev *searcher) readText(c *candidate, finder *message.Searcher) {
	c.textRead = true
	// The message as stored (LF line ends): text search needs no CRLF
	// copy.
	rc, err := ev.s.view.OpenStored(c.m.UID)
	if err == nil {
		defer rc.Close()
		c.inBody, c.inText, err = finder.Search(rc)
	}
	if err != nil {
		ev.s.log.Debug("imap: SEARCH could not read a message", "uid", c.m.UID, "err", err)
		c.inBody, c.inText = nil, nil
	}
}

// loadHeader reads c's header as stored (LF line ends, usually: the
// fields are the same, and the CRLF converter would read 32 KB of the
// file), once per candidate.
func (ev *searcher) loadHeader(c *candidate) []byte {
	if c.header == nil && !c.failed {
		c.epoch = ev.s.view.CacheEpoch()
		h, err := ev.s.view.StoredHeader(c.m.UID, nil)
		if err != nil {
			c.failed = true
			return nil
		}
		c.header = h
		cacheHeaderDerived(ev.s.view, c.epoch, c.m.UID, c.header)
	}
	return c.header
}

// searchFields are the header fields SEARCH keys name most (FROM, TO,
// CC, BCC, SUBJECT, SENT*). Their values are kept in the shared cache, and
// its file, so that such searches need not open every message.
var searchFields = []string{"From", "To", "Cc", "Bcc", "Subject", "Date"}

// addressFields are the searchFields that FROM, TO, CC and BCC match by
// address as well as by text.
var addressFields = []string{"From", "To", "Cc", "Bcc"}

// addressKey marks the header criteria of the FROM, TO, CC and BCC keys,
// which match "the envelope structure's" field (RFC 3501 section 6.4.4),
// its addresses, as well as the field's text; HEADER FROM matches the
// text only, as in Dovecot. No field name holds a colon.
func addressKey(field string) string { return field + ":" }

// addressesSuffix names, in the cached searchFields, the field that holds
// an address field's addresses ("From" + addressesSuffix).
const addressesSuffix = "-Addresses"

// searchFieldsVersion begins the cached searchFields: values cached
// without it (before the addresses were added) are made again.
const searchFieldsVersion = "Mailgate-Search-Fields: 2\r\n"

// headerWith returns a header block that holds field: the cached common
// fields when field is one of them (cached true: an address field's
// addresses are in it too, see searchFieldsOf), else the message's
// whole header.
func (ev *searcher) headerWith(c *candidate, field string) (h []byte, cached bool) {
	if !isOneOf(field, searchFields) || c.header != nil {
		return ev.loadHeader(c), false
	}
	if c.fields == nil {
		if v, ok := ev.s.view.Cached(c.m.UID, cacheSearchFields); ok && searchFieldsCurrent(v) {
			c.fields = v.([]byte)
		} else if h := ev.loadHeader(c); h != nil {
			c.fields = cacheHeaderDerived(ev.s.view, c.epoch, c.m.UID, h)
		}
		if c.fields != nil {
			c.fields = c.fields[len(searchFieldsVersion):]
		}
	}
	return c.fields, c.fields != nil
}

// isOneOf reports whether field is one of fields, in any case.
func isOneOf(field string, fields []string) bool {
	for _, f := range fields {
		if strings.EqualFold(f, field) {
			return true
		}
	}
	return false
}

// searchFieldsOf returns the search fields of header, as
// cacheHeaderDerived caches them under cacheSearchFields: a header
// block of the searchFields, each address field followed by one that
// holds its addresses (message.AddressText), named with addressesSuffix.
// Whoever holds a message's header anyway (FETCH ENVELOPE, SEARCH)
// caches them, so that a later SEARCH FROM need not open every message
// again.
func searchFieldsOf(header []byte) []byte {
	return searchFieldsFrom(message.ParseFields(header))
}

// searchFieldsFrom is searchFieldsOf from the header's fields.
// The value is built on the stack and copied once, at its length: it
// stays in the cache of the mailbox.
func searchFieldsFrom(fs *message.Fields) []byte {
	var buf [1024]byte
	return bytes.Clone(appendSearchFields(buf[:0], fs))
}

// appendSearchFields appends searchFieldsFrom(fs) to b.
func appendSearchFields(b []byte, fs *message.Fields) []byte {
	b = append(b, searchFieldsVersion...)
	var vals [4][]byte
	for _, f := range searchFields {
		byAddress := isOneOf(f, addressFields)
		for i, val := range fs.AppendValues(vals[:0], f) {
			b = append(append(append(append(b, f...), ": "...), val...), "\r\n"...)
			if byAddress {
				list := fs.Addresses(f) // the first field's, parsed once
				if i > 0 {
					list = message.ParseAddressList(val)
				}
				b = append(append(append(b, f...), addressesSuffix...), ": "...)
				b = append(message.AppendAddressListText(b, list), "\r\n"...)
			}
		}
	}
	return append(b, "\r\n"...)
}

// headerMatches reports whether the header block h matches a header
// criterion (RFC 3501 section 6.4.4): a field called key exists when
// value is empty; otherwise value is a case-insensitive substring of the
// field's text, raw or with its encoded words decoded, or, for the
// FROM, TO, CC and BCC keys (see addressKey), of its addresses as
// ENVELOPE reads them (message.AddressText), as Dovecot matches them.
// With cached, h is the cached searchFields, addresses included.
func headerMatches(h []byte, key, value string, cached bool) bool {
	name, byAddress := strings.CutSuffix(key, ":")
	found, seen := false, false
	message.EachField(h, func(n, v []byte) bool {
		switch {
		case equalFoldName(n, name):
			found = value == "" || textContains(v, value) ||
				(byAddress && !cached && message.ContainsFold([]byte(message.AddressText(v)), value))
		case cached && len(n) == len(name)+len(addressesSuffix) &&
			equalFoldName(n[:len(name)], name) && equalFoldName(n[len(name):], addressesSuffix):
			found = byAddress && message.ContainsFold(v, value)
		default:
			// The cached fields of one name come together.
			return !(cached && seen)
		}
		seen = true
		return !found
	})
	return found
}

// textContains reports whether a field's value, raw or with its encoded
// words decoded, contains s, ignoring case.
func textContains(v []byte, s string) bool {
	return message.ContainsFold(v, s) ||
		(bytes.Contains(v, []byte("=?")) && message.ContainsFold([]byte(message.DecodeHeader(v)), s))
}

// equalFoldName compares a field name with s, ignoring ASCII case.
func equalFoldName(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// match reports whether c meets every criterion; cheap tests come first.
func (ev *searcher) match(crit *imap.SearchCriteria, c *candidate) bool {
	m := c.m
	for _, set := range crit.SeqNum {
		if !inSet(set, c.seq, ev.count) {
			return false
		}
	}
	for _, set := range crit.UID {
		if !inUIDSet(set, m.UID, ev.maxUID) {
			return false
		}
	}
	if crit.ModSeq != nil && m.ModSeq < crit.ModSeq.ModSeq {
		// RFC 7162 section 3.1.5: every message's metadata items share
		// its one modseq here, whatever entry is named.
		return false
	}
	for _, f := range crit.Flag {
		if !ev.hasFlag(c, string(f)) {
			return false
		}
	}
	for _, f := range crit.NotFlag {
		if ev.hasFlag(c, string(f)) {
			return false
		}
	}
	if crit.Larger > 0 && m.Size <= crit.Larger {
		return false
	}
	if crit.Smaller > 0 && m.Size >= crit.Smaller {
		return false
	}
	if !crit.Since.IsZero() || !crit.Before.IsZero() {
		d := dateOnly(m.InternalDate)
		if !crit.Since.IsZero() && d.Before(crit.Since) {
			return false
		}
		if !crit.Before.IsZero() && !d.Before(crit.Before) {
			return false
		}
	}
	for i := range crit.Not {
		if ev.match(&crit.Not[i], c) {
			return false
		}
	}
	for i := range crit.Or {
		if !ev.match(&crit.Or[i][0], c) && !ev.match(&crit.Or[i][1], c) {
			return false
		}
	}
	if !crit.SentSince.IsZero() || !crit.SentBefore.IsZero() {
		h, _ := ev.headerWith(c, "Date")
		vals := message.HeaderValues(h, "Date")
		if len(vals) == 0 {
			return false
		}
		t, ok := message.ParseDate(string(vals[0]))
		if !ok {
			return false
		}
		d := dateOnly(t)
		if !crit.SentSince.IsZero() && d.Before(crit.SentSince) {
			return false
		}
		if !crit.SentBefore.IsZero() && !d.Before(crit.SentBefore) {
			return false
		}
	}
	for _, hf := range crit.Header {
		if key, ok := strings.CutPrefix(hf.Key, objectIDKey); ok {
			if !ev.hasObjectID(c, key, hf.Value) {
				return false
			}
			continue
		}
		h, cached := ev.headerWith(c, strings.TrimSuffix(hf.Key, ":"))
		if !headerMatches(h, hf.Key, hf.Value, cached) {
			return false
		}
	}
	for _, b := range crit.Body {
		if !ev.hasText(c, b, false) {
			return false
		}
	}
	for _, t := range crit.Text {
		if !ev.hasText(c, t, true) {
			return false
		}
	}
	return true
}

func (ev *searcher) hasFlag(c *candidate, f string) bool {
	if f == `\Recent` {
		// RECENT, NEW and OLD agree with FETCH FLAGS: nothing is recent
		// to an IMAP4rev2 session (RFC 9051 Appendix E).
		return ev.s.recent(c.m.UID)
	}
	return storage.HasFlag(c.m.Flags, f)
}

// dateOnly keeps the calendar date of t in its own zone, as SEARCH's date
// keys disregard time and timezone.
func dateOnly(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

func inSet(set imap.SeqSet, n, star uint32) bool {
	for _, r := range set {
		if lo, hi := bounds(r.Start, r.Stop, star); n >= lo && n <= hi {
			return true
		}
	}
	return false
}

func inUIDSet(set imap.UIDSet, n, star uint32) bool {
	for _, r := range set {
		if lo, hi := bounds(uint32(r.Start), uint32(r.Stop), star); n >= lo && n <= hi {
			return true
		}
	}
	return false
}
