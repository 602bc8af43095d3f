package storage

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// View is one session's window on a selected mailbox. Sequence numbers
// are the view's own: a message appears only after the session has been
// told of it (EXISTS), and disappears only when the session has been told
// (EXPUNGE). A View belongs to one goroutine.
type View struct {
	mb       *mailbox
	readOnly bool
	validity uint32   // the mailbox's UIDVALIDITY when the view opened (GoneWhy)
	uids     []uint32 // the client's view, ascending; see list
	// lazy, when not nil, stands for uids, which is then nil: the view
	// of a mailbox loaded from a summary (a cold SELECT) keeps its UIDs
	// as the summary's ranges until a command needs them one by one.
	lazy Ranges
	// sharedUIDs: uids is the mailbox's shared list (no spare capacity,
	// so append copies); it must be copied before an element changes.
	sharedUIDs bool
	recent     map[uint32]struct{} // \Recent for this session
	pending    []update            // guarded by mb.mu
	notify     func()              // guarded by mb.mu; see SetNotify
	wake       chan struct{}
	closed     bool
	settled    bool // Settle was called
	// checked: Check looked at the mailbox since the last Poll, which
	// then need not look again (see unwatched.go).
	checked bool
	// announced holds the keywords the session has been told may be in
	// use: at SELECT (Info), then through FlagsInUse.
	announced map[string]struct{}
}

// Updates receives what changed since the last Poll, in an order that keeps
// the client's sequence numbers right.
type Updates interface {
	// FlagsInUse: keywords the session was not told of are in use; flags
	// are all it has been told of, the new ones included. It comes before
	// the first Exists or Flags whose messages carry a new one, as RFC
	// 3501 section 7.2.6 wants FLAGS to list every flag a client may see.
	FlagsInUse(flags []string)
	// Expunge: message seq is gone; later messages move down by one.
	Expunge(seq uint32)
	// Exists: the mailbox now holds n messages; recent of them are \Recent.
	Exists(n, recent uint32)
	// Flags: message seq has new flags.
	Flags(seq uint32, m *Message, recent bool)
}

// UIDExpunger is an optional interface of Updates that wants the UID of
// each expunged message too (QRESYNC's VANISHED, RFC 7162 section
// 3.2.10); Poll calls ExpungeUID instead of Expunge.
type UIDExpunger interface {
	ExpungeUID(seq, uid uint32)
}

// newView opens a view; mb is acquired and loaded, mb.mu is held.
func newView(mb *mailbox, readOnly bool) *View {
	v := &View{
		mb:       mb,
		readOnly: readOnly,
		validity: mb.uidValidity,
		recent:   make(map[uint32]struct{}),
		wake:     make(chan struct{}, 1),
	}
	if sum := mb.summary; sum != nil && len(sum.UIDs) > 0 {
		// Listing 100,000 UIDs was most of a cold SELECT's time.
		v.lazy = sum.UIDs
		if v.lazy.last() >= mb.recentFrom {
			v.claimRecentLocked(v.list())
		}
	} else {
		v.uids, v.sharedUIDs = mb.uidsLocked(), true
		v.claimRecentLocked(v.uids)
	}
	mb.views[v] = struct{}{}
	return v
}

// list returns the view's UIDs, listing them first when the view holds
// them as ranges (lazy).
func (v *View) list() []uint32 {
	if v.lazy != nil {
		v.uids, v.lazy, v.sharedUIDs = v.lazy.expand(), nil, false
	}
	return v.uids
}

// claimRecentLocked marks the messages above the mailbox's recent mark as
// \Recent for this view; a read-write view takes them for itself, as RFC
// 3501 says only one session sees a message as recent. Where the folder
// tells which messages another process took (NewClaimer), one that is no
// longer New when this process first hears of it is that process's
// session's, not this one's.
func (v *View) claimRecentLocked(uids []uint32) {
	mb := v.mb
	_, claims := mb.folder.(NewClaimer)
	var claimed []uint32
	first := sort.Search(len(uids), func(i int) bool { return uids[i] >= mb.recentFrom })
	for _, uid := range uids[first:] {
		if claims {
			if i := mb.index(uid); i >= 0 && !mb.msgs[i].New {
				continue
			}
		}
		v.recent[uid] = struct{}{}
		claimed = append(claimed, uid)
	}
	if v.readOnly || first == len(uids) {
		return
	}
	mb.recentFrom = uids[len(uids)-1] + 1
	var seen []uint32
	for _, uid := range claimed {
		if i := mb.index(uid); i >= 0 && mb.msgs[i].New {
			mb.msgs[i].New = false
			seen = append(seen, uid)
		}
	}
	if len(seen) > 0 {
		if err := v.markSeenLocked(seen); err != nil {
			mb.store.log.Warn("storage: marking messages seen", "path", mb.path, "err", err)
		}
		mb.ownChangedLocked()
	}
}

// markSeenLocked takes the New messages seen out of New on disk. Where the
// folder tells which of them another process took out first (NewClaimer),
// those are not \Recent in this view: that process's session has them.
func (v *View) markSeenLocked(seen []uint32) error {
	nc, ok := v.mb.folder.(NewClaimer)
	if !ok {
		return v.mb.folder.Seen(seen)
	}
	claimed, err := nc.ClaimSeen(seen)
	if err != nil {
		return err
	}
	// claimed is seen less some UIDs, in the same order.
	for _, uid := range seen {
		if len(claimed) > 0 && claimed[0] == uid {
			claimed = claimed[1:]
			continue
		}
		delete(v.recent, uid)
	}
	return nil
}

