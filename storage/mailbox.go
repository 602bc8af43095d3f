package storage

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage/fts"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// updateKind says what happened to a message.
type updateKind uint8

const (
	updAdded updateKind = iota
	updExpunged
	updFlags
)

// update is one change queued to a View.
type update struct {
	kind updateKind
	uid  uint32
	from *View // the view whose command made a flag change, or nil
}

// mailbox is the shared state of one open mailbox.
type mailbox struct {
	store  *Store
	driver Driver
	path   string

	mu      sync.Mutex
	folder  Folder
	refs    int // guarded by store.mu
	loaded  bool
	gone    bool
	goneWhy GoneReason // why gone is set (gone.go)
	// lookedAt is when View.Check last looked whether mb is still at
	// its path (lookAway, on the clock of monoNow); zero: never.
	lookedAt atomic.Int64
	// spool: an INBOX in one file whose removal reads as an empty
	// mailbox (SpoolFolder), never as gone. Set before mb is shared.
	spool bool
	// fenced counts the DELETEs and RENAMEs of the mailbox under way
	// (Store.fence): it is not read again, nor is its cache file
	// written, until they end (fence.lift then reads it again).
	fenced      int
	closed      bool
	uidValidity uint32
	uidNext     uint32
	msgs        []Message // ascending UID; nil while summary is set
	// summary, when set, stands for msgs: the mailbox was opened from a
	// Summarizer, and fullLocked builds msgs when a command needs them.
	summary    *Summary
	sumCount   int    // how many UIDs summary.UIDs holds
	bytes      int64  // the sum of msgs' sizes, for quota
	recentFrom uint32 // UIDs at or above it are \Recent to the next view that claims them
	views      map[*View]struct{}
	// cache holds the values frontends stored in this process;
	// cacheSections the cache file's, by key, read when the key is first
	// asked for (nil: looked for, none). See cachedLocked.
	cache         map[uint32]map[string]any
	cacheSections map[string]*cacheSection
	cacheHints    [4]cacheHint // guarded by mu; see cacheHintLocked
	cacheHintNext int          // guarded by mu: the hint to replace next
	cacheDirty    bool         // cache holds values its file lacks
	cacheGen      uint64       // counts the changes that made cache dirty
	// cacheEpoch counts the times the cached values were dropped (see
	// View.CacheEpoch).
	cacheEpoch uint64
	// scans counts the folder's Scans, each counted, under mu, before it
	// begins: a message file opened without mu (QuickOpener) while one
	// ran may belong to the message that has the UID after a reset.
	scans atomic.Uint64
	// loadedAt tells the mailbox's directory (or mbox file) when it was
	// first read (fsutil.Identity) from another put at its path since,
	// which is another mailbox even when its driver cannot tell (see
	// takeBack); zero when it could not be read.
	loadedAt [4]uint64
	// cacheSaving is held by whoever writes the cache file (saveCache),
	// one at a time; it is taken before mu.
	cacheSaving sync.Mutex
	// ghosts keeps what was known of expunged messages until every view
	// has been told, so that a session can still FETCH their UID and
	// flags meanwhile (RFC 2180 section 4.1).
	ghosts map[uint32]*ghost

	refreshPending bool
	// quietSeq numbers the quiet flag batches; only the last one's check
	// runs (checkAfterQuietLocked).
	quietSeq uint64
	// watchPending: the mailbox is not watched yet; its folder vouches
	// for its files (Unchanger) until a session waits for news of it
	// (unwatched.go). Set before the mailbox is shared, cleared under
	// store.mu.
	watchPending atomic.Bool
	// watchDue: the process changed the files of the mailbox while it
	// was not watched, and the watch and a check for other programs'
	// changes are under way (ownChangedLocked). Guarded by mu.
	watchDue bool
	// settled: the command that opened the mailbox has been answered, or
	// watchDelay passed (Store.watchLater); the full-text indexer is not
	// woken before, so that reading its index does not compete with the
	// answer for the CPU and the heap. Guarded by mu.
	settled     bool
	stopPoll    chan struct{}
	lingerTimer *bgTimer // guarded by store.mu

	// Derived from msgs on demand, so that a SELECT of a large open
	// mailbox does not walk every message; nil when msgs changed.
	uidList    []uint32 // every UID ascending, shared read-only by views
	flagsInUse []string

	// Modification sequences (modseq.go).
	perm           os.FileMode   // for the files the core creates
	highestModSeq  uint64        // HIGHESTMODSEQ
	noModSeq       bool          // modseqs are not kept: NOMODSEQ
	modseqReserved bool          // this process has taken a modseq from the file
	vanished       []VanishedRun // expunges remembered, ascending modseq
	vanishedFloor  uint64        // expunges at or below it are forgotten
	// early is the modseq file of a mailbox read for the first time,
	// whose first block was reserved before the scan (reserveEarlyLocked);
	// earlySync is that file once the read is done, while no change has
	// yet waited for its sync (awaitEarlySyncLocked).
	early     *earlyModSeq
	earlySync *earlyModSeq

	fts *fts.Index // the full-text index, once the indexer opened it
	// ftsUntold says that the index file's values by UID cannot be
	// trusted (Snapshot.Untold): the indexer empties it when it opens it.
	ftsUntold bool
	// ftsSeen is the count and last UID of the messages when the
	// indexer was last woken: flag changes need not wake it.
	ftsSeen [2]uint32
}

