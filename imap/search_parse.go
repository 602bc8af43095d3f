package imap

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/wire"
)

// maxSearchDepth bounds NOT/OR/parenthesis nesting.
const maxSearchDepth = 64

// parseSearch reads search keys up to the end of the line (RFC 3501
// section 6.4.4) into criteria that must all match, after the RETURN
// options of an extended SEARCH (RFC 4731 section 3.1), which may come
// first, before CHARSET.
func (s *session) parseSearch(uid bool) (*imap.SearchCriteria, searchReturn, error) {
	return s.parseSearchKeys(true)
}

// parseSearchKeys reads search keys up to the end of the line; with
// prefixes, RETURN options and CHARSET may come first (SEARCH), without,
// they have been read already (SORT and THREAD read their own).
func (s *session) parseSearchKeys(prefixes bool) (*imap.SearchCriteria, searchReturn, error) {
	c := &imap.SearchCriteria{}
	var ret searchReturn
	first, returnOK := true, prefixes
	for !s.d.AtEOL() {
		if err := s.d.SP(); err != nil {
			return nil, ret, err
		}
		wasFirst, wasReturnOK := first, returnOK
		first, returnOK = false, false
		b, err := s.d.Peek()
		if err != nil {
			return nil, ret, err
		}
		if b == '(' || b == '*' || b == '$' || (b >= '0' && b <= '9') {
			if err := s.searchKey(c, 0); err != nil {
				return nil, ret, err
			}
			continue
		}
		key, err := s.d.Atom()
		if err != nil {
			return nil, ret, err
		}
		if wasReturnOK && strings.EqualFold(key, "RETURN") {
			if ret, err = s.parseSearchReturn(prefixes); err != nil {
				return nil, ret, err
			}
			first = true
			continue
		}
		if wasFirst && prefixes && strings.EqualFold(key, "CHARSET") {
			if s.utf8Accept {
				// RFC 6855 section 3: after ENABLE UTF8=ACCEPT every
				// string is UTF-8, and a charset conflicts with that.
				return nil, ret, bad("SEARCH CHARSET is not valid after ENABLE UTF8=ACCEPT")
			}
			// CHARSET is only valid before the first key.
			if err := s.d.SP(); err != nil {
				return nil, ret, err
			}
			cs, err := s.d.AString()
			if err != nil {
				return nil, ret, err
			}
			switch strings.ToUpper(cs) {
			case "US-ASCII", "UTF-8":
			default:
				return nil, ret, no("BADCHARSET (US-ASCII UTF-8)", "Unsupported charset")
			}
			first = true
			continue
		}
		if err := s.namedSearchKey(c, strings.ToUpper(key), 0); err != nil {
			return nil, ret, err
		}
	}
	if first {
		return nil, ret, bad("SEARCH needs at least one key")
	}
	return c, ret, nil
}

func (s *session) searchKey(c *imap.SearchCriteria, depth int) error {
	if depth > maxSearchDepth {
		return bad("Search keys nested too deeply")
	}
	b, err := s.d.Peek()
	if err != nil {
		return err
	}
	if b == '(' {
		return s.d.List(func() error { return s.searchKey(c, depth+1) })
	}
	if b == '*' || b == '$' || (b >= '0' && b <= '9') {
		set, err := s.numSet(false)
		if err != nil {
			return err
		}
		switch set := set.(type) {
		case imap.SeqSet:
			c.SeqNum = append(c.SeqNum, set)
		case imap.UIDSet:
			c.UID = append(c.UID, set)
		}
		return nil
	}
	key, err := s.d.Atom()
	if err != nil {
		return err
	}
	return s.namedSearchKey(c, strings.ToUpper(key), depth)
}

