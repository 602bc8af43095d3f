package imap

import (
	"strings"

	"github.com/mailgate/mailgate/imap/internal/wire"

	"github.com/mailgate/mailgate/storage"
)

// cmdList: RFC 3501 section 6.3.8, with LIST-EXTENDED (RFC 5258) and
// LIST-STATUS (RFC 5819); the listing itself is in list_ext.go.
func (s *session) cmdList(tag string, _ bool) error {
	lc, err := parseList(s.d)
	if err != nil {
		return err
	}
	delim := s.delimiter()
	if len(lc.patterns) == 1 && lc.patterns[0] == "" {
		// The hierarchy delimiter and root of the reference.
		root := ""
		if i := strings.Index(lc.ref, delim); i >= 0 {
			root = lc.ref[:i+1]
		}
		s.e.Raw(`* LIST (\Noselect) `).String(delim).SP().String(root).CRLF()
		return nil
	}
	if lc.selectSubscribed {
		return s.listSubscribed(lc)
	}
	return s.listMailboxes(lc)
}

// cmdLsub: RFC 3501 section 6.3.9. A subscribed name that is not a
// mailbox, or the parent of a subscribed name that the pattern's "%"
// stops at, is shown \Noselect. A parent is shown only when the pattern
// stops at it: with "*", which reaches the subscribed name itself, an
// unsubscribed parent is not listed (as Dovecot answers).
func (s *session) cmdLsub(tag string, _ bool) error {
	ref, pattern, err := s.listArgs()
	if err != nil {
		return err
	}
	delim := s.delimiter()
	if pattern == "" {
		s.e.Raw(`* LSUB (\Noselect) `).String(delim).Raw(` ""`).CRLF()
		return nil
	}
	subs, err := s.account.Subscriptions()
	if err != nil {
		return storageErr(err, "LSUB")
	}
	m := s.newMatcherFor(s.canonicalPattern(ref, pattern), delim)
	subscribed := make(map[string]bool, len(subs))
	for _, name := range subs {
		subscribed[name] = true
	}
	shown := map[string]bool{}
	for _, name := range subs {
		if m.match(name) && !shown[name] {
			shown[name] = true
			s.writeListItem("LSUB", storage.MailboxInfo{Name: name, Delimiter: delim, NoSelect: !s.account.Exists(name)})
		}
		if m.match(name) {
			continue
		}
		parts := strings.Split(name, delim)
		for i := len(parts) - 1; i > 0; i-- {
			parent := strings.Join(parts[:i], delim)
			if !subscribed[parent] && !shown[parent] && m.match(parent) {
				shown[parent] = true
				s.writeListItem("LSUB", storage.MailboxInfo{Name: parent, Delimiter: delim, NoSelect: true})
			}
		}
	}
	return nil
}

func (s *session) listArgs() (ref, pattern string, err error) {
	if err = s.d.SP(); err != nil {
		return
	}
	if ref, err = s.mailboxNameRaw(); err != nil {
		return
	}
	if err = s.d.SP(); err != nil {
		return
	}
	if pattern, err = s.d.ListMailbox(); err != nil {
		return
	}
	err = s.d.CRLF()
	return
}

// mailboxNameRaw reads a mailbox name without INBOX folding.
func (s *session) mailboxNameRaw() (string, error) { return s.d.AString() }

// delimiter is the personal namespace's first delimiter.
func (s *session) delimiter() string {
	ps := s.account.NamespacePrefixes(storage.Personal)
	return ps[0].Delim()
}

// canonicalPattern joins a reference and a pattern. A reference naming
// another user ("~smith") gets the delimiter added, as the seed's example
// `LIST "~smith" "%"` expects.
func (s *session) canonicalPattern(ref, pattern string) string {
	if ref != "" && !strings.HasPrefix(pattern, s.delimiter()) {
		for _, p := range s.account.NamespacePrefixes(storage.Other) {
			if strings.HasPrefix(ref, p.Prefix) && len(ref) > len(p.Prefix) &&
				!strings.Contains(ref[len(p.Prefix):], p.Delim()) {
				return ref + p.Delim() + pattern
			}
		}
	}
	return ref + pattern
}