func newMailbox(s *Store, d Driver, path string, f Folder, perm os.FileMode) *mailbox {
	return &mailbox{
		store:  s,
		driver: d,
		path:   path,
		folder: f,
		perm:   perm,
		views:  make(map[*View]struct{}),
		cache:  make(map[uint32]map[string]any),
		ghosts: make(map[uint32]*ghost),

		cacheSections: make(map[string]*cacheSection),
	}
}

func (mb *mailbox) close() {
	mb.saveCache() // most of it, without mb.mu held
	mb.cacheSaving.Lock()
	defer mb.cacheSaving.Unlock()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.closed = true
	mb.saveCacheLocked() // what came meanwhile
	mb.folder.Close()
	if mb.fts != nil {
		mb.fts.Close()
		mb.fts = nil
	}
}

func (mb *mailbox) isGone() bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.gone
}

func (mb *mailbox) markGone(why GoneReason) {
	mb.mu.Lock()
	mb.goneLocked(why)
	mb.mu.Unlock()
}

// changed schedules a re-read after a short pause, so that a burst of file
// events costs one scan.
func (mb *mailbox) changed() { mb.scheduleRefresh(changeDelay, 0) }

// changeDelay is how long a re-read waits for more file events.
const changeDelay = 20 * time.Millisecond

// refreshRetries bounds how often a failed re-read (the file locked by a
// delivery, say) is tried again, a second apart, before waiting for the
// next change.
const refreshRetries = 30

// scheduleRefresh re-reads the mailbox after delay; a failure is tried
// again, so that news is not lost because another program held a lock.
func (mb *mailbox) scheduleRefresh(delay time.Duration, attempt int) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.scheduleRefreshLocked(delay, attempt)
}

// scheduleRefreshLocked is scheduleRefresh with mb.mu held.
func (mb *mailbox) scheduleRefreshLocked(delay time.Duration, attempt int) {
	if mb.refreshPending {
		return
	}
	mb.refreshPending = true
	t := mb.store.bg.after(delay, bgRefresh, func() {
		mb.mu.Lock()
		mb.refreshPending = false
		if mb.closed {
			// The last view left meanwhile: nobody needs the news.
			mb.mu.Unlock()
			return
		}
		err := mb.refreshLocked()
		mb.mu.Unlock()
		if err == nil {
			return
		}
		if attempt == refreshRetries {
			mb.store.log.Warn("storage: re-reading mailbox failed; waiting for the next change", "path", mb.path, "err", err)
		} else {
			// Usually a delivery holding the lock for a moment.
			mb.store.log.Debug("storage: re-reading mailbox", "path", mb.path, "err", err, "attempt", attempt+1)
		}
		if attempt < refreshRetries {
			mb.scheduleRefresh(time.Second, attempt+1)
		}
	})
	if t == nil {
		// The store is closed: nobody is told of changes any more.
		mb.refreshPending = false
	}
}

// startPolling re-reads mb every so often until stopPolling, or until
// the store closes; store.mu is held.
func (mb *mailbox) startPolling(every time.Duration) {
	stop := make(chan struct{})
	mb.stopPoll = stop
	closing := mb.store.bg.stopping()
	mb.store.bg.start(bgPoll, func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-closing:
				return
			case <-t.C:
				mb.changed()
			}
		}
	})
}

func (mb *mailbox) stopPolling() {
	if mb.stopPoll != nil {
		close(mb.stopPoll)
		mb.stopPoll = nil
	}
}