// namedSearchKey reads the arguments of the search key named key, which
// has been read already.
func (s *session) namedSearchKey(c *imap.SearchCriteria, key string, depth int) error {
	flag := func(f string, not bool) {
		if not {
			c.NotFlag = append(c.NotFlag, imap.Flag(f))
		} else {
			c.Flag = append(c.Flag, imap.Flag(f))
		}
	}
	switch key {
	case "ALL":
	case "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "RECENT":
		flag(`\`+key[:1]+strings.ToLower(key[1:]), false)
	case "UNANSWERED", "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN":
		flag(`\`+key[2:3]+strings.ToLower(key[3:]), true)
	case "NEW":
		flag(`\Recent`, false)
		flag(`\Seen`, true)
	case "OLD":
		flag(`\Recent`, true)
	case "KEYWORD", "UNKEYWORD":
		if err := s.d.SP(); err != nil {
			return err
		}
		kw, err := s.d.FlagAtom()
		if err != nil {
			return err
		}
		flag(kw, key == "UNKEYWORD")
	case "BCC", "CC", "FROM", "SUBJECT", "TO":
		v, err := s.searchString()
		if err != nil {
			return err
		}
		if key != "SUBJECT" {
			key = addressKey(key)
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: key, Value: v})
	case "HEADER":
		if err := s.d.SP(); err != nil {
			return err
		}
		field, err := s.d.AString()
		if err != nil {
			return err
		}
		v, err := s.searchString()
		if err != nil {
			return err
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: field, Value: v})
	case "BODY", "TEXT":
		v, err := s.searchString()
		if err != nil {
			return err
		}
		if key == "BODY" {
			c.Body = append(c.Body, v)
		} else {
			c.Text = append(c.Text, v)
		}
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		if err := s.d.SP(); err != nil {
			return err
		}
		text, err := s.d.AString()
		if err != nil {
			return err
		}
		d, err := time.Parse("2-Jan-2006", text)
		if err != nil {
			return bad("Bad date %q", sanitize(text))
		}
		switch key {
		case "BEFORE":
			c.Before = intersectBefore(c.Before, d)
		case "SINCE":
			c.Since = intersectSince(c.Since, d)
		case "ON":
			c.Since = intersectSince(c.Since, d)
			c.Before = intersectBefore(c.Before, d.AddDate(0, 0, 1))
		case "SENTBEFORE":
			c.SentBefore = intersectBefore(c.SentBefore, d)
		case "SENTSINCE":
			c.SentSince = intersectSince(c.SentSince, d)
		case "SENTON":
			c.SentSince = intersectSince(c.SentSince, d)
			c.SentBefore = intersectBefore(c.SentBefore, d.AddDate(0, 0, 1))
		}
	case "LARGER", "SMALLER":
		if err := s.d.SP(); err != nil {
			return err
		}
		n, err := s.d.Number64()
		if err != nil {
			return err
		}
		if key == "LARGER" {
			c.Larger = max(c.Larger, n)
		} else if c.Smaller == 0 || n < c.Smaller {
			c.Smaller = n
		}
	case "UID":
		if err := s.d.SP(); err != nil {
			return err
		}
		set, err := s.numSet(true)
		if err != nil {
			return err
		}
		c.UID = append(c.UID, set.(imap.UIDSet))
	case "EMAILID", "THREADID": // RFC 8474 section 6
		if err := s.d.SP(); err != nil {
			return err
		}
		id, err := s.d.Atom()
		if err != nil {
			return err
		}
		c.Header = append(c.Header, imap.SearchCriteriaHeaderField{Key: objectIDKey + key, Value: id})
	case "MODSEQ":
		// RFC 7162 section 3.1.5: MODSEQ [entry-name entry-type] n.
		if err := s.d.SP(); err != nil {
			return err
		}
		ms := &imap.SearchCriteriaModSeq{}
		if b, _ := s.d.Peek(); b == '"' {
			name, err := s.d.String()
			if err != nil {
				return err
			}
			if err := s.d.SP(); err != nil {
				return err
			}
			typ, err := s.d.Atom()
			if err != nil {
				return err
			}
			switch t := strings.ToLower(typ); t {
			case "priv", "shared", "all":
				ms.MetadataName, ms.MetadataType = name, imap.SearchCriteriaMetadataType(t)
			default:
				return bad("Unknown MODSEQ entry type %s", sanitize(typ))
			}
			if err := s.d.SP(); err != nil {
				return err
			}
		}
		n, err := s.modSeqValue()
		if err != nil {
			return err
		}
		ms.ModSeq = n
		if c.ModSeq != nil {
			ms.ModSeq = max(ms.ModSeq, c.ModSeq.ModSeq)
		}
		c.ModSeq = ms
	case "NOT":
		if err := s.d.SP(); err != nil {
			return err
		}
		var sub imap.SearchCriteria
		if err := s.searchKey(&sub, depth+1); err != nil {
			return err
		}
		c.Not = append(c.Not, sub)
	case "OR":
		var pair [2]imap.SearchCriteria
		for i := range pair {
			if err := s.d.SP(); err != nil {
				return err
			}
			if err := s.searchKey(&pair[i], depth+1); err != nil {
				return err
			}
		}
		c.Or = append(c.Or, pair)
	default:
		return &wire.SyntaxError{Msg: "unknown search key " + sanitize(key)}
	}
	return nil
}

func (s *session) searchString() (string, error) {
	if err := s.d.SP(); err != nil {
		return "", err
	}
	return s.d.AString()
}

func intersectSince(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func intersectBefore(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