// ReadOnly reports whether the view was opened read-only (EXAMINE).
func (v *View) ReadOnly() bool { return v.readOnly }

// UIDs returns the view's UIDs in sequence order. The slice is the view's
// own: do not change it, and do not keep it across Poll.
func (v *View) UIDs() []uint32 { return v.list() }

// Count returns the number of messages in the view.
func (v *View) Count() uint32 {
	if v.lazy != nil {
		return uint32(v.lazy.count())
	}
	return uint32(len(v.uids))
}

// lazySearchMax is how many ranges SeqOf, SeqSpan and UIDsAt walk
// before they list the view's UIDs and search them instead.
const lazySearchMax = 64

// LastUID returns the UID of the view's last message, or 0.
func (v *View) LastUID() uint32 {
	if v.lazy != nil {
		return v.lazy.last()
	}
	if n := len(v.uids); n > 0 {
		return v.uids[n-1]
	}
	return 0
}

// SeqSpan returns the sequence numbers of the first and the last of the
// view's messages whose UIDs lie within start..stop; lo > hi when there
// are none. Unlike UIDs it does not list the view's UIDs when they are
// held as a few ranges: a UID FETCH of one message in a mailbox just
// selected then costs nothing per message of the mailbox.
func (v *View) SeqSpan(start, stop uint32) (lo, hi uint32) {
	if v.lazy != nil && len(v.lazy) <= lazySearchMax {
		return v.lazy.countBelow(uint64(start)) + 1, v.lazy.countBelow(uint64(stop) + 1)
	}
	uids := v.list()
	l := sort.Search(len(uids), func(i int) bool { return uids[i] >= start })
	h := sort.Search(len(uids), func(i int) bool { return uids[i] > stop })
	return uint32(l + 1), uint32(h)
}

// UIDsAt returns the UIDs of the given sequence numbers, each between 1
// and Count, in a new slice. Like SeqSpan it leaves UIDs held as a few
// ranges as they are.
func (v *View) UIDsAt(seqs []uint32) []uint32 {
	out := make([]uint32, len(seqs))
	if v.lazy != nil && len(v.lazy) <= lazySearchMax {
		v.lazy.uidsAt(seqs, out)
		return out
	}
	uids := v.list()
	for i, q := range seqs {
		out[i] = uids[q-1]
	}
	return out
}

// SeqOf returns the sequence number of uid, or 0.
func (v *View) SeqOf(uid uint32) uint32 {
	if v.lazy != nil && len(v.lazy) <= lazySearchMax {
		return v.lazy.seqOf(uid)
	}
	v.list()
	i := sort.Search(len(v.uids), func(i int) bool { return v.uids[i] >= uid })
	if i < len(v.uids) && v.uids[i] == uid {
		return uint32(i + 1)
	}
	return 0
}

// Recent reports whether uid is \Recent in this session.
func (v *View) Recent(uid uint32) bool {
	_, ok := v.recent[uid]
	return ok
}

// RecentCount returns how many messages of the view are \Recent.
func (v *View) RecentCount() uint32 { return uint32(len(v.recent)) }

// Wake is signalled when updates are pending.
func (v *View) Wake() <-chan struct{} { return v.wake }

// SetNotify makes f be called whenever an update is queued for the view
// (and at once if some are pending), so that a session can wait for news
// without a goroutine of its own on Wake; a non-nil f watches the
// mailbox (Watch). f runs with the mailbox locked: it must return
// quickly and must not call the View. nil stops the calls.
func (v *View) SetNotify(f func()) {
	if f != nil {
		v.Watch()
	}
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	v.notify = f
	if f != nil && len(v.pending) > 0 {
		f()
	}
}

// SetNotifyHolding is SetNotify for a session that holds expunges back
// between commands (it polls without allowExpunge, as IMAP NOTIFY's
// selected-delayed does): f is called at once only when the updates
// pending hold something other than an expunge, so that expunges held
// back do not wake the session again and again. A new update, expunges
// included, calls f as SetNotify's does.
func (v *View) SetNotifyHolding(f func()) {
	if f != nil {
		v.Watch()
	}
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	v.notify = f
	if f == nil {
		return
	}
	for _, u := range v.pending {
		if u.kind != updExpunged {
			f()
			return
		}
	}
}

// Mailbox facts for SELECT.
type Selected struct {
	UIDValidity uint32
	UIDNext     uint32
	// HighestModSeq is HIGHESTMODSEQ (RFC 7162), 0 for NOMODSEQ.
	HighestModSeq uint64
	Flags         []string // flags in use, keywords included
}

// Info returns UIDVALIDITY, UIDNEXT and the flags in use, which the
// session is then taken to have been told of (SELECT's FLAGS).
func (v *View) Info() Selected {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	flags := slices.Clone(mb.flagsInUseLocked())
	v.announced = make(map[string]struct{}, len(flags))
	v.announceLocked(flags)
	sel := Selected{UIDValidity: mb.uidValidity, UIDNext: mb.uidNext, Flags: flags}
	if !mb.noModSeq {
		sel.HighestModSeq = mb.highestModSeq
	}
	return sel
}