// load reads the mailbox the first time; mb.mu is held.
func (mb *mailbox) loadLocked() error {
	if mb.loaded {
		return nil
	}
	mb.loadedAt = identity(mb.path)
	if mb.summarizeLocked() {
		return nil
	}
	if d, ok := mb.folder.(IndexDeferrer); ok {
		d.DeferIndex() // written after the answer: see View.Settle
	}
	mb.reserveEarlyLocked() // its fsync runs while the scan reads
	mb.scans.Add(1)
	snap, err := mb.folder.Scan()
	if err != nil {
		mb.dropEarlyLocked()
		return fmt.Errorf("reading mailbox: %w", err)
	}
	mb.uidValidity = snap.UIDValidity
	mb.uidNext = snap.UIDNext
	mb.msgs = snap.Messages
	mb.msgsChangedLocked()
	mb.recentFrom = firstNew(snap)
	if snap.Untold {
		mb.untoldIndexLocked()
	}
	mb.loadModSeqsLocked(snap.Untold)
	mb.loaded = true
	mb.recountLocked()
	return nil
}

// summarizeLocked loads the mailbox from its folder's summary, when it
// has one and the modseq file's header can give HIGHESTMODSEQ; the
// messages and the modseqs are read when first needed (fullLocked).
// mb.mu is held.
func (mb *mailbox) summarizeLocked() bool {
	sz, ok := mb.folder.(Summarizer)
	if !ok {
		return false
	}
	path := mb.modseqPath()
	if path == "" {
		return false
	}
	sum, ok := sz.Summarize()
	if !ok {
		return false
	}
	highest, ok := peekHighestModSeq(path, mb.perm, sum.UIDValidity)
	if !ok {
		// The folder keeps what it read: Scan builds the messages
		// from it.
		return false
	}
	mb.summary, mb.sumCount = &sum, sum.UIDs.count()
	mb.uidValidity, mb.uidNext = sum.UIDValidity, sum.UIDNext
	mb.uidList, mb.flagsInUse = nil, sum.Flags
	mb.recentFrom = sum.UIDNext // none is New
	// Every modseq a message or an expunge has is at most the file's
	// counter, so that it may stand for HIGHESTMODSEQ until the table is
	// read; a modseq given then is above it.
	mb.highestModSeq = highest
	mb.loaded = true
	mb.bytes = sum.Size
	mb.totalsChangedLocked()
	return true
}

// fullLocked builds the messages of a mailbox loaded from a summary, and
// reads their modseqs; mb.mu is held. Every use of mb.msgs follows a call
// of it, directly or through index or refreshLocked.
func (mb *mailbox) fullLocked() {
	sum := mb.summary
	if sum == nil {
		return
	}
	mb.summary = nil
	told := mb.highestModSeq // the summary's, which the views were given
	msgs, exact := sum.Messages()
	mb.msgs = msgs
	mb.loadModSeqsLocked(false)
	if !exact {
		mb.summaryDriftLocked(sum.UIDs, told)
	}
	mb.recountLocked()
}

// summaryDriftLocked tells the views what differs between the summary
// they were given, whose UIDs are uids and whose HIGHESTMODSEQ is told,
// and mb.msgs, which the folder built from its files as they are now
// (Summary.Messages not exact): a UID of uids that is not among the
// messages is expunged, without a ghost, and a message whose flags are
// not those the modseq file recorded, to which loadModSeqsLocked gave a
// modseq above told, has its flags told. The modseqs of both are loadModSeqsLocked's,
// as for changes made while no process watched the mailbox; an expunge
// it did not record (the modseq file did not list the UID) gets one
// here. Without a modseq file (NOMODSEQ) every message's flags are told:
// which changed is not known. mb.mu is held.
func (mb *mailbox) summaryDriftLocked(uids Ranges, told uint64) {
	var unrecorded []uint32
	i := 0
	for _, uid := range uids.expand() {
		for i < len(mb.msgs) && mb.msgs[i].UID < uid {
			i++ // not in the summary: against Summary's contract
		}
		if i == len(mb.msgs) || mb.msgs[i].UID != uid {
			// What it was like is not known any more: no ghost
			// answers for it until the views are told (an empty
			// one would answer FLAGS () and RFC822.SIZE 0), so
			// that Lookup gives UID 0, as for a message unknown.
			delete(mb.cache, uid)
			mb.broadcast(update{kind: updExpunged, uid: uid})
			if !mb.vanishedAfterLocked(uid, told) {
				unrecorded = append(unrecorded, uid)
			}
			continue
		}
		if mb.noModSeq || mb.msgs[i].ModSeq > told {
			mb.broadcast(update{kind: updFlags, uid: uid})
		}
		i++
	}
	mb.bumpLocked(modseqChange{expunged: unrecorded})
	mb.msgsChangedLocked() // the UIDs and the flags in use are not the summary's
}

