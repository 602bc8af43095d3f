package imap

import (
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/storage"
)

// cmdSearch: RFC 3501 section 6.4.4 (and UID SEARCH, 6.4.8).
func (s *session) cmdSearch(tag string, uid bool) error {
	crit, err := s.parseSearch(uid)
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	uids := s.view.UIDs()
	ev := searcher{s: s, count: uint32(len(uids))}
	ev.collectText(crit)
	if len(uids) > 0 {
		ev.maxUID = uids[len(uids)-1]
	}
	var hits []uint32
	msgs := make([]storage.Message, fetchBatch)
	for start := 0; start < len(uids); start += fetchBatch {
		end := min(start+fetchBatch, len(uids))
		// Copy: Lookup must not see the view change under it.
		chunk := append([]uint32(nil), uids[start:end]...)
		s.view.Lookup(chunk, msgs[:end-start])
		for i := start; i < end; i++ {
			m := &msgs[i-start]
			if m.UID == 0 {
				continue
			}
			cand := candidate{seq: uint32(i + 1), m: m}
			if ev.match(crit, &cand) {
				if uid {
					hits = append(hits, m.UID)
				} else {
					hits = append(hits, cand.seq)
				}
			}
		}
	}
	s.e.Raw("* SEARCH")
	for _, h := range hits {
		s.e.SP().Number(h)
	}
	s.e.CRLF()
	return nil
}

// searcher evaluates search criteria for one SEARCH command.
type searcher struct {
	s      *session
	count  uint32 // messages in the view: "*" in a sequence set
	maxUID uint32 // the view's highest UID: "*" in a UID set

	// The strings of every BODY and TEXT key, each once, looked for in
	// one reading of a candidate's text.
	body, text []string
	finder     *message.Searcher
}

// candidate is one message under test, with its text loaded lazily.
type candidate struct {
	seq    uint32
	m      *storage.Message
	header []byte // the whole header
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
		c.textRead = true
		if ev.finder == nil {
			ev.finder = message.NewSearcher(ev.body, ev.text)
		}
		// The message as stored (LF line ends): text search needs no
		// CRLF copy.
		rc, err := ev.s.view.OpenStored(c.m.UID)
		if err == nil {
			c.inBody, c.inText, err = ev.finder.Search(rc)
			rc.Close()
		}
		if err != nil {
			ev.s.log.Debug("imap: SEARCH could not read a message", "uid", c.m.UID, "err", err)
			c.inBody, c.inText = nil, nil
		}
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

func (ev *searcher) loadHeader(c *candidate) []byte {
	if c.header == nil && !c.failed {
		if rc, _, err := ev.s.view.Open(c.m.UID); err == nil {
			c.header, _ = readHeader(rc, nil)
			rc.Close()
		} else {
			c.failed = true
		}
	}
	return c.header
}

// searchFields are the header fields SEARCH keys name most (FROM, TO,
// CC, BCC, SUBJECT, SENT*). Their values are kept in the shared cache, and
// its file, so that such searches need not open every message.
var searchFields = []string{"From", "To", "Cc", "Bcc", "Subject", "Date"}

// headerWith returns a header block that holds field: the cached common
// fields when field is one of them, else the message's whole header.
func (ev *searcher) headerWith(c *candidate, field string) []byte {
	common := false
	for _, f := range searchFields {
		if strings.EqualFold(f, field) {
			common = true
			break
		}
	}
	if !common || c.header != nil {
		return ev.loadHeader(c)
	}
	if c.fields == nil {
		if v, ok := ev.s.view.Cached(c.m.UID, cacheSearchFields); ok {
			c.fields = v.([]byte)
		} else if h := ev.loadHeader(c); h != nil {
			c.fields = cacheSearchFieldsOf(ev.s.view, c.m.UID, h)
		}
	}
	return c.fields
}

// cacheSearchFieldsOf extracts the searchFields of header, stores them in
// v's shared cache under cacheSearchFields and returns them. Whoever holds
// a message's header anyway (FETCH ENVELOPE, SEARCH) calls it, so that a
// later SEARCH FROM need not open every message again.
func cacheSearchFieldsOf(v *storage.View, uid uint32, header []byte) []byte {
	var b []byte
	for _, f := range searchFields {
		for _, val := range message.HeaderValues(header, f) {
			b = append(append(append(append(b, f...), ": "...), val...), "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	v.SetCached(uid, cacheSearchFields, b)
	return b
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
		h := ev.headerWith(c, "Date")
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
		h := ev.headerWith(c, hf.Key)
		found := false
		for _, v := range message.HeaderValues(h, hf.Key) {
			if hf.Value == "" || message.ContainsFold([]byte(message.DecodeHeader(v)), hf.Value) || message.ContainsFold(v, hf.Value) {
				found = true
				break
			}
		}
		if !found {
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
		return ev.s.view.Recent(c.m.UID)
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
