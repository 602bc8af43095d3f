package imap

import (
	"errors"
	"sort"
	"strings"

	"github.com/mailgate/mailgate/storage"
)

// listRun is one LIST command being answered: its patterns, joined with
// the reference and split by namespace, and what the return options need.
type listRun struct {
	s          *session
	lc         *listCommand
	own        []*matcher        // patterns in the personal and shared namespaces
	other      []otherPattern    // patterns in the other users' namespace
	subscribed map[string]bool   // the subscriptions, when a return option needs them
	shown      map[string]bool   // names already answered (patterns may overlap)
	infos      map[string]listed // with SUBSCRIBED selection: what exists, by name
	childInfo  map[string]bool   // RECURSIVEMATCH: names with a subscribed descendant
	selected   map[string]bool   // with SUBSCRIBED selection: names subscribed and matching
}

// listed is what the walk found of one name.
type listed struct {
	info storage.MailboxInfo
}

// otherPattern is a pattern below one other user's prefix ("~bob/%").
type otherPattern struct {
	prefix *storage.Prefix
	base   string // prefix and user name
	m      *matcher
}

func (s *session) newListRun(lc *listCommand) (*listRun, error) {
	r := &listRun{s: s, lc: lc, shown: map[string]bool{}}
	delim := s.delimiter()
	for _, pat := range lc.patterns {
		if pat == "" {
			continue // matches no name (RFC 5258 section 3)
		}
		full := s.canonicalPattern(lc.ref, pat)
		if p, user, ok := s.otherPrefix(full); ok {
			if strings.ContainsAny(user, "%*") {
				if len(lc.patterns) == 1 {
					return nil, no("CANNOT", "Other users' mailboxes can be listed only by user name")
				}
				continue
			}
			r.other = append(r.other, otherPattern{prefix: p, base: p.Prefix + user, m: s.newMatcherFor(full, p.Delim())})
			continue
		}
		r.own = append(r.own, s.newMatcherFor(full, delim))
	}
	if lc.returnSubscribed {
		subs, err := s.account.Subscriptions()
		if err != nil {
			return nil, storageErr(err, "LIST")
		}
		r.subscribed = make(map[string]bool, len(subs))
		for _, n := range subs {
			r.subscribed[n] = true
		}
	}
	return r, nil
}

// matchOwn reports whether name matches one of the patterns outside the
// other users' namespace.
func (r *listRun) matchOwn(name string) bool {
	for _, m := range r.own {
		if m.match(name) {
			return true
		}
	}
	return false
}

func (r *listRun) descendOwn(prefix string) bool {
	for _, m := range r.own {
		if m.couldMatchBelow(prefix) {
			return true
		}
	}
	return false
}

// walk calls fn for every existing name that matches a pattern, each once.
func (r *listRun) walk(fn func(storage.MailboxInfo)) error {
	s := r.s
	once := func(mi storage.MailboxInfo) {
		if !r.shown[mi.Name] {
			r.shown[mi.Name] = true
			fn(mi)
		}
	}
	for _, op := range r.other {
		m := op.m
		err := s.account.ListOther(op.base, m.couldMatchBelow, func(mi storage.MailboxInfo) {
			if m.match(mi.Name) {
				once(mi)
			}
		})
		// A user who does not exist has no mailboxes to list: LIST
		// says so as for any other name that matches nothing, and so
		// does not tell who has an account.
		if err != nil && len(r.lc.patterns) == 1 && !errors.Is(err, storage.ErrNoMailbox) {
			return storageErr(err, "LIST")
		}
	}
	if len(r.own) == 0 {
		return nil
	}
	return storageErr(s.account.List(r.descendOwn, func(mi storage.MailboxInfo) {
		if r.matchOwn(mi.Name) {
			once(mi)
		}
	}), "LIST")
}