// vanishedAfterLocked reports whether an expunge of uid with a modseq
// above modseq is remembered; mb.mu is held.
func (mb *mailbox) vanishedAfterLocked(uid uint32, modseq uint64) bool {
	for _, r := range mb.vanished {
		if r.First <= uid && uid <= r.Last && r.ModSeq > modseq {
			return true
		}
	}
	return false
}

// countLocked returns how many messages the mailbox holds; mb.mu is held.
func (mb *mailbox) countLocked() int {
	if mb.summary != nil {
		return mb.sumCount
	}
	return len(mb.msgs)
}

// firstNew returns the UID of the first message of snap that is New, or
// UIDNEXT: where \Recent starts.
func firstNew(snap Snapshot) uint32 {
	for _, m := range snap.Messages {
		if m.New {
			return m.UID
		}
	}
	return snap.UIDNext
}

// refreshLocked re-reads the mailbox and queues what changed to every view;
// mb.mu is held.
func (mb *mailbox) refreshLocked() error {
	if !mb.loaded {
		return mb.loadLocked()
	}
	if mb.gone {
		return nil
	}
	if mb.fenced > 0 {
		// A DELETE or RENAME of it is under way: read it when it
		// fails (fence.lift), not while its files go.
		return nil
	}
	mb.fullLocked()
	mb.store.rescans.Add(1)
	mb.scans.Add(1)
	snap, err := mb.folder.Scan()
	if err != nil {
		if mb.awayLocked(os.Stat(mb.path)) {
			// Removed or moved away by another program: no retry
			// will read it (see gone.go).
			mb.removedLocked()
			return nil
		}
		return err
	}
	var change modseqChange
	if snap.UIDValidity != mb.uidValidity {
		// Another program reset the mailbox; sessions must start over.
		mb.store.log.Warn("storage: UIDVALIDITY changed under us", "path", mb.path)
		for _, m := range mb.msgs {
			mb.expungedLocked(m)
		}
		// The new messages may reuse the UIDs: nothing cached of the
		// old ones may answer for them, and no ghost of an old one
		// may take away (ghostDoneLocked) what is cached of a new one.
		// The cache file, of the old UIDVALIDITY, is no longer read.
		mb.dropCacheLocked()
		clear(mb.ghosts)
		mb.msgs = nil
		mb.vanished, mb.vanishedFloor = []VanishedRun{}, 0
		mb.uidValidity = snap.UIDValidity
		// UIDs start again: the old UIDNEXT means nothing any more.
		mb.uidNext = snap.UIDNext
		mb.recentFrom = firstNew(snap)
	}
	old := mb.msgs
	i, j := 0, 0
	for i < len(old) || j < len(snap.Messages) {
		switch {
		case j == len(snap.Messages) || (i < len(old) && old[i].UID < snap.Messages[j].UID):
			mb.expungedLocked(old[i])
			change.expunged = append(change.expunged, old[i].UID)
			i++
		case i == len(old) || snap.Messages[j].UID < old[i].UID:
			mb.broadcast(update{kind: updAdded, uid: snap.Messages[j].UID})
			change.set = append(change.set, j)
			j++
		default:
			if snap.Messages[j].InternalDate.IsZero() {
				// Learnt since the last scan (see Dater).
				snap.Messages[j].InternalDate = old[i].InternalDate
			}
			if !sameFlags(old[i].Flags, snap.Messages[j].Flags) {
				mb.broadcast(update{kind: updFlags, uid: old[i].UID})
				change.set = append(change.set, j)
			} else {
				snap.Messages[j].ModSeq = old[i].ModSeq
			}
			i++
			j++
		}
	}
	mb.msgs = snap.Messages
	mb.msgsChangedLocked()
	if snap.UIDNext > mb.uidNext {
		mb.uidNext = snap.UIDNext
	}
	// Changes by other programs get modseqs of their own (RFC 7162
	// section 3.1: every change to a message's metadata).
	sort.Slice(change.expunged, func(a, b int) bool { return change.expunged[a] < change.expunged[b] })
	mb.bumpLocked(change)
	mb.recountLocked()
	return nil
}

