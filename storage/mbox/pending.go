package mbox

import (
	"time"

	"github.com/mailgate/mailgate/storage"
)

var _ storage.FlagBatcher = (*Folder)(nil)

// This file holds flag changes: they wait in memory (pending) until the
// Folder's timer, an Expunge, a SetFlagsBatch or Close rewrites the file
// with them. Those that SetFlags makes are in the journal (journal.go)
// meanwhile, so that every change it reports done is on disk.

// SetFlags records the message's new flags, durably: in the journal,
// synced, before it returns. They reach the mbox file with the next
// rewrite, which starts at most FlushDelay later (flushDelay); until then
// Scan reports them. With a negative FlushDelay, it rewrites the file at
// once.
func (f *Folder) SetFlags(uid uint32, flags []string) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	bits, kws, err := splitFlags(flags)
	if err != nil {
		return f.errorf("uid %d: %w", uid, err)
	}
	i := f.find(uid)
	if i < 0 || !f.sameNumbering() {
		return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	m := &f.msgs[i]
	old := f.flagsOf(m)
	w := want{bits: bits | old.bits&bitOld, kw: f.kw.intern(kws)}
	if w == old {
		return nil
	}
	if f.d.flush < 0 {
		prev, had := f.pending[uid]
		if !f.setWant(i, w) {
			return nil
		}
		if err := f.rewrite(nil, false); err != nil {
			f.unsetWant(uid, prev, had)
			return err
		}
		return nil
	}
	// Journaled even when it goes back to what the file holds, so that
	// a replay does not bring back the change it undoes.
	if err := f.journalWrite([]journalRecord{f.record(m, w)}); err != nil {
		return f.errorf("uid %d: journal: %w", uid, err)
	}
	if f.setWant(i, w) {
		f.schedule(f.flushDelay())
	}
	return nil
}

// unsetWant puts back the pending change of uid that a failed write
// replaced: prev, or none.
func (f *Folder) unsetWant(uid uint32, prev want, had bool) {
	if had {
		f.pending[uid] = prev
	} else {
		delete(f.pending, uid)
	}
}

// SetFlagsBatch implements storage.FlagBatcher: it sets the flags of
// many messages and writes them, with every other pending change, in one
// rewrite before it returns, so that a STORE on many messages costs one
// rewrite and is on disk when it is answered. Messages that are gone are
// skipped. A flag that cannot be stored fails the whole batch, before
// anything changes.
func (f *Folder) SetFlagsBatch(changes []storage.FlagChange) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	type change struct {
		uid  uint32
		bits uint8
		kw   uint32
	}
	list := make([]change, 0, len(changes))
	for _, c := range changes {
		bits, kws, err := splitFlags(c.Flags)
		if err != nil {
			return f.errorf("uid %d: %w", c.UID, err)
		}
		list = append(list, change{uid: c.UID, bits: bits, kw: f.kw.intern(kws)})
	}
	if !f.sameNumbering() {
		return f.errorf("%w (the mailbox has a new UIDVALIDITY)", storage.ErrNoMessage)
	}
	// Journaled too, where the Folder journals: a change journaled before
	// and not yet written must not come back after a crash, even when
	// this one puts the flags the file holds back and needs no rewrite
	// (journal.go).
	var recs []journalRecord
	for k := range list {
		c := &list[k]
		i := f.find(c.uid)
		if i < 0 {
			continue
		}
		old := f.flagsOf(&f.msgs[i])
		c.bits |= old.bits & bitOld
		if w := (want{bits: c.bits, kw: c.kw}); w != old {
			recs = append(recs, f.record(&f.msgs[i], w))
		}
	}
	if f.d.flush >= 0 || (f.jnl != nil && f.jnl.size > 0) {
		if err := f.journalWrite(recs); err != nil {
			return f.errorf("journal: %w", err)
		}
	}
	write := false
	for _, c := range list {
		i := f.find(c.uid)
		if i < 0 {
			continue
		}
		f.setWant(i, want{bits: c.bits, kw: c.kw})
		if _, ok := f.pending[c.uid]; ok {
			write = true
		}
	}
	if !write {
		return nil
	}
	return f.rewrite(nil, false)
}

// Seen adds Status O to the messages, so that they are no longer New.
func (f *Folder) Seen(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if !f.sameNumbering() {
		return nil
	}
	changed := false
	for _, uid := range uids {
		if i := f.find(uid); i >= 0 {
			w := f.flagsOf(&f.msgs[i])
			w.bits |= bitOld
			changed = f.setWant(i, w) || changed
		}
	}
	if !changed {
		return nil
	}
	return f.changed()
}

// setWant makes w the flags of f.msgs[i], and reports whether a change
// is pending now.
func (f *Folder) setWant(i int, w want) bool {
	m := &f.msgs[i]
	if w == f.flagsOf(m) {
		return false
	}
	if w == (want{bits: m.bits, kw: m.kw}) && !f.rewriting {
		// Back to what the file holds. (While a rewrite writes the
		// file anew, what it will hold may differ: the change stays
		// pending until the rewrite ends.)
		delete(f.pending, m.uid)
		return false
	}
	f.pending[m.uid] = w
	return true
}

// changed writes pending changes at once when FlushDelay is negative, and
// otherwise has the timer write them after flushDelay (Seen, whose
// changes are no IMAP flags, and are not journaled).
func (f *Folder) changed() error {
	if f.d.flush < 0 {
		return f.rewrite(nil, false)
	}
	f.schedule(f.flushDelay())
	return nil
}

// Flag changes wait for about rewriteWaits times what a rewrite of the
// mailbox takes, and at least flushFloor, but never more than
// FlushDelay. Before the first rewrite, its time is guessed from the
// file's size at rewriteSpeed.
const (
	rewriteWaits = 2
	flushFloor   = 50 * time.Millisecond
	rewriteSpeed = 200 << 20 // bytes per second
)

// flushDelay is how long flag changes wait in memory. A rewrite costs
// time in proportion to the size of the file: a small mailbox has its
// flags on disk a moment after a STORE, while a large one gathers the
// changes of many commands into each rewrite (up to FlushDelay).
func (f *Folder) flushDelay() time.Duration {
	took := f.lastRewrite
	if took == 0 {
		took = time.Duration(float64(f.stamp.size) / rewriteSpeed * float64(time.Second))
	}
	return min(f.d.flush, max(flushFloor, rewriteWaits*took))
}

// schedule runs the timer's work (pending flags, salvage) after d, unless
// it is due sooner already.
func (f *Folder) schedule(d time.Duration) {
	at := time.Now().Add(d)
	if !f.due.IsZero() && !f.due.After(at) {
		return
	}
	f.due = at
	if f.timer == nil {
		f.timer = time.AfterFunc(d, f.onTimer)
		return
	}
	f.timer.Reset(d)
}

// onTimer writes pending flag changes and checks retired files.
func (f *Folder) onTimer() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.due = time.Time{}
	if len(f.retired) > 0 {
		f.salvage()
	}
	if len(f.pending) > 0 || f.mustRewrite {
		if err := f.rewrite(nil, true); err != nil {
			if f.closed {
				return // Close wrote them, or reported why not
			}
			f.backoff = min(max(2*f.backoff, 5*time.Second), 5*time.Minute)
			f.d.log.Warn("mbox: writing flag changes; will try again", "path", f.path, "in", f.backoff, "err", err)
			f.schedule(f.backoff)
			return
		}
	}
	f.backoff = 0
	if f.indexStale {
		f.writeIndex()
	}
	if len(f.retired) > 0 {
		f.schedule(retiredCheck)
	}
}
