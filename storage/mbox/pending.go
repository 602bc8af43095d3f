package mbox

import (
	"time"

	"github.com/mailgate/mailgate/storage"
)

// This file holds flag changes: they wait in memory (pending) until the
// Folder's timer, an Expunge or Close rewrites the file with them.

// SetFlags records the message's new flags. They reach the file with the
// next rewrite, at most FlushDelay later; until then Scan reports them.
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
	if i < 0 {
		return f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	old := f.flagsOf(&f.msgs[i])
	if !f.setWant(i, want{bits: bits | old.bits&bitOld, kw: f.kw.intern(kws)}) {
		return nil
	}
	return f.changed()
}

// Seen adds Status O to the messages, so that they are no longer New.
func (f *Folder) Seen(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
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
	if w == (want{bits: m.bits, kw: m.kw}) {
		delete(f.pending, m.uid)
		return false
	}
	f.pending[m.uid] = w
	return true
}

// changed writes pending changes at once when FlushDelay is negative, and
// otherwise has the timer write them.
func (f *Folder) changed() error {
	if f.d.flush < 0 {
		return f.rewrite(nil)
	}
	f.schedule(f.d.flush)
	return nil
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
		if err := f.rewrite(nil); err != nil {
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