// msgsChangedLocked forgets what was derived from mb.msgs, after messages
// came, went or changed flags, and wakes the full-text indexer once the
// mailbox has settled; mb.mu is held.
func (mb *mailbox) msgsChangedLocked() {
	mb.uidList, mb.flagsInUse = nil, nil
	mb.wakeIndexerLocked()
}

// flagChangedLocked follows the change of a message's flags from old to
// now: the UIDs stay, and the flags in use stay known when they can
// without going over every message (2-20 ms at 100,000 messages in the
// next SELECT): a flag added is added to them, while one taken away
// leaves them to be found again, since another message may carry it.
// mb.mu is held.
func (mb *mailbox) flagChangedLocked(old, now []string) {
	if mb.flagsInUse == nil {
		return
	}
	for _, f := range old {
		if !slices.Contains(now, f) {
			mb.flagsInUse = nil
			return
		}
	}
	for _, f := range now {
		if !slices.Contains(mb.flagsInUse, f) {
			// A new slice: callers of flagsInUseLocked hold the old.
			mb.flagsInUse = append(slices.Clip(mb.flagsInUse), f)
		}
	}
}

// wakeIndexerLocked wakes the full-text indexer when the messages' count
// or last UID moved since it last looked, once the mailbox has settled
// (before that Store.watchLater wakes it); mb.mu is held.
func (mb *mailbox) wakeIndexerLocked() {
	if !mb.settled {
		return
	}
	if seen := mb.ftsShape(); seen != mb.ftsSeen {
		mb.ftsSeen = seen
		mb.store.indexer.wake(mb)
	}
}

// ftsShape is the count and last UID of the messages; mb.mu is held.
func (mb *mailbox) ftsShape() [2]uint32 {
	if mb.summary != nil {
		return [2]uint32{uint32(mb.sumCount), mb.summary.UIDs.last()}
	}
	uids := mb.uidsLocked()
	if len(uids) == 0 {
		return [2]uint32{}
	}
	return [2]uint32{uint32(len(uids)), uids[len(uids)-1]}
}

// recountLocked sums the sizes of the messages again and reports the
// totals for quota; mb.mu is held.
func (mb *mailbox) recountLocked() {
	mb.fullLocked()
	mb.bytes = 0
	for i := range mb.msgs {
		mb.bytes += mb.msgs[i].Size
	}
	mb.totalsChangedLocked()
}

// totalsChangedLocked reports the mailbox's message count and size to
// the quota usages that count it; mb.mu is held.
func (mb *mailbox) totalsChangedLocked() {
	mb.store.noteTotals(mb.path, int64(mb.countLocked()), mb.bytes)
}

// uidsLocked returns every UID in ascending order. The slice is shared:
// it has no spare capacity, and nobody may change it. mb.mu is held.
func (mb *mailbox) uidsLocked() []uint32 {
	if mb.uidList == nil && mb.summary != nil {
		// Still right once the messages are built, if they are the
		// summary's; if not, fullLocked forgets it.
		mb.uidList = mb.summary.UIDs.expand()
	}
	if mb.uidList == nil {
		l := make([]uint32, len(mb.msgs))
		for i := range mb.msgs {
			l[i] = mb.msgs[i].UID
		}
		mb.uidList = l
	}
	return mb.uidList
}

// flagsInUseLocked returns the flags that messages carry, keywords
// included, each once. The slice is shared; mb.mu is held.
func (mb *mailbox) flagsInUseLocked() []string {
	if mb.summary != nil {
		return mb.summary.Flags
	}
	if mb.flagsInUse == nil {
		seen := map[string]bool{}
		flags := []string{}
		var last []string
		for i := range mb.msgs {
			f := mb.msgs[i].Flags
			if len(f) == len(last) && (len(f) == 0 || &f[0] == &last[0]) {
				continue // drivers share one slice between messages alike
			}
			last = f
			for _, x := range f {
				if !seen[x] {
					seen[x] = true
					flags = append(flags, x)
				}
			}
		}
		mb.flagsInUse = flags
	}
	return mb.flagsInUse
}

// broadcast queues u to every view and wakes them; mb.mu is held.
func (mb *mailbox) broadcast(u update) {
	for v := range mb.views {
		if u.kind == updFlags && u.from == v {
			continue
		}
		v.pending = append(v.pending, u)
		select {
		case v.wake <- struct{}{}:
		default:
		}
		if v.notify != nil {
			v.notify()
		}
	}
}

