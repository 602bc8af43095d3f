// Package sortthread holds the pure algorithms of the IMAP SORT and THREAD
// extensions (RFC 5256, RFC 5957): base-subject extraction, the
// i;unicode-casemap collation (RFC 5051) that orders their strings, and
// the ORDEREDSUBJECT and REFERENCES threading algorithms. It reads no
// messages: the imap package gives it each message's keys, taken from
// the storage core's cache.
package sortthread

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Casemap returns the i;unicode-casemap form of s (RFC 5051 section 2):
// each character mapped to its titlecase and the result fully decomposed
// (NFKD). Two strings compare under the collation as their forms compare
// as octets. Bytes that are not UTF-8 are kept as they are.
func Casemap(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n <= 1 {
			b.WriteByte(s[0])
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		s = s[n:]
	}
	return norm.NFKD.String(b.String())
}

// BaseSubject extracts the base subject of a decoded Subject (RFC 5256
// section 2.1) and reports whether the extraction removed a reply or
// forward marker ("Re:", "Fwd:", a "(fwd)" trailer or a "[fwd: ...]"
// wrapper), which the REFERENCES algorithm asks (section 4, step 5).
// The result is not yet collated (see Casemap).
func BaseSubject(subject string) (base string, replyOrForward bool) {
	// (1) White space of any kind, and folding, become one space.
	s := collapseSpace(subject)
	for {
		// (2) Remove subj-trailer: "(fwd)" and white space at the end.
		for {
			t := strings.TrimRight(s, " ")
			if len(t) >= 5 && strings.EqualFold(t[len(t)-5:], "(fwd)") {
				s = t[:len(t)-5]
				replyOrForward = true
				continue
			}
			s = t
			break
		}
		// (3)-(5) Remove subj-leader and a leading subj-blob, until
		// nothing changes.
		for {
			changed := false
			for {
				rest, refwd, ok := cutLeader(s)
				if !ok {
					break
				}
				s, changed = rest, true
				replyOrForward = replyOrForward || refwd
			}
			if rest, ok := cutBlob(s); ok && strings.TrimLeft(rest, " ") != "" {
				s, changed = rest, true
			}
			if !changed {
				break
			}
		}
		// (6) A "[fwd:" ... "]" wrapper: remove it and begin again at (2).
		if len(s) >= 6 && strings.EqualFold(s[:5], "[fwd:") && s[len(s)-1] == ']' {
			s = s[5 : len(s)-1]
			replyOrForward = true
			continue
		}
		return s, replyOrForward
	}
}

// collapseSpace turns tabs, line ends and runs of white space into single
// spaces.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// cutLeader removes one subj-leader from the front of s (RFC 5256 section
// 5): a space, or any subj-blobs followed by subj-refwd ("re", "fw" or
// "fwd", spaces, an optional subj-blob, then ":"). refwd says it was the
// latter.
func cutLeader(s string) (rest string, refwd, ok bool) {
	if strings.HasPrefix(s, " ") {
		return s[1:], false, true
	}
	t := s
	for {
		r, ok := cutBlob(t)
		if !ok {
			break
		}
		t = r
	}
	switch {
	case len(t) >= 3 && strings.EqualFold(t[:3], "fwd"):
		t = t[3:]
	case len(t) >= 2 && (strings.EqualFold(t[:2], "re") || strings.EqualFold(t[:2], "fw")):
		t = t[2:]
	default:
		return s, false, false
	}
	t = strings.TrimLeft(t, " ")
	if r, ok := cutBlob(t); ok {
		t = r
	}
	if !strings.HasPrefix(t, ":") {
		return s, false, false
	}
	return t[1:], true, true
}

// cutBlob removes one subj-blob from the front of s: "[", characters
// other than brackets, "]", then spaces.
func cutBlob(s string) (string, bool) {
	if !strings.HasPrefix(s, "[") {
		return s, false
	}
	end := strings.IndexAny(s[1:], "[]")
	if end < 0 || s[1+end] != ']' {
		return s, false
	}
	return strings.TrimLeft(s[end+2:], " "), true
}

// MessageIDs returns the msg-ids of a Message-ID, In-Reply-To or
// References field value, without their angle brackets: each "<...>"
// whose content has an "@" and no white space once comments and
// folding are gone. Words between them (RFC 5322's obsolete phrases) are
// skipped.
func MessageIDs(v []byte) []string {
	var ids []string
	for {
		open := indexByteOutsideComment(v, '<')
		if open < 0 {
			return ids
		}
		v = v[open+1:]
		end := indexByte(v, '>')
		if end < 0 {
			return ids
		}
		id := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, string(v[:end]))
		v = v[end+1:]
		if strings.Contains(id, "@") && !strings.ContainsAny(id, "<") {
			ids = append(ids, id)
		}
	}
}

func indexByte(v []byte, c byte) int {
	for i := range v {
		if v[i] == c {
			return i
		}
	}
	return -1
}

// indexByteOutsideComment finds c outside parenthesized comments.
func indexByteOutsideComment(v []byte, c byte) int {
	depth := 0
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && depth > 0:
			i++
		case v[i] == '(':
			depth++
		case v[i] == ')' && depth > 0:
			depth--
		case v[i] == c && depth == 0:
			return i
		}
	}
	return -1
}