// listMailboxes answers a LIST without the SUBSCRIBED selection option:
// every mailbox that matches a pattern, with what the return options ask.
func (s *session) listMailboxes(lc *listCommand) error {
	r, err := s.newListRun(lc)
	if err != nil {
		return err
	}
	return r.walk(func(mi storage.MailboxInfo) {
		if lc.selectSpecialUse && len(mi.SpecialUse) == 0 {
			return
		}
		attrs := listAttrs("LIST", mi)
		if r.subscribed[mi.Name] {
			attrs = append(attrs, `\Subscribed`)
		}
		s.writeListLine("LIST", mi.Name, mi.Delimiter, attrs, "")
		r.status(mi.Name, !mi.NoSelect)
	})
}

// status writes the STATUS response that RETURN (STATUS ...) asks for
// after a mailbox's LIST response (RFC 5819 section 2). A mailbox that
// cannot be selected, or whose status cannot be read, gets none.
func (r *listRun) status(name string, selectable bool) {
	if r.lc.returnStatus == nil || !selectable {
		return
	}
	st, err := r.s.mailboxStatus(name)
	if err != nil {
		r.s.log.Debug("LIST-STATUS: no status", "mailbox", name, "err", err)
		return
	}
	r.s.writeStatus(name, r.lc.returnStatus, st)
}

// listSubscribed answers LIST (SUBSCRIBED ...) (RFC 5258 section 3.1):
// the subscribed names that match a pattern, whether they exist or not,
// and with RECURSIVEMATCH the matching parents of subscribed names that
// do not match, with CHILDINFO ("SUBSCRIBED") (section 3.5). A parent
// whose subscribed descendants are all answered themselves gets no
// CHILDINFO, as Dovecot answers.
func (s *session) listSubscribed(lc *listCommand) error {
	r, err := s.newListRun(lc)
	if err != nil {
		return err
	}
	delim := s.delimiter()
	r.infos = map[string]listed{}
	r.childInfo = map[string]bool{}
	r.selected = map[string]bool{}
	if err := r.walk(func(mi storage.MailboxInfo) { r.infos[mi.Name] = listed{info: mi} }); err != nil {
		return err
	}
	matches := func(name string) bool {
		if r.matchOwn(name) {
			return true
		}
		for _, op := range r.other {
			if op.m.match(name) {
				return true
			}
		}
		return false
	}
	var names []string
	for name := range r.subscribed {
		if matches(name) {
			r.selected[name] = true
			names = append(names, name)
			continue
		}
		if !lc.recursiveMatch {
			continue
		}
		parts := strings.Split(name, delim)
		for i := len(parts) - 1; i > 0; i-- {
			parent := strings.Join(parts[:i], delim)
			if matches(parent) {
				names = append(names, parent)
				r.childInfo[parent] = true
			}
		}
	}
	sort.Strings(names)
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		r.writeSubscribed(name, delim)
	}
	return nil
}

// writeSubscribed writes the LIST response for one name of a SUBSCRIBED
// selection. A name that is not on disk is \NonExistent (RFC 5258
// section 3.4), unless it is another user's mailbox, which the walk of
// the own namespaces does not see.
func (r *listRun) writeSubscribed(name, delim string) {
	var attrs []string
	selectable := false
	if l, ok := r.infos[name]; r.lc.selectSpecialUse && !r.childInfo[name] && len(l.info.SpecialUse) == 0 {
		return // SUBSCRIBED and SPECIAL-USE select what is both
	} else if ok {
		attrs = listAttrs("LIST", l.info)
		delim = l.info.Delimiter
		selectable = !l.info.NoSelect
	} else if r.s.account.Exists(name) {
		selectable = true
	} else {
		attrs = append(attrs, `\NonExistent`)
	}
	if r.selected[name] {
		attrs = append(attrs, `\Subscribed`)
	}
	extended := ""
	if r.childInfo[name] {
		extended = `("CHILDINFO" ("SUBSCRIBED"))`
	}
	r.s.writeListLine("LIST", name, delim, attrs, extended)
	r.status(name, selectable)
}