// AnnounceFlags makes sure the session has been told of every keyword of
// flags before a response carries them: if it has not, it calls
// u.FlagsInUse with them and every other flag in use. The session's own
// STORE and FETCH call it, since Poll tells only of others' changes.
func (v *View) AnnounceFlags(flags []string, u Updates) {
	if v.knows(flags) {
		return
	}
	mb := v.mb
	mb.mu.Lock()
	v.announceLocked(flags)
	v.announceLocked(mb.flagsInUseLocked())
	all := v.announcedList()
	mb.mu.Unlock()
	u.FlagsInUse(all)
}

// knows reports whether the session has been told of every keyword of
// flags.
func (v *View) knows(flags []string) bool {
	for _, f := range flags {
		if _, ok := v.announced[f]; !ok && isKeyword(f) {
			return false
		}
	}
	return true
}

// announceLocked records the keywords of flags as told of.
func (v *View) announceLocked(flags []string) {
	if v.announced == nil {
		v.announced = make(map[string]struct{})
	}
	for _, f := range flags {
		if isKeyword(f) {
			v.announced[f] = struct{}{}
		}
	}
}

// isKeyword reports whether a flag of a stored message is a keyword:
// system flags, in canonical spelling, start with a backslash.
func isKeyword(flag string) bool { return flag != "" && flag[0] != '\\' }

