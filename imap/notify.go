package imap

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mailgate/mailgate/storage"
)

// NOTIFY (RFC 5465): the client names the mailboxes and events it wants
// to hear of, and the server tells it as they happen, without IDLE and
// between commands:
//
//	notify          = "NOTIFY" SP (notify-set / "NONE")
//	notify-set      = "SET" [SP "STATUS"] SP event-group *(SP event-group)
//	event-group     = "(" filter-mailboxes SP events ")"
//	filter-mailboxes = "selected" / "selected-delayed" / "inboxes" /
//	                  "personal" / "subscribed" /
//	                  ("subtree" SP one-or-more-mailbox) /
//	                  ("mailboxes" SP one-or-more-mailbox)
//	events          = ("(" event *(SP event) ")") / "NONE"
//	event           = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) /
//	                  "MessageExpunge" / "FlagChange" /
//	                  "MailboxName" / "SubscriptionChange"
//
// Message events come from the same change notification IDLE uses: the
// selected mailbox's view, and a read-only view of every other mailbox
// watched, which the storage core keeps up to date from its file watcher
// (so changes by other processes and programs count too). A watched
// mailbox is looked at (polled, its STATUS compared) only after storage
// queued a change to its view, so that watching hundreds of mailboxes
// costs nothing per command while none of them changes. Between
// commands the session waits as IDLE does (notifyWait): news cuts the
// read short, is written, and the wait goes on. Other mailboxes are told
// of as STATUS, mailbox names and subscriptions as LIST (RFC 5465
// sections 5.2 to 5.6), found by comparing the mailbox list before and
// after: at the end of every command, and when a session of the same
// user in this process changed it. A change made by another process is
// seen at the next command or message event. The session's own CREATE,
// DELETE, RENAME and (UN)SUBSCRIBE are not echoed back.

// notifyEvents is a set of NOTIFY events.
type notifyEvents uint8

const (
	evMessageNew notifyEvents = 1 << iota
	evMessageExpunge
	evFlagChange
	evMailboxName
	evSubscriptionChange

	evMessage = evMessageNew | evMessageExpunge | evFlagChange
	evNames   = evMailboxName | evSubscriptionChange
)

// eventNames are the events served, as BADEVENT lists them.
var eventNames = []struct {
	name string
	ev   notifyEvents
}{
	{"MessageNew", evMessageNew}, {"MessageExpunge", evMessageExpunge}, {"FlagChange", evFlagChange},
	{"MailboxName", evMailboxName}, {"SubscriptionChange", evSubscriptionChange},
}

// notifyFilter is a filter-mailboxes kind.
type notifyFilter uint8

const (
	filterSelected notifyFilter = iota
	filterSelectedDelayed
	filterInboxes
	filterPersonal
	filterSubscribed
	filterSubtree
	filterMailboxes
)

// notifyGroup is one event-group.
type notifyGroup struct {
	filter notifyFilter
	names  []string // subtree and mailboxes: storage names
	events notifyEvents
	fetch  []fetchItem // MessageNew's attributes (selected filters only)
}

// maxWatched bounds the mailboxes one session watches for message
// events: each is an open view.
const maxWatched = 500

// notifier is a session's NOTIFY state.
type notifier struct {
	selected *notifyGroup // the selected or selected-delayed group, or nil
	groups   []notifyGroup
	watched  map[string]*watchedMailbox
	started  bool // the first watch is set: later mailboxes are new to the client

	names map[string]storage.MailboxInfo // the mailbox list, when a group needs it
	subs  map[string]bool                // the subscriptions, likewise

	// The selected mailbox as last told: for MessageNew's FETCH.
	selName     string
	selValidity uint32
	selMaxUID   uint32

	// mu guards armed: while it is set, poke may cut the session's read
	// short; it is cleared before a command is read.
	mu      sync.Mutex
	renames map[string]string // old name to new, told by the hub (OLDNAME)
	armed   bool
	news    bool   // poked since the last notifySend
	dirty   bool   // the mailbox list may have changed (pokeNames)
	wake    func() // cuts the session's read short, as idleWake does
}