// otherPrefix reports whether a pattern is in the other users'
// namespace, and the user part of it.
func (s *session) otherPrefix(full string) (*storage.Prefix, string, bool) {
	ps := s.account.NamespacePrefixes(storage.Other)
	for i := range ps {
		p := &ps[i]
		if !strings.HasPrefix(full, p.Prefix) {
			continue
		}
		rest := full[len(p.Prefix):]
		if i := strings.Index(rest, p.Delim()); i >= 0 {
			return p, rest[:i], true
		}
		if !strings.ContainsAny(rest, "%*") {
			return p, rest, true // the user's own root, named whole ("~bob")
		}
		return p, rest + "%", true // no user named yet: refuse to enumerate
	}
	return nil, "", false
}

func (s *session) writeListItem(kind string, mi storage.MailboxInfo) {
	s.writeListLine(kind, mi.Name, mi.Delimiter, listAttrs(kind, mi), "")
}

// listAttrs returns a mailbox's name attributes: \Noselect, and in LIST
// \HasChildren or \HasNoChildren (RFC 5258 section 4, which takes over
// RFC 3348's CHILDREN).
func listAttrs(kind string, mi storage.MailboxInfo) []string {
	var attrs []string
	if mi.NoSelect {
		attrs = append(attrs, `\Noselect`)
	}
	if mi.NoInferiors {
		attrs = append(attrs, `\Noinferiors`)
	} else if kind == "LIST" {
		if mi.HasChildren {
			attrs = append(attrs, `\HasChildren`)
		} else {
			attrs = append(attrs, `\HasNoChildren`)
		}
	}
	if kind == "LIST" {
		// RFC 6154 section 2 lets a server show them in every LIST, as
		// Dovecot does: clients that never ask find Sent all the same.
		attrs = append(attrs, mi.SpecialUse...)
	}
	return attrs
}

// writeListLine writes one LIST or LSUB response; extended, when not
// empty, is the extended data (RFC 5258 mbox-list-extended) with its
// parentheses.
func (s *session) writeListLine(kind, name, delim string, attrs []string, extended string) {
	s.e.Raw("* ").Raw(kind).Raw(" (").Raw(strings.Join(attrs, " ")).Raw(") ")
	s.e.String(delim).SP()
	s.writeName(name)
	if extended != "" {
		s.e.SP().Raw(extended)
	}
	s.e.CRLF()
}

// matcher matches mailbox names against a LIST pattern, where "*"
// matches anything and "%" anything but the delimiter. The match runs as
// a set of pattern positions, so it costs O(len(name)*len(pattern)).
type matcher struct {
	pattern string
	delim   byte
	inbox   bool // the pattern starts with INBOX in any case
	decode  bool // names are matched decoded from modified UTF-7 (UTF-8 enabled)
}

func newMatcher(pattern, delim string) *matcher {
	m := &matcher{pattern: pattern, delim: delim[0]}
	if len(pattern) >= 5 && strings.EqualFold(pattern[:5], "INBOX") {
		m.inbox = true
	}
	return m
}

// run feeds name through the pattern and returns the live positions.
func (m *matcher) run(name string) []bool {
	if m.decode {
		if d, err := wire.DecodeUTF7(name); err == nil {
			name = d
		}
	}
	p := m.pattern
	if m.inbox && len(name) >= 5 && name[:5] == "INBOX" {
		p = "INBOX" + p[5:]
	}
	cur := make([]bool, len(p)+1)
	next := make([]bool, len(p)+1)
	cur[0] = true
	closeEps(p, cur)
	for i := 0; i < len(name); i++ {
		c := name[i]
		for k := range next {
			next[k] = false
		}
		alive := false
		for k := 0; k < len(p); k++ {
			if !cur[k] {
				continue
			}
			switch p[k] {
			case '*':
				next[k] = true
				alive = true
			case '%':
				if c != m.delim {
					next[k] = true
					alive = true
				}
			default:
				if p[k] == c {
					next[k+1] = true
					alive = true
				}
			}
		}
		if !alive {
			return nil
		}
		closeEps(p, next)
		cur, next = next, cur
	}
	return cur
}

// closeEps lets wildcards match the empty string.
func closeEps(p string, set []bool) {
	for k := 0; k < len(p); k++ {
		if set[k] && (p[k] == '*' || p[k] == '%') {
			set[k+1] = true
		}
	}
}

func (m *matcher) match(name string) bool {
	st := m.run(name)
	return st != nil && st[len(st)-1]
}

// couldMatchBelow reports whether some name starting with prefix could
// match.
func (m *matcher) couldMatchBelow(prefix string) bool {
	for _, live := range m.run(prefix) {
		if live {
			return true
		}
	}
	return false
}