// ghost is an expunged message that some views have not been told of.
type ghost struct {
	msg  Message
	refs int // views yet to process the expunge
}

// expungedLocked records that m is gone and tells every view; mb.mu is
// held. What frontends cached of m (View.Cached) stays until every view
// has been told, as its flags do: a FETCH of it meanwhile answers its
// ENVELOPE or BODYSTRUCTURE if they were derived before, as Dovecot
// answers from its cache.
func (mb *mailbox) expungedLocked(m Message) {
	if n := len(mb.views); n > 0 {
		mb.ghosts[m.UID] = &ghost{msg: m, refs: n}
	} else {
		delete(mb.cache, m.UID)
	}
	mb.broadcast(update{kind: updExpunged, uid: m.UID})
}

// ghostDoneLocked notes that one view has processed the expunge of uid.
func (mb *mailbox) ghostDoneLocked(uid uint32) {
	if g, ok := mb.ghosts[uid]; ok {
		if g.refs--; g.refs <= 0 {
			delete(mb.ghosts, uid)
			delete(mb.cache, uid)
		}
	}
}

// index returns the position of uid in mb.msgs, or -1; mb.mu is held.
func (mb *mailbox) index(uid uint32) int {
	mb.fullLocked()
	i := sort.Search(len(mb.msgs), func(i int) bool { return mb.msgs[i].UID >= uid })
	if i < len(mb.msgs) && mb.msgs[i].UID == uid {
		return i
	}
	return -1
}

// indexFrom is index for a caller that looks up UIDs in ascending order:
// it looks at position from first, where the UID after the last one found
// most often is, and then among the messages after it. mb.mu is held and
// the mailbox loaded (fullLocked).
func (mb *mailbox) indexFrom(uid uint32, from int) int {
	if from >= len(mb.msgs) || mb.msgs[from].UID > uid {
		return mb.index(uid)
	}
	if mb.msgs[from].UID == uid {
		return from
	}
	rest := mb.msgs[from:]
	k := sort.Search(len(rest), func(k int) bool { return rest[k].UID >= uid })
	if k < len(rest) && rest[k].UID == uid {
		return from + k
	}
	return -1
}

// counts returns the STATUS figures; mb.mu is held and the mailbox loaded.
func (mb *mailbox) countsLocked() Status {
	mb.fullLocked()
	st := Status{
		Messages:    uint32(len(mb.msgs)),
		UIDNext:     mb.uidNext,
		UIDValidity: mb.uidValidity,
	}
	if !mb.noModSeq {
		st.HighestModSeq = mb.highestModSeq
	}
	for i := range mb.msgs {
		m := &mb.msgs[i]
		if !hasFlag(m.Flags, FlagSeen) {
			st.Unseen++
		}
		if hasFlag(m.Flags, FlagDeleted) {
			st.Deleted++
			st.DeletedSize += m.Size
		}
		if m.UID >= mb.recentFrom {
			st.Recent++
		}
		st.Size += m.Size
	}
	return st
}

// Status is what the IMAP STATUS command reports of a mailbox.
type Status struct {
	Messages    uint32
	Recent      uint32
	Unseen      uint32
	UIDNext     uint32
	UIDValidity uint32
	// Deleted counts the messages flagged \Deleted (IMAP4rev2's STATUS
	// DELETED, RFC 9051 section 6.3.11).
	Deleted uint32
	// Size is the sum of the messages' RFC822.SIZE (RFC 8438 STATUS SIZE).
	Size int64
	// HighestModSeq is HIGHESTMODSEQ (RFC 7162); 0 when the mailbox
	// keeps no modseqs (NOMODSEQ).
	HighestModSeq uint64
	// DeletedSize is the part of Size that the \Deleted messages take
	// (RFC 9208's STATUS DELETED-STORAGE).
	DeletedSize int64
}

// samePathLocked reports whether the directory (or mbox file) at the
// mailbox's path is the one it first read (loadedAt); mb.mu is held.
func (mb *mailbox) samePathLocked() bool {
	now := identity(mb.path)
	return now != [4]uint64{} && now == mb.loadedAt
}

// identity returns fsutil.Identity of the file at path, zero when it
// cannot be read.
func identity(path string) [4]uint64 {
	id, _ := fsutil.Identity(path)
	return id
}