// watchedMailbox is a mailbox other than the selected one whose message
// events the session hears of.
type watchedMailbox struct {
	view   *storage.View
	events notifyEvents
	last   storage.Status
	// dirty is set by storage, through the view's notify function, when
	// a change is queued for the view: only then are its counts read
	// again, so that a session watching many mailboxes pays nothing per
	// command while none of them changes.
	dirty atomic.Bool
}

// changed is the watched view's notify function: it runs with the
// mailbox locked, marks the mailbox for a look and pokes the session.
func (w *watchedMailbox) changed(n *notifier) func() {
	return func() {
		w.dirty.Store(true)
		n.poke()
	}
}

// discardUpdates drains a watched view: only the mailbox's counts matter.
type discardUpdates struct{}

func (discardUpdates) FlagsInUse([]string)                  {}
func (discardUpdates) Expunge(uint32)                       {}
func (discardUpdates) Exists(uint32, uint32)                {}
func (discardUpdates) Flags(uint32, *storage.Message, bool) {}

// cmdNotify: RFC 5465 section 3.
func (s *session) cmdNotify(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	verb, err := s.d.Atom()
	if err != nil {
		return err
	}
	switch strings.ToUpper(verb) {
	case "NONE":
		if err := s.d.CRLF(); err != nil {
			return err
		}
		s.notifyClose()
		return nil
	case "SET":
	default:
		return bad("NOTIFY SET or NOTIFY NONE")
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	withStatus := false
	if b, _ := s.d.Peek(); b == 'S' || b == 's' {
		a, err := s.d.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(a, "STATUS") {
			return bad("Expected STATUS or an event group")
		}
		withStatus = true
		if err := s.d.SP(); err != nil {
			return err
		}
	}
	groups, err := s.notifyGroups()
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if err := checkNotifyGroups(groups); err != nil {
		return err
	}
	n := &notifier{groups: groups, watched: map[string]*watchedMailbox{}, wake: s.idleWake}
	for i := range n.groups {
		if g := &n.groups[i]; g.filter <= filterSelectedDelayed && n.selected == nil {
			n.selected = g
		}
	}
	s.notifyClose()
	if err := s.notifyStart(n, withStatus); err != nil {
		n.closeViews()
		return err
	}
	s.notify = n
	s.srv.hub.join(s.account.User().Name, n)
	return nil
}

// notifyGroups reads the event groups.
func (s *session) notifyGroups() ([]notifyGroup, error) {
	var groups []notifyGroup
	for {
		g, err := s.notifyGroup()
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
		if s.d.AtEOL() {
			return groups, nil
		}
		if err := s.d.SP(); err != nil {
			return nil, err
		}
	}
}

// notifyGroup reads "(" filter-mailboxes SP events ")".
func (s *session) notifyGroup() (notifyGroup, error) {
	var g notifyGroup
	if err := s.d.Expect('(', "("); err != nil {
		return g, err
	}
	f, err := s.d.Atom()
	if err != nil {
		return g, err
	}
	switch strings.ToLower(f) {
	case "selected":
		g.filter = filterSelected
	case "selected-delayed":
		g.filter = filterSelectedDelayed
	case "inboxes":
		g.filter = filterInboxes
	case "personal":
		g.filter = filterPersonal
	case "subscribed":
		g.filter = filterSubscribed
	case "subtree", "mailboxes":
		g.filter = filterMailboxes
		if strings.EqualFold(f, "subtree") {
			g.filter = filterSubtree
		}
		if err := s.d.SP(); err != nil {
			return g, err
		}
		if g.names, err = s.notifyMailboxes(); err != nil {
			return g, err
		}
	default:
		return g, bad("Unknown NOTIFY mailbox filter %s", sanitize(f))
	}
	if err := s.d.SP(); err != nil {
		return g, err
	}
	if b, _ := s.d.Peek(); b != '(' {
		a, err := s.d.Atom()
		if err != nil {
			return g, err
		}
		if !strings.EqualFold(a, "NONE") {
			return g, bad("Expected an event list or NONE")
		}
		return g, s.d.Expect(')', ")")
	}
	var unknown []string
	err = s.d.List(func() error {
		name, err := s.d.Atom()
		if err != nil {
			return err
		}
		ev := notifyEvents(0)
		for _, e := range eventNames {
			if strings.EqualFold(name, e.name) {
				ev = e.ev
			}
		}
		if ev == 0 {
			unknown = append(unknown, name)
			return nil
		}
		g.events |= ev
		if ev == evMessageNew {
			if b, _ := s.d.Peek(); b == ' ' {
				s.d.SP()
				if b, _ := s.d.Peek(); b == '(' {
					if g.fetch, err = s.parseFetchItems(); err != nil {
						return err
					}
				} else {
					// The next event: the list reader wants its space back.
					return s.notifyNextEvent(&g, &unknown)
				}
			}
		}
		return nil
	})
	if err != nil {
		return g, err
	}
	if err := s.d.Expect(')', ")"); err != nil {
		return g, err
	}
	if len(unknown) > 0 {
		return g, no("BADEVENT ("+eventList()+")", "Unsupported events: %s", sanitize(strings.Join(unknown, " ")))
	}
	return g, nil
}

// notifyNextEvent reads the rest of an event list after "MessageNew SP"
// (the list reader has already consumed that space).
func (s *session) notifyNextEvent(g *notifyGroup, unknown *[]string) error {
	name, err := s.d.Atom()
	if err != nil {
		return err
	}
	for _, e := range eventNames {
		if strings.EqualFold(name, e.name) {
			g.events |= e.ev
			return nil
		}
	}
	*unknown = append(*unknown, name)
	return nil
}

// eventList is BADEVENT's list of the events served.
func eventList() string {
	var names []string
	for _, e := range eventNames {
		names = append(names, e.name)
	}
	return strings.Join(names, " ")
}

// notifyMailboxes reads one-or-more-mailbox: a mailbox, or a list.
func (s *session) notifyMailboxes() ([]string, error) {
	if b, _ := s.d.Peek(); b != '(' {
		name, err := s.mailboxName()
		return []string{name}, err
	}
	var names []string
	err := s.d.List(func() error {
		name, err := s.mailboxName()
		names = append(names, name)
		return err
	})
	if err == nil && len(names) == 0 {
		err = bad("Empty mailbox list")
	}
	return names, err
}

// checkNotifyGroups applies RFC 5465 section 5's rules: for the selected
// mailbox MessageNew and MessageExpunge go together, and FlagChange
// needs them; fetch attributes are for the selected mailbox only.
func checkNotifyGroups(groups []notifyGroup) error {
	for _, g := range groups {
		sel := g.filter <= filterSelectedDelayed
		if !sel && g.fetch != nil {
			return bad("MessageNew fetch attributes are for selected and selected-delayed only")
		}
		if !sel {
			continue
		}
		m := g.events & evMessage
		if m != 0 && m&(evMessageNew|evMessageExpunge) != evMessageNew|evMessageExpunge {
			return bad("For the selected mailbox, MessageNew and MessageExpunge go together, and FlagChange needs both")
		}
	}
	return nil
}

// notifyStart begins watching what n's groups name and, with withStatus,
// sends the STATUS of every mailbox watched for message events (RFC 5465
// section 3.1).
func (s *session) notifyStart(n *notifier, withStatus bool) error {
	if n.needsList() {
		s.notifySnapshot(n)
	}
	n.selMaxUID = 0
	if s.view != nil {
		n.selName, n.selValidity = s.mailbox, s.uidValidity
		if uids := s.view.UIDs(); len(uids) > 0 {
			n.selMaxUID = uids[len(uids)-1]
		}
	}
	if err := s.notifyWatch(n); err != nil {
		return err
	}
	n.started = true
	if !withStatus {
		return nil
	}
	for _, name := range n.watchedNames() {
		w := n.watched[name]
		if s.view != nil && name == s.mailbox && n.selected != nil {
			continue
		}
		if items := statusItemsFor(w.events, w.last); len(items) > 0 {
			s.writeStatus(name, items, w.last)
		}
	}
	return nil
}

// needsList reports whether n needs the mailbox list: to find the
// mailboxes a filter covers, or for mailbox events.
func (n *notifier) needsList() bool {
	for _, g := range n.groups {
		if g.events&evNames != 0 || (g.events&evMessage != 0 && (g.filter == filterPersonal || g.filter == filterSubscribed || g.filter == filterSubtree)) {
			return true
		}
	}
	return false
}

// notifySnapshot reads the mailbox list and subscriptions into n.
func (s *session) notifySnapshot(n *notifier) {
	names := map[string]storage.MailboxInfo{}
	s.account.List(func(string) bool { return true }, func(mi storage.MailboxInfo) {
		if len(names) < storage.DefaultMaxListEntries {
			names[mi.Name] = mi
		}
	})
	subs := map[string]bool{}
	if list, err := s.account.Subscriptions(); err == nil {
		for _, name := range list {
			subs[name] = true
		}
	}
	n.names, n.subs = names, subs
}

// covers reports whether group g covers the mailbox name, given the
// subscriptions.
func (g *notifyGroup) covers(name string, subs map[string]bool) bool {
	switch g.filter {
	case filterInboxes:
		return name == storage.InboxName
	case filterPersonal:
		return true // the list holds the personal and shared namespaces
	case filterSubscribed:
		return subs[name]
	case filterMailboxes:
		return slices.Contains(g.names, name)
	case filterSubtree:
		for _, root := range g.names {
			if name == root || strings.HasPrefix(name, root+"/") || strings.HasPrefix(name, root+".") {
				return true
			}
		}
	}
	return false
}

// eventsFor returns the events the groups other than the selected ones
// ask for about the mailbox name; the first group that covers it counts
// (RFC 5465 section 6).
func (n *notifier) eventsFor(name string) notifyEvents {
	for i := range n.groups {
		g := &n.groups[i]
		if g.filter > filterSelectedDelayed && g.covers(name, n.subs) {
			return g.events
		}
	}
	return 0
}

// notifyWatch opens a view of every mailbox some group watches for
// message events, and closes those no group watches any more.
func (s *session) notifyWatch(n *notifier) error {
	want := map[string]notifyEvents{}
	candidates := []string{storage.InboxName}
	for _, g := range n.groups {
		candidates = append(candidates, g.names...)
	}
	for name := range n.names {
		candidates = append(candidates, name)
	}
	for _, name := range candidates {
		if ev := n.eventsFor(name) & evMessage; ev != 0 {
			if mi, ok := n.names[name]; ok && mi.NoSelect {
				continue
			}
			want[name] = ev
		}
	}
	if len(want) > maxWatched {
		return no("LIMIT", "NOTIFY watches at most %d mailboxes; name fewer", maxWatched)
	}
	for name, w := range n.watched {
		if _, ok := want[name]; !ok {
			w.view.Close()
			delete(n.watched, name)
		}
	}
	for name, ev := range want {
		old, ok := n.watched[name]
		if ok && old.view.GoneWhy() == storage.NotGone {
			old.events = ev
			continue
		}
		if ok {
			// Deleted or renamed, and perhaps made again: what now has
			// the name is compared with what the client was told.
			old.view.SetNotify(nil)
			old.view.Close()
			delete(n.watched, name)
		}
		v, err := s.account.Select(name, true)
		if err != nil {
			continue // not there (yet): MailboxName tells when it is
		}
		w := &watchedMailbox{view: v, events: ev}
		if ok {
			w.last = old.last
			w.dirty.Store(true)
		} else if w.last, err = s.account.Status(name); err != nil {
			v.Close()
			continue
		} else if n.started && w.last.Messages > 0 {
			// A mailbox that came after NOTIFY SET, with messages
			// already: the client has heard of none of them.
			w.last = storage.Status{UIDValidity: w.last.UIDValidity}
			w.dirty.Store(true)
		}
		v.SetNotify(w.changed(n))
		n.watched[name] = w
	}
	return nil
}

// watchedNames returns the watched mailboxes' names, sorted.
func (n *notifier) watchedNames() []string {
	names := make([]string, 0, len(n.watched))
	for name := range n.watched {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// statusItemsFor returns the STATUS items that tell of events for a
// mailbox other than the selected one (RFC 5465 sections 5.2 to 5.4):
// MessageNew its MESSAGES, UIDNEXT and UIDVALIDITY; MessageExpunge its
// MESSAGES; FlagChange its UIDVALIDITY and HIGHESTMODSEQ.
func statusItemsFor(ev notifyEvents, st storage.Status) []string {
	var items []string
	if ev&(evMessageNew|evMessageExpunge) != 0 {
		items = append(items, "MESSAGES")
	}
	if ev&evMessageNew != 0 {
		items = append(items, "UIDNEXT", "UIDVALIDITY")
	}
	if ev&evFlagChange != 0 {
		if ev&evMessageNew == 0 {
			items = append(items, "UIDVALIDITY")
		}
		if st.HighestModSeq > 0 {
			items = append(items, "HIGHESTMODSEQ")
		}
	}
	return items
}

// changedItems returns the STATUS items telling of what changed from
// old to cur for the events ev, or nil.
func changedItems(ev notifyEvents, old, cur storage.Status) []string {
	switch {
	case old.UIDValidity != cur.UIDValidity:
		return statusItemsFor(ev|evMessageNew, cur)
	case ev&evMessageNew != 0 && old.UIDNext != cur.UIDNext:
		items := []string{"MESSAGES", "UIDNEXT", "UIDVALIDITY"}
		if ev&evFlagChange != 0 && cur.HighestModSeq > 0 {
			items = append(items, "HIGHESTMODSEQ")
		}
		return items
	case ev&evMessageExpunge != 0 && int64(cur.Messages) < int64(old.Messages)+int64(cur.UIDNext)-int64(old.UIDNext):
		// Fewer messages than the arrivals account for: expunges.
		return []string{"MESSAGES"}
	case ev&evFlagChange != 0 && old.HighestModSeq != cur.HighestModSeq:
		if cur.HighestModSeq > 0 {
			return []string{"UIDVALIDITY", "HIGHESTMODSEQ"}
		}
		return []string{"UIDVALIDITY", "UNSEEN"}
	case ev&evFlagChange != 0 && old.Unseen != cur.Unseen:
		return []string{"UIDVALIDITY", "UNSEEN"}
	}
	return nil
}

// notifySend writes what happened since the last time: the selected
// mailbox's news (when a selected filter asks for it and the caller has
// not polled it), the watched mailboxes' STATUS and the mailbox list's
// LIST. quiet refreshes the mailbox list without telling (after the
// session's own change to it).
func (s *session) notifySend(pollSelected, expungeOK, quiet bool) {
	n := s.notify
	if n == nil {
		return
	}
	// What comes from now on wakes the next wait (arm).
	n.mu.Lock()
	dirty := n.dirty
	n.dirty, n.news = false, false
	n.mu.Unlock()
	if s.view != nil && n.selected != nil {
		if pollSelected {
			s.view.Poll(expungeOK && n.selected.filter == filterSelected, s)
			s.flushVanished()
		}
		s.notifyNewMessages(n)
	}
	if n.names != nil && (dirty || quiet || pollSelected) {
		s.notifyNames(n, quiet)
	}
	for _, name := range n.dirtyNames() {
		w := n.watched[name]
		w.view.Poll(false, discardUpdates{})
		if s.view != nil && name == s.mailbox {
			// The selected mailbox is told of as such; what changed
			// meanwhile is told once it is no longer selected.
			w.dirty.Store(true)
			continue
		}
		watchedLooks.Add(1)
		st, err := s.account.Status(name)
		if err != nil {
			continue
		}
		if items := changedItems(w.events, w.last, st); items != nil {
			s.writeStatus(name, items, st)
		}
		w.last = st
	}
	if h := afterNotifySend.Load(); h != nil {
		(*h)()
	}
}

// afterNotifySend, when set (by the tests), runs at the end of every
// notifySend: a change it makes falls between the look and the next
// wait, where only arm's check of the news keeps it from waiting for the
// client's next command.
var afterNotifySend atomic.Pointer[func()]

// watchedLooks counts the STATUS reads of watched mailboxes after
// changes, for the tests to check that unchanged ones are left alone.
var watchedLooks atomic.Uint64

// dirtyNames returns, sorted, the watched mailboxes that storage marked
// as changed since the last look, and clears their marks.
func (n *notifier) dirtyNames() []string {
	var names []string
	for name, w := range n.watched {
		if w.dirty.Swap(false) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// notifyNewMessages sends MessageNew's FETCH for the messages of the
// selected mailbox the client was just told of (RFC 5465 section 5.2).
func (s *session) notifyNewMessages(n *notifier) {
	uids := s.view.UIDs()
	if n.selName != s.mailbox || n.selValidity != s.uidValidity {
		n.selName, n.selValidity, n.selMaxUID = s.mailbox, s.uidValidity, 0
		if len(uids) > 0 {
			n.selMaxUID = uids[len(uids)-1]
		}
		return
	}
	first := len(uids)
	for first > 0 && uids[first-1] > n.selMaxUID {
		first--
	}
	if first == len(uids) {
		return
	}
	n.selMaxUID = uids[len(uids)-1]
	if len(n.selected.fetch) == 0 {
		return
	}
	items := n.selected.fetch
	if s.qresync && !hasKind(items, fetchUID) {
		items = append([]fetchItem{{kind: fetchUID}}, items...)
	}
	f := newFetcher(s, items)
	news := slices.Clone(uids[first:])
	msgs := make([]storage.Message, len(news))
	if err := f.lookup(news, msgs); err != nil {
		s.log.Debug("imap: NOTIFY MessageNew FETCH", "err", err)
		return
	}
	for i := range msgs {
		if msgs[i].UID == 0 {
			continue
		}
		if err := f.fetchOne(uint32(first+i+1), &msgs[i]); err != nil {
			s.log.Debug("imap: NOTIFY MessageNew FETCH", "uid", msgs[i].UID, "err", err)
		}
	}
}

// notifyNames compares the mailbox list with what it was and tells of
// the differences the groups ask for as LIST responses (RFC 5465
// sections 5.5 and 5.6), then watches what the new list asks for.
func (s *session) notifyNames(n *notifier, quiet bool) {
	oldNames, oldSubs := n.names, n.subs
	s.notifySnapshot(n)
	n.mu.Lock()
	renames := n.renames
	n.renames = nil
	n.mu.Unlock()
	if !quiet {
		wants := func(name string, subs map[string]bool, ev notifyEvents) bool {
			for i := range n.groups {
				if g := &n.groups[i]; g.events&ev != 0 && g.filter > filterSelectedDelayed && g.covers(name, subs) {
					return true
				}
			}
			return false
		}
		var changed []string
		for name := range n.names {
			if _, ok := oldNames[name]; !ok {
				changed = append(changed, name)
			}
		}
		for name := range oldNames {
			if _, ok := n.names[name]; !ok {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		// A RENAME told by the hub: one LIST of the new name with
		// OLDNAME (RFC 5465 section 5.4), none for the old.
		told := map[string]bool{}
		for _, name := range changed {
			mi, exists := n.names[name]
			if !exists {
				continue
			}
			old := n.renamedFrom(renames, name, mi.Delimiter)
			if _, was := oldNames[old]; old == "" || !was || !wants(name, n.subs, evMailboxName) {
				continue
			}
			if _, still := n.names[old]; still {
				continue
			}
			told[name], told[old] = true, true
			attrs := listAttrs("LIST", mi)
			if n.subs[name] {
				attrs = append(attrs, `\Subscribed`)
			}
			s.e.Raw("* LIST (").Raw(strings.Join(attrs, " ")).Raw(") ")
			s.e.String(mi.Delimiter).SP()
			s.writeName(name)
			s.e.Raw(` ("OLDNAME" (`)
			s.writeName(old)
			s.e.Raw("))").CRLF()
		}
		for _, name := range changed {
			mi, exists := n.names[name]
			subs := n.subs
			if !exists {
				mi, subs = oldNames[name], oldSubs
			}
			if told[name] || !wants(name, subs, evMailboxName) {
				continue
			}
			attrs := listAttrs("LIST", mi)
			if !exists {
				attrs = []string{`\NonExistent`}
			}
			if n.subs[name] {
				attrs = append(attrs, `\Subscribed`)
			}
			s.writeListLine("LIST", name, mi.Delimiter, attrs, "")
		}
		var subChanged []string
		for name := range n.subs {
			if !oldSubs[name] {
				subChanged = append(subChanged, name)
			}
		}
		for name := range oldSubs {
			if !n.subs[name] {
				subChanged = append(subChanged, name)
			}
		}
		slices.Sort(subChanged)
		for _, name := range subChanged {
			if slices.Contains(changed, name) || !(wants(name, n.subs, evSubscriptionChange) || wants(name, oldSubs, evSubscriptionChange)) {
				continue
			}
			mi, exists := n.names[name]
			attrs := listAttrs("LIST", mi)
			if !exists {
				attrs = []string{`\NonExistent`}
				mi.Delimiter = s.delimiter()
			}
			if n.subs[name] {
				attrs = append(attrs, `\Subscribed`)
			}
			s.writeListLine("LIST", name, mi.Delimiter, attrs, "")
		}
	}
	if err := s.notifyWatch(n); err != nil {
		// More mailboxes than a session may watch: RFC 5465 section
		// 5.8, the client must start again.
		s.e.Raw("* OK [NOTIFICATIONOVERFLOW] Too many mailboxes to watch; NOTIFY is off\r\n")
		s.notifyClose()
	}
}

// notifyDone is called by complete after a command: what the command's
// own answer did not carry is sent. name is the command's.
func (s *session) notifyDone(name string, expungeOK bool) {
	switch name {
	case "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE":
		// A change of the mailbox list: the user's NOTIFY sessions
		// hear of it; this one's own list is refreshed silently.
		if s.account != nil {
			s.srv.hub.tell(s.account.User().Name, s.notify, s.lastRename)
		}
		s.lastRename = nil
		s.notifySend(false, expungeOK, true)
		return
	case "NOTIFY":
		return
	}
	s.notifySend(false, expungeOK, false)
}

// renamed records the session's own RENAME, for the hub to tell the
// other sessions as OLDNAME.
func (s *session) renamed(from, to string) {
	s.lastRename = &[2]string{from, to}
}

// renamedFrom returns the old name of a mailbox a RENAME told by the
// hub made, or "": the mailbox itself, or one below it, whose old name
// is then below the old one.
func (n *notifier) renamedFrom(renames map[string]string, name, delim string) string {
	for old, nw := range renames {
		switch {
		case name == nw:
			return old
		case delim != "" && strings.HasPrefix(name, nw+delim):
			return old + name[len(nw):]
		}
	}
	return ""
}

// poke is called when there may be news: by storage, with a watched
// mailbox locked, and by the hub, from other goroutines. While the
// session waits for its client (armed) it cuts the read short; news
// that comes while it does not is kept for the next wait (arm).
func (n *notifier) poke() {
	n.mu.Lock()
	n.news = true
	if n.armed {
		n.wake()
	}
	n.mu.Unlock()
}

// pokeNames marks the mailbox list as worth reading again and pokes.
func (n *notifier) pokeNames() {
	n.mu.Lock()
	n.dirty = true
	n.mu.Unlock()
	n.poke()
}

// arm lets pokes cut the read short, at once when news came since the
// last notifySend (while the session wrote, say); disarm stops them.
// After disarm returns no poke touches the connection's deadline, which
// the caller then sets again.
func (n *notifier) arm() {
	n.mu.Lock()
	n.armed = true
	if n.news {
		n.wake()
	}
	n.mu.Unlock()
}

func (n *notifier) disarm() {
	n.mu.Lock()
	n.armed = false
	n.mu.Unlock()
}

// notifyWait is await for a session with NOTIFY on: news that comes
// while it waits for the client is written at once, and the wait goes
// on in a new goroutine, as idle does.
func (s *session) notifyWait() {
	n := s.notify
	if s.conn.SetReadDeadline(s.readDeadline) != nil {
		// A pipe without deadlines: news waits for the next command.
		s.br.Wait()
		s.loop()
		return
	}
	s.woken.Store(false)
	n.arm()
	if s.view != nil && n.selected != nil {
		if n.selected.filter == filterSelectedDelayed {
			// Expunges wait for a command (RFC 5465 section 6): those
			// held back must not wake the wait again at once.
			s.view.SetNotifyHolding(n.poke)
		} else {
			s.view.SetNotify(n.poke)
		}
		s.armGoneCheck() // gone.go
	}
	s.br.Wait()
	if s.view != nil && n.selected != nil {
		s.disarmGoneCheck()
		s.view.SetNotify(nil)
	}
	n.disarm()
	if s.interrupted() {
		s.woken.Store(false)
		s.rearm()
		if s.endIfGone() {
			return
		}
		s.notifySend(true, true, false)
		if err := s.e.Flush(); err != nil {
			s.ending(err)
			s.finish()
			return
		}
		go s.await()
		return
	}
	s.rearm()
	s.loop()
}

// notifyClose turns NOTIFY off.
func (s *session) notifyClose() {
	if s.notify == nil {
		return
	}
	s.srv.hub.leave(s.account.User().Name, s.notify)
	s.notify.closeViews()
	s.notify = nil
}

// closeViews closes every watched mailbox's view.
func (n *notifier) closeViews() {
	for name, w := range n.watched {
		w.view.SetNotify(nil)
		w.view.Close()
		delete(n.watched, name)
	}
}

// notifyHub tells the NOTIFY sessions of a user, in this process, that
// another of them changed the mailbox list. The zero value is ready.
type notifyHub struct {
	mu    sync.Mutex
	users map[string]map[*notifier]struct{}
}

func (h *notifyHub) join(user string, n *notifier) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.users == nil {
		h.users = map[string]map[*notifier]struct{}{}
	}
	if h.users[user] == nil {
		h.users[user] = map[*notifier]struct{}{}
	}
	h.users[user][n] = struct{}{}
}

func (h *notifyHub) leave(user string, n *notifier) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.users[user], n)
	if len(h.users[user]) == 0 {
		delete(h.users, user)
	}
}

// tell pokes the user's NOTIFY sessions but from; rename, when not nil,
// is a RENAME's old and new name.
func (h *notifyHub) tell(user string, from *notifier, rename *[2]string) {
	h.mu.Lock()
	var others []*notifier
	for n := range h.users[user] {
		if n != from {
			others = append(others, n)
		}
	}
	h.mu.Unlock()
	for _, n := range others {
		if rename != nil {
			n.mu.Lock()
			if n.renames == nil {
				n.renames = map[string]string{}
			}
			if len(n.renames) < maxWatched {
				n.renames[rename[0]] = rename[1]
			}
			n.mu.Unlock()
		}
		n.pokeNames()
	}
}