// announcedList returns the keywords the session has been told of, sorted.
func (v *View) announcedList() []string {
	out := make([]string, 0, len(v.announced))
	for f := range v.announced {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Lookup copies the current state of the messages with the given UIDs
// into out (same length). A message expunged since this view was last
// told keeps its last known state; one that is unknown has UID 0.
func (v *View) Lookup(uids []uint32, out []Message) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.fullLocked()
	next := 0 // where the next UID is when uids ascend, as they mostly do
	for k, uid := range uids {
		i := next
		if i >= len(mb.msgs) || mb.msgs[i].UID != uid {
			i = mb.index(uid)
		}
		if i >= 0 {
			out[k] = mb.msgs[i]
			next = i + 1
		} else if g, ok := mb.ghosts[uid]; ok {
			out[k] = g.msg
		} else {
			out[k] = Message{}
		}
	}
}

// Dated fills in the InternalDate of each message of msgs (as Lookup
// returned them) that lacks it: a folder may learn dates only when asked
// (Dater). The mailbox keeps what it learns for every view. A message
// whose date cannot be learnt any more (its file was removed since the
// last scan, or it is an expunged message another program removed
// before its date was learnt) gets UID 0, as Lookup gives a message it
// does not know: callers treat it as expunged.
func (v *View) Dated(msgs []Message) error {
	mb := v.mb
	if _, ok := mb.folder.(Dater); !ok {
		return nil
	}
	var uids []uint32
	var at []int
	for k := range msgs {
		if msgs[k].UID != 0 && msgs[k].InternalDate.IsZero() {
			uids = append(uids, msgs[k].UID)
			at = append(at, k)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	dates, err := mb.datesLocked(uids)
	if err != nil {
		return err
	}
	for j, k := range at {
		msgs[k].InternalDate = dates[j]
		if dates[j].IsZero() {
			msgs[k].UID = 0
		}
	}
	return nil
}

// datesLocked returns the internal dates of the messages uids, from
// mb.msgs or else from a folder that is a Dater, and keeps in mb.msgs
// what the folder tells; a message that is gone gets the zero Time.
// mb.mu is held.
func (mb *mailbox) datesLocked(uids []uint32) ([]time.Time, error) {
	mb.fullLocked()
	dates := make([]time.Time, len(uids))
	var ask []uint32
	var askAt []int
	for j, uid := range uids {
		if i := mb.index(uid); i >= 0 && !mb.msgs[i].InternalDate.IsZero() {
			dates[j] = mb.msgs[i].InternalDate
		} else if i >= 0 {
			ask = append(ask, uid)
			askAt = append(askAt, j)
		} else if g, ok := mb.ghosts[uid]; ok {
			dates[j] = g.msg.InternalDate
		}
	}
	d, ok := mb.folder.(Dater)
	if len(ask) == 0 || !ok {
		return dates, nil
	}
	got := make([]time.Time, len(ask))
	if err := d.InternalDates(ask, got); err != nil {
		return nil, fmt.Errorf("reading internal dates: %w", err)
	}
	for n, j := range askAt {
		dates[j] = got[n]
		if i := mb.index(ask[n]); i >= 0 {
			mb.msgs[i].InternalDate = got[n]
		}
	}
	return dates, nil
}

// FirstUnseen returns the sequence number of the view's first message
// without \Seen, or 0 when there is none (SELECT's UNSEEN).
func (v *View) FirstUnseen() uint32 {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if sum := mb.summary; sum != nil {
		// Nothing changed since the summary: the view's UIDs are its.
		if sum.FirstUnseen == 0 {
			return 0
		}
		if seq := v.SeqOf(sum.FirstUnseen); seq > 0 {
			return seq
		}
		mb.fullLocked()
	}
	// Both lists ascend by UID: walk them together.
	j := 0
	for k, uid := range v.list() {
		for j < len(mb.msgs) && mb.msgs[j].UID < uid {
			j++
		}
		var flags []string
		if j < len(mb.msgs) && mb.msgs[j].UID == uid {
			flags = mb.msgs[j].Flags
		} else if g, ok := mb.ghosts[uid]; ok {
			flags = g.msg.Flags
		} else {
			continue
		}
		if !hasFlag(flags, FlagSeen) {
			return uint32(k + 1)
		}
	}
	return 0
}

// OpenStored returns the content of a message as the folder stores it:
// usually with LF line endings, and not necessarily RFC822.SIZE bytes
// long. Parsers that count line ends themselves (BODYSTRUCTURE, SEARCH
// TEXT) read it without the cost of the CRLF conversion.
func (v *View) OpenStored(uid uint32) (io.ReadCloser, error) {
	return v.openStored(uid, false)
}

// ShortOpener is an optional interface of a Folder: OpenShort opens a
// message as Open does, for a short read from its start, its header,
// and may leave out what a long read or a copy of the whole file would
// use (an *os.File's poller registration and sendfile): a first FETCH
// ENVELOPE reads every message's header this way. View.Open reads the
// whole message through it too, into the CRLF converter, which never
// hands the file to sendfile: a FETCH of 1,000 bodies opens 1,000 files.
type ShortOpener interface {
	OpenShort(uid uint32) (io.ReadCloser, error)
}

// QuickOpener is an optional interface of a Folder whose Open and
// OpenShort hold a lock of the folder's own while they open the file:
// OpenQuick opens message uid's file as OpenShort does, without the
// mailbox lock, and holds the folder's lock only to find the file's
// name, not during the open(2), so that the readers of a command that
// reads many messages at once (a first FETCH ENVELOPE) neither queue for
// it nor hold up the other sessions. ok is false when it cannot (the
// file is not where the folder last saw it, or it is not a regular
// file): the caller then takes the mailbox lock and calls Open or
// OpenShort, which look for it and say why not. It runs beside any other
// call on the Folder, Scan and Close included: the folder locks what it
// reads of its own state.
type QuickOpener interface {
	OpenQuick(uid uint32) (rc io.ReadCloser, ok bool)
}

// openStored is OpenStored, through the folder's OpenShort when short
// and it has one.
func (v *View) openStored(uid uint32, short bool) (io.ReadCloser, error) {
	rc, _, err := v.mb.open(uid, short)
	return rc, err
}

// Open returns the content of a message with CRLF line endings, and its
// size.
func (v *View) Open(uid uint32) (io.ReadCloser, int64, error) {
	rc, size, err := v.mb.open(uid, true)
	if err != nil {
		return nil, 0, err
	}
	return newCRLFReadCloser(rc), size, nil
}

// open opens message uid's file as stored and returns it with the
// message's size: through OpenQuick where the folder has it, and
// otherwise, or when that cannot, under the mailbox lock through
// OpenShort when short and the folder has it, or Open.
func (mb *mailbox) open(uid uint32, short bool) (io.ReadCloser, int64, error) {
	mb.mu.Lock()
	i := mb.index(uid)
	if i < 0 || mb.gone {
		// A mailbox deleted or renamed: whatever is at its path now
		// is another mailbox's.
		mb.mu.Unlock()
		return nil, 0, ErrNoMessage
	}
	size := mb.msgs[i].Size
	scans := mb.scans.Load()
	mb.mu.Unlock()
	// mb.folder is set once, when the mailbox is opened.
	if qo, ok := mb.folder.(QuickOpener); ok {
		if rc, ok := qo.OpenQuick(uid); ok {
			// A Scan that began meanwhile may have found the mailbox
			// reset, and the file opened may be the new message of
			// this UID, of another size: then the locked way.
			if mb.scans.Load() == scans {
				return rc, size, nil
			}
			rc.Close()
		}
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if i = mb.index(uid); i < 0 || mb.gone {
		return nil, 0, ErrNoMessage
	}
	size = mb.msgs[i].Size
	var rc io.ReadCloser
	var err error
	if so, ok := mb.folder.(ShortOpener); ok && short {
		rc, err = so.OpenShort(uid)
	} else {
		rc, err = mb.folder.Open(uid)
	}
	if err != nil {
		return nil, 0, err
	}
	return rc, size, nil
}

// Cached returns a value a frontend stored for uid under key.
func (v *View) Cached(uid uint32, key string) (any, bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.cachedLocked(uid, key)
}

// CachedBytes is Cached for a value that is a []byte, without boxing it
// in an interface: for a FETCH of many messages' envelopes, which the
// cache holds as they are sent.
func (v *View) CachedBytes(uid uint32, key string) ([]byte, bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.cachedBytesLocked(uid, key)
}

// UncachedBytes appends to dst, under one lock, the UIDs of uids that
// have no []byte value under key, and returns it: for a command that
// derives what many messages lack (a first FETCH ENVELOPE), without
// boxing the values it finds.
func (v *View) UncachedBytes(uids []uint32, key string, dst []uint32) []uint32 {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	for _, uid := range uids {
		if _, ok := mb.cachedBytesLocked(uid, key); !ok {
			dst = append(dst, uid)
		}
	}
	return dst
}

// CachedBatch sets out[i] to the value a frontend stored for uids[i]
// under key, or nil, under one lock: for commands that read one key of
// many messages (SORT, THREAD). out has the length of uids.
func (v *View) CachedBatch(uids []uint32, key string, out []any) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	for i, uid := range uids {
		out[i], _ = mb.cachedLocked(uid, key)
	}
}

// SetCached stores a value derived from message uid (such as its parsed
// envelope) for every session to share while the mailbox is open. A
// value derived from the message's file is stored with SetCachedSince
// instead, which knows whether the file read is still the message's.
func (v *View) SetCached(uid uint32, key string, val any) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.setCachedLocked(uid, key, val)
}

// CachedValue is one value for SetCachedSince.
type CachedValue struct {
	UID   uint32
	Key   string
	Value any
}

// CacheEpoch returns a number that changes whenever the mailbox's cached
// values are dropped: another program reset the mailbox (a new
// UIDVALIDITY, whose messages may take the old UIDs), or an
// administrator's resync. A frontend that derives values from message
// files takes it before it reads them, and stores the values with
// SetCachedSince.
func (v *View) CacheEpoch() uint64 {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.cacheEpoch
}

// SetCachedSince stores, under one lock, values derived from message
// files read after epoch was the CacheEpoch, unless the cached values
// were dropped since: a value read from a file before a reset must never
// be kept for the message that has its UID after it (a first FETCH
// ENVELOPE reads for seconds). It reports whether it stored them.
func (v *View) SetCachedSince(epoch uint64, vals ...CachedValue) bool {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.cacheEpoch != epoch {
		return false
	}
	for _, cv := range vals {
		mb.setCachedLocked(cv.UID, cv.Key, cv.Value)
	}
	return true
}

// setCachedLocked stores val under key for message uid, unless the
// mailbox no longer has it; mb.mu is held.
func (mb *mailbox) setCachedLocked(uid uint32, key string, val any) {
	if m := mb.cacheEntryLocked(uid, 2); m != nil {
		m[key] = val
		mb.markCacheDirtyLocked()
	}
}

// cacheEntryLocked returns the cached values of message uid, made (with
// room for n) when it has none yet, or nil when the mailbox has no such
// message; mb.mu is held.
func (mb *mailbox) cacheEntryLocked(uid uint32, n int) map[string]any {
	if mb.index(uid) < 0 {
		return nil
	}
	m := mb.cache[uid]
	if m == nil {
		m = make(map[string]any, n)
		mb.cache[uid] = m
	}
	return m
}

// Store changes the flags of the messages with the given UIDs and returns
// the UIDs whose flags it changed, in ascending order. Other views are
// told; this one is not, since its command reports the result itself.
func (v *View) Store(uids []uint32, op StoreOp, flags []string) ([]uint32, error) {
	changed, _, err := v.store(uids, op, flags, false, 0)
	return changed, err
}

// StoreUnchangedSince is Store with UNCHANGEDSINCE (RFC 7162 section
// 3.1.3): a message whose modseq is above since is left alone, and
// returned in modified. The test and the change happen under one lock,
// so no other change can slip in between.
func (v *View) StoreUnchangedSince(uids []uint32, op StoreOp, flags []string, since uint64) (changed, modified []uint32, err error) {
	return v.store(uids, op, flags, true, since)
}

func (v *View) store(uids []uint32, op StoreOp, flags []string, check bool, since uint64) ([]uint32, []uint32, error) {
	if v.readOnly {
		return nil, nil, ErrReadOnly
	}
	// The new flags are the old ones changed, and UNCHANGEDSINCE tests
	// their modseq: on a mailbox nobody watches both may be old.
	v.checkFirst()
	uids = ascendingUIDs(uids)
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.gone {
		return nil, nil, errGone
	}
	mb.fullLocked()
	changes := make([]FlagChange, 0, len(uids)) // ascending UIDs, as uids
	merged := make(map[uint32]bool)
	defer func() {
		if len(changes) > 0 {
			mb.ownChangedLocked()
		}
	}()
	var modified []uint32
	var memo flagsMemo
	next := 0 // where the next UID is, the messages and uids both ascending
	for _, uid := range uids {
		i := mb.indexFrom(uid, next)
		if i < 0 {
			continue
		}
		next = i + 1
		if check && mb.msgs[i].ModSeq > since {
			modified = append(modified, uid)
			continue
		}
		now, same := memo.apply(mb.msgs[i].Flags, op, flags)
		if same {
			continue
		}
		changes = append(changes, FlagChange{UID: uid, Flags: now})
	}
	if cs, ok := mb.folder.(ConditionalFlagSetter); ok && check && len(changes) > 0 {
		if err := cs.SetFlagsUnchanged(changes); err != nil {
			mb.refreshLocked()
			return nil, modified, fmt.Errorf("storing flags: %w", err)
		}
		// The messages another program changed meanwhile fail the
		// UNCHANGEDSINCE test: their flags on disk are recorded with
		// a new modseq, and every view, this one included, told.
		var others []uint32
		for uid, flags := range cs.MergedFlags() {
			if k, asked := findChange(changes, uid); asked {
				changes[k].Flags = normalizeFlags(flags)
				merged[uid] = true
				others = append(others, uid)
			}
		}
		mb.commitFlagsLocked(v, changes, merged)
		order := make([]uint32, 0, len(changes))
		for _, c := range changes {
			if !merged[c.UID] {
				order = append(order, c.UID)
			}
		}
		return order, append(modified, others...), nil
	}
	if fb, ok := mb.folder.(FlagBatcher); ok && len(changes) > 1 {
		if err := mb.setFlagsBatchLocked(fb, changes); err != nil {
			// Some may have landed: read back what the disk says.
			mb.refreshLocked()
			return nil, modified, fmt.Errorf("storing flags: %w", err)
		}
		mb.mergedFlagsLocked(changes, merged)
	} else {
		// A message another program removed meanwhile (another
		// process's EXPUNGE) is passed over, as the batches do: the
		// others still change, the command succeeds, and the refresh
		// below tells every view of the expunge (RFC 2180 section
		// 4.2.1; Dovecot answers OK too). Before, the STORE stopped
		// there with NO and left the messages after it unchanged. A
		// message renumbered under another UID (ErrReplaced) still
		// exists: that change did not happen, and the client is told.
		var gone []uint32
		for k, c := range changes {
			err := mb.folder.SetFlags(c.UID, c.Flags)
			if errors.Is(err, ErrNoMessage) && !errors.Is(err, ErrReplaced) {
				gone = append(gone, c.UID)
				continue
			}
			if err != nil {
				done := withoutUIDs(changes[:k], gone)
				mb.commitFlagsLocked(v, done, merged)
				if len(gone) > 0 || errors.Is(err, ErrReplaced) {
					// What the views hold is old, and the client is
					// told why.
					mb.refreshLocked()
				}
				return changedUIDs(done), modified, fmt.Errorf("storing flags: %w", err)
			}
			mb.mergedFlagsLocked(changes, merged)
		}
		if len(gone) > 0 {
			changes = withoutUIDs(changes, gone)
			mb.commitFlagsLocked(v, changes, merged)
			mb.refreshLocked()
			return changedUIDs(changes), modified, nil
		}
	}
	mb.commitFlagsLocked(v, changes, merged)
	return changedUIDs(changes), modified, nil
}

// withoutUIDs returns changes without those of the UIDs in drop, which
// are in ascending order as changes are; changes itself when drop is
// empty.
func withoutUIDs(changes []FlagChange, drop []uint32) []FlagChange {
	if len(drop) == 0 {
		return changes
	}
	kept := make([]FlagChange, 0, len(changes))
	for _, c := range changes {
		if len(drop) > 0 && drop[0] == c.UID {
			drop = drop[1:]
			continue
		}
		kept = append(kept, c)
	}
	return kept
}

// ascendingUIDs returns uids in ascending order without duplicates: uids
// itself when it is so already, as a frontend's sets are, or else a
// sorted copy.
func ascendingUIDs(uids []uint32) []uint32 {
	for k := 1; k < len(uids); k++ {
		if uids[k] <= uids[k-1] {
			sorted := slices.Clone(uids)
			slices.Sort(sorted)
			return slices.Compact(sorted)
		}
	}
	return uids
}

// findChange returns the position of uid's change in changes, which are
// in ascending UID order.
func findChange(changes []FlagChange, uid uint32) (int, bool) {
	return slices.BinarySearchFunc(changes, uid, func(c FlagChange, uid uint32) int { return cmp.Compare(c.UID, uid) })
}

// changedUIDs returns the UIDs of changes.
func changedUIDs(changes []FlagChange) []uint32 {
	out := make([]uint32, len(changes))
	for k, c := range changes {
		out[k] = c.UID
	}
	return out
}

// mergedFlagsLocked replaces in changes the flags that the folder's last
// flag change merged with another program's (FlagMerger) by those it left
// on disk, so that the mailbox's state and the client's answer show both
// changes, and marks in merged the UIDs whose flags so differ from those
// asked for; mb.mu is held.
func (mb *mailbox) mergedFlagsLocked(changes []FlagChange, merged map[uint32]bool) {
	fm, ok := mb.folder.(FlagMerger)
	if !ok {
		return
	}
	for uid, flags := range fm.MergedFlags() {
		if k, ok := findChange(changes, uid); ok {
			now := normalizeFlags(flags)
			if !sameFlags(now, changes[k].Flags) {
				merged[uid] = true
			}
			changes[k].Flags = now
		}
	}
}

// commitFlagsLocked records flag changes made on disk and tells the other
// views; mb.mu is held. The view from, which made the change, is told
// too of the messages in merged, whose flags another program changed as
// well: RFC 3501 section 6.4.6 asks for an untagged FETCH of flags changed
// by an outside source even after a STORE .SILENT, and with CONDSTORE a
// silent STORE's answer carries the MODSEQ only.
func (mb *mailbox) commitFlagsLocked(from *View, changes []FlagChange, merged map[uint32]bool) {
	var change modseqChange
	change.set = make([]int, 0, len(changes))
	next := 0
	for _, c := range changes {
		if i := mb.indexFrom(c.UID, next); i >= 0 {
			mb.flagChangedLocked(mb.msgs[i].Flags, c.Flags)
			mb.msgs[i].Flags = c.Flags
			change.set = append(change.set, i)
			next = i + 1
		}
	}
	mb.bumpLocked(change)
	if len(mb.views) == 1 && len(merged) == 0 {
		if _, only := mb.views[from]; only {
			return // nobody to tell: a view is not told of its own change
		}
	}
	for _, i := range change.set {
		uid := mb.msgs[i].UID
		u := update{kind: updFlags, uid: uid, from: from}
		if merged[uid] {
			u.from = nil
		}
		mb.broadcast(u)
	}
}

// Expunge removes the messages flagged \Deleted; with uids set, only those
// among them (UID EXPUNGE). With force, the messages in uids go whether
// flagged or not (MOVE). Every view, this one included, is told.
func (v *View) Expunge(uids []uint32, force bool) error {
	if v.readOnly {
		return ErrReadOnly
	}
	// The flags of a mailbox nobody watches may be old: another program
	// may have undeleted a message.
	v.checkFirst()
	return v.expunge(uids, force)
}

// expunge is Expunge without its check of the mailbox, for Move, whose
// copy made the check before it moved the files out.
func (v *View) expunge(uids []uint32, force bool) error {
	if v.readOnly {
		return ErrReadOnly
	}
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.gone {
		return errGone
	}
	var gone []uint32
	mb.fullLocked()
	if uids == nil {
		for i := range mb.msgs {
			if hasFlag(mb.msgs[i].Flags, FlagDeleted) {
				gone = append(gone, mb.msgs[i].UID)
			}
		}
	} else {
		for _, uid := range uids {
			if i := mb.index(uid); i >= 0 && (force || hasFlag(mb.msgs[i].Flags, FlagDeleted)) {
				gone = append(gone, uid)
			}
		}
	}
	return mb.expungeLocked(gone, force)
}

// takeBack removes the messages with the given UIDs, copies that a COPY
// or MOVE which failed stored into the mailbox as into says, and tells
// every view; nothing when its directory is not the one they were stored
// in or its UIDVALIDITY, read again first, is no longer theirs (another
// program reset or re-created it meanwhile: the UIDs are other
// messages'), or when it cannot be read.
func (mb *mailbox) takeBack(into copiedInto, uids []uint32) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.gone {
		return nil
	}
	// Another directory at the path is another mailbox, whose driver
	// may give it the UIDVALIDITY it remembers (MH re-writes a lost
	// .mu-prop): never take back by UID there.
	if now := identity(mb.path); into.validity == 0 || now == ([4]uint64{}) || now != into.at {
		return nil
	}
	if err := mb.refreshLocked(); err != nil {
		return fmt.Errorf("reading the mailbox again: %w", err)
	}
	if mb.uidValidity != into.validity || mb.gone {
		return nil
	}
	var gone []uint32
	for _, uid := range uids {
		if mb.index(uid) >= 0 {
			gone = append(gone, uid)
		}
	}
	return mb.expungeLocked(gone, true)
}

// errGone is the error of a change asked of a view whose mailbox was
// deleted or renamed: the files at its path now are another mailbox's,
// never to be changed for it. Its messages are gone to the client
// (EXPUNGEISSUED), and the client's MOVE from it is not told to create
// its destination.
var errGone = fmt.Errorf("the mailbox was deleted or renamed: %w", ErrNoMessage)

// expungeFailure is the error of an expunge whose folder failed, maybe
// part way; reread says the mailbox was read again after it, so that the
// messages it lists are those still in the folder.
type expungeFailure struct {
	err    error
	reread bool
}

func (e *expungeFailure) Error() string { return "expunging: " + e.err.Error() }
func (e *expungeFailure) Unwrap() error { return e.err }

// expungeHook, when set by a test, runs with mb.mu held before the
// folder removes the messages of an expunge.
var expungeHook func()

// expungeLocked removes the messages gone, which are in mb.msgs, from
// the folder and the shared state, and tells every view; mb.mu is held.
// Unless force is set (MOVE, a COPY taken back), gone are messages the
// core knows as \Deleted, and a folder that finds another program
// undeleted one of them meanwhile keeps it (DeletedExpunger): it stays,
// and the folder is re-read for its flags.
func (mb *mailbox) expungeLocked(gone []uint32, force bool) error {
	if len(gone) == 0 {
		return nil
	}
	if len(mb.views) > 1 {
		// Other sessions keep the messages as ghosts until told: learn
		// the dates they may still ask for while the files are there.
		if _, err := mb.datesLocked(gone); err != nil {
			mb.store.log.Warn("storage: dates of expunged messages", "path", mb.path, "err", err)
		}
	}
	if expungeHook != nil {
		expungeHook()
	}
	var kept []uint32
	var err error
	if de, ok := mb.folder.(DeletedExpunger); ok && !force {
		kept, err = de.ExpungeDeleted(gone)
	} else {
		err = mb.folder.Expunge(gone)
	}
	mb.ownChangedLocked()
	if len(kept) > 0 {
		mb.scheduleRefreshLocked(0, 0)
		gone = slices.DeleteFunc(gone, func(uid uint32) bool { return slices.Contains(kept, uid) })
	}
	if err != nil {
		// The folder may have removed some of the files before it
		// failed: re-read it, so that every view hears of those now
		// rather than keeping messages without files until the next
		// change. A re-read that fails is retried in the background.
		rerr := mb.refreshLocked()
		if rerr != nil {
			mb.scheduleRefreshLocked(time.Second, 1)
		}
		// A gone mailbox is not read again (refreshLocked does
		// nothing): its list is not the folder's.
		return &expungeFailure{err: err, reread: rerr == nil && !mb.gone}
	}
	if len(gone) == 0 {
		return nil
	}
	keep := mb.msgs[:0]
	var removed []Message
	k := 0
	sort.Slice(gone, func(a, b int) bool { return gone[a] < gone[b] })
	for _, m := range mb.msgs {
		if k < len(gone) && gone[k] == m.UID {
			k++
			removed = append(removed, m)
			continue
		}
		keep = append(keep, m)
	}
	mb.msgs = keep
	mb.msgsChangedLocked()
	mb.bumpLocked(modseqChange{expunged: gone})
	for _, m := range removed {
		mb.bytes -= m.Size
		mb.expungedLocked(m)
	}
	mb.totalsChangedLocked()
	return nil
}

// Poll tells u what changed since the last Poll. Without allowExpunge
// (during FETCH, STORE and SEARCH, RFC 3501 section 7.4.1) expunges stay
// queued and the messages keep their sequence numbers. A mailbox that
// nobody watches is first looked at, unless Check did since the last
// Poll, so that the answer carries what another program changed (see
// unwatched.go).
func (v *View) Poll(allowExpunge bool, u Updates) {
	mb := v.mb
	if v.checked {
		v.checked = false // the command began with Check
	} else {
		mb.syncUnwatched()
	}
	mb.mu.Lock()
	pending := v.pending
	v.pending = nil
	var keep []update
	var expunged []uint32
	var added []uint32
	flagged := map[uint32]bool{}
	for _, ev := range pending {
		switch ev.kind {
		case updExpunged:
			if k := indexOf(added, ev.uid); k >= 0 {
				added = append(added[:k], added[k+1:]...)
				mb.ghostDoneLocked(ev.uid)
			} else if !allowExpunge {
				keep = append(keep, ev)
			} else {
				expunged = append(expunged, ev.uid)
				mb.ghostDoneLocked(ev.uid)
			}
		case updAdded:
			added = append(added, ev.uid)
		case updFlags:
			flagged[ev.uid] = true
		}
	}
	v.pending = append(keep, v.pending...)
	sort.Slice(added, func(a, b int) bool { return added[a] < added[b] })
	if len(added) > 0 {
		v.claimRecentLocked(added)
	}
	var flagMsgs []Message
	known := true
	for uid := range flagged {
		if i := mb.index(uid); i >= 0 {
			flagMsgs = append(flagMsgs, mb.msgs[i])
			known = known && v.knows(mb.msgs[i].Flags)
		}
	}
	for _, uid := range added {
		if i := mb.index(uid); i >= 0 {
			known = known && v.knows(mb.msgs[i].Flags)
		}
	}
	var inUse []string
	if !known {
		v.announceLocked(mb.flagsInUseLocked())
		inUse = v.announcedList()
	}
	mb.mu.Unlock()

	if inUse != nil {
		u.FlagsInUse(inUse)
	}

	if len(expunged) > 0 || len(added) > 0 {
		v.list()
	}
	if len(expunged) > 0 && v.sharedUIDs {
		v.uids, v.sharedUIDs = slices.Clone(v.uids), false
	}
	for _, uid := range expunged {
		if seq := v.SeqOf(uid); seq > 0 {
			v.uids = append(v.uids[:seq-1], v.uids[seq:]...)
			delete(v.recent, uid)
			if ux, ok := u.(UIDExpunger); ok {
				ux.ExpungeUID(seq, uid)
			} else {
				u.Expunge(seq)
			}
		}
	}
	if len(added) > 0 {
		for _, uid := range added {
			if n := len(v.uids); n == 0 || uid > v.uids[n-1] {
				v.uids = append(v.uids, uid)
			}
		}
		u.Exists(uint32(len(v.uids)), uint32(len(v.recent)))
	}
	sort.Slice(flagMsgs, func(a, b int) bool { return flagMsgs[a].UID < flagMsgs[b].UID })
	for i := range flagMsgs {
		if seq := v.SeqOf(flagMsgs[i].UID); seq > 0 {
			u.Flags(seq, &flagMsgs[i], v.Recent(flagMsgs[i].UID))
		}
	}
}

func indexOf(s []uint32, x uint32) int {
	for i, y := range s {
		if y == x {
			return i
		}
	}
	return -1
}

// Settle tells the view that the session has answered the command that
// opened it: work that the answer did not need to wait for starts now
// (the full-text indexer, and watching a large mailbox whose folder
// cannot vouch for its files: Store.watchLater). Calling it again costs
// nothing.
func (v *View) Settle() {
	if v.settled {
		return
	}
	v.settled = true
	mb := v.mb
	mb.store.bg.after(settleDelay, bgSettle, func() { mb.store.watchLater(mb) })
	// The messages of a mailbox opened from its summary are built
	// buildDelay after the answer, while the client sends its next
	// command, rather than when that command asks for them; so is the
	// folder's index written when the first scan left it
	// (IndexDeferrer). Not once the store is closing: the next command
	// builds the messages, and the folder's Close writes its index.
	mb.store.bg.after(buildDelay, bgSettle, func() {
		mb.mu.Lock()
		// Not for a mailbox closed, or deleted or renamed (gone)
		// meanwhile: its folder is no longer there to read.
		live := !mb.closed && !mb.gone
		if live {
			mb.fullLocked()
		}
		mb.mu.Unlock()
		// Without the mailbox's lock: the next command need not wait
		// for the file (see IndexDeferrer).
		if d, ok := mb.folder.(IndexDeferrer); ok && live {
			d.WriteIndex()
		}
	})
}

// settleDelay is how long after the answer the mailbox settles: a client
// often sends its next command at once (SELECT then FETCH), which should
// not share the CPU with the full-text indexer's start, or with the
// kernel's work of adding a watch.
const settleDelay = 50 * time.Millisecond

// buildDelay is how long after the answer the messages of a mailbox
// opened from its summary are built (Settle). Built at once, the 100,000
// messages of a cold SELECT (10 ms of CPU) took a CPU from a client on
// the same machine while it woke to read the answer, which then came
// late: on two busy CPUs a cold SELECT answered in 0.25 ms took up to
// 5 ms to reach the client. A client that sends its next command within
// the delay (one on the same machine) has that command build them; one
// farther away finds them built, as before.
const buildDelay = 2 * time.Millisecond

// Close ends the view.
func (v *View) Close() {
	if v.closed {
		return
	}
	v.closed = true
	mb := v.mb
	mb.mu.Lock()
	delete(mb.views, v)
	v.notify = nil
	for _, ev := range v.pending {
		if ev.kind == updExpunged {
			mb.ghostDoneLocked(ev.uid)
		}
	}
	v.pending = nil
	mb.mu.Unlock()
	mb.store.release(mb)
}
