package storage

import (
	"slices"
	"sort"
)

// Modification sequences (RFC 7162 CONDSTORE and QRESYNC) are kept here,
// in the core, for every driver: each change to a message (arrival, flags)
// and each expunge gets a modseq above every one handed out before in the
// mailbox, by this process or another, across restarts and crashes. The
// numbers live in the folder's modseq file (see modseqfile.go); changes
// that other programs make are seen by the watcher (refreshLocked) or, if
// no mailgate process was watching, at the next open (the flags' hash
// differs, the UID is gone), and get new modseqs then.

// compactAfter is how many log records the modseq file may gather beyond
// the number of messages before it is folded into a new snapshot.
const compactAfter = 1024

// loadModSeqsLocked gives every message of a freshly read mailbox its
// modseq from the modseq file, and new ones to what changed since the
// file last saw the mailbox; mb.mu is held. With untold (see
// Snapshot.Untold), the file's table by UID is not trusted: every
// message gets a new modseq, as under another UIDVALIDITY.
func (mb *mailbox) loadModSeqsLocked(untold bool) {
	path := mb.modseqPath()
	if path == "" {
		mb.noModSeq = true
		mb.inMemoryModSeqsLocked()
		return
	}
	e, err := mb.takeEarlyLocked()
	if err != nil {
		mb.store.log.Warn("storage: modseq file not synced; NOMODSEQ", "path", path, "err", err)
		mb.noModSeq = true
		mb.inMemoryModSeqsLocked()
		return
	}
	var mf *modseqFile
	early := e != nil
	if early {
		mf = e.mf
		defer e.release()
	} else {
		mf, err = openModSeqFile(path, mb.perm)
		if err != nil {
			mb.store.log.Debug("storage: modseq file unusable; NOMODSEQ", "path", path, "err", err)
			mb.noModSeq = true
			mb.inMemoryModSeqsLocked()
			return
		}
		defer mf.close()
	}
	t := mf.t
	if mf.bad != nil {
		mb.store.log.Warn("storage: modseq file damaged; every message gets a new modseq", "path", path, "err", mf.bad)
	}
	if early && len(mb.msgs) == 0 {
		// Nothing to number: the file is written as for any empty
		// mailbox, its figures those of a file never written.
		early = false
		t.counter, t.ceiling = 0, 0
	}
	if mf.empty && len(mb.msgs) > 0 && !early {
		// Modseqs were perhaps handed out for these messages before
		// the file went (or before mailgate kept modseqs).
		t.ceiling = timeCeiling()
	}
	fresh := t.tableLost || t.uidValidity != mb.uidValidity || t.snapLen == 0 || untold
	// lost: the file knew, or may have known, expunges of this mailbox
	// under its UIDVALIDITY, and they are forgotten now: an untold
	// table is dropped whole, a damaged one is lost, and a missing one
	// may have been removed while the mailbox had messages.
	lost := untold || t.tableLost || mf.empty && len(mb.msgs) > 0
	if t.uidValidity != mb.uidValidity || untold {
		t.reset()
	}
	// Both mb.msgs and the snapshot ascend by UID: match them in one
	// pass; the log's entries win over the snapshot's.
	var changed []int
	var gone []uint32 // in the file, not on disk: expunged unseen
	var hasher flagHasher
	j := 0
	for i := range mb.msgs {
		m := &mb.msgs[i]
		for ; j < len(t.snap) && t.snap[j].uid < m.UID; j++ {
			if _, inLog := t.log[t.snap[j].uid]; !inLog && !t.gone(j) {
				gone = append(gone, t.snap[j].uid)
			}
		}
		var e modseqEntry
		ok := false
		if l, inLog := t.log[m.UID]; inLog {
			e, ok = l.modseqEntry, !l.gone
			l.matched = true
			t.log[m.UID] = l
		}
		if j < len(t.snap) && t.snap[j].uid == m.UID {
			if _, inLog := t.log[m.UID]; !inLog && !t.gone(j) {
				e, ok = t.snap[j].entry(), true
			}
			j++
		}
		if ok && e.hash == hasher.sum(m.Flags) {
			m.ModSeq = e.modseq
			mb.highestModSeq = max(mb.highestModSeq, e.modseq)
		} else {
			changed = append(changed, i)
		}
	}
	for ; j < len(t.snap); j++ {
		if _, inLog := t.log[t.snap[j].uid]; !inLog && !t.gone(j) {
			gone = append(gone, t.snap[j].uid)
		}
	}
	for uid, l := range t.log {
		if !l.matched && !l.gone {
			gone = append(gone, uid)
		}
	}
	slices.Sort(gone)
	mb.vanished, mb.vanishedFloor = t.runs, t.floor
	if mb.vanished == nil {
		mb.vanished = []VanishedRun{}
	}
	mb.highestModSeq = max(mb.highestModSeq, t.floor)
	for _, r := range t.runs {
		mb.highestModSeq = max(mb.highestModSeq, r.ModSeq)
	}
	mb.highestModSeq = max(mb.highestModSeq, 1) // an empty mailbox's, as Dovecot's
	if len(changed) == 0 && len(gone) == 0 && !fresh {
		return
	}
	// The reservation is synced by compact below, once for both, before
	// any modseq is answered (mb.mu is held until then); an early one
	// (reserveEarlyLocked) is being synced, its counter above the clock
	// of a crash's restart: the modseq is taken under it, and answered
	// without waiting for that sync (see modseqearly.go).
	m, mustSync, err := mf.reserve(mb.highestModSeq, !early)
	if err != nil {
		mb.store.log.Warn("storage: writing modseq file; NOMODSEQ", "path", path, "err", err)
		mb.noModSeq = true
		mb.inMemoryModSeqsLocked()
		return
	}
	mb.modseqReserved = true
	if lost {
		// A client that synced before m may hold UIDs expunged since,
		// unseen: every expunge up to m counts as forgotten, and such a
		// client is told of every UID it asks about that is not here
		// (RFC 7162 section 3.2.5.1). m is above every modseq handed
		// out before, so HIGHESTMODSEQ does not go back, even when no
		// message is left to carry it.
		mb.vanishedFloor = max(mb.vanishedFloor, m)
		mb.highestModSeq = max(mb.highestModSeq, m)
	}
	for _, i := range changed {
		mb.msgs[i].ModSeq = m
	}
	for _, r := range runsOf(gone, m) {
		mb.vanished, mb.vanishedFloor = addVanished(mb.vanished, mb.vanishedFloor, r)
	}
	if len(changed) > 0 || len(gone) > 0 {
		mb.highestModSeq = m
	}
	if mustSync && mb.earlySync != nil {
		// Not reached under an early block, whose ceiling is above
		// every figure of the file it was reserved in; were it reached,
		// that block's sync must not run beside compact's, and compact's
		// would prove nothing after that one failed.
		if err := mb.earlySyncedLocked(); err != nil {
			mb.store.log.Warn("storage: modseq file not synced; NOMODSEQ", "path", path, "err", err)
			mb.noModSeq = true
			mb.inMemoryModSeqsLocked()
			return
		}
	}
	if err := mf.compact(mb.uidValidity, mb.msgs, mb.vanished, mb.vanishedFloor, mustSync); err != nil {
		mb.store.log.Warn("storage: writing modseq file", "path", path, "err", err)
		if mustSync {
			// The reserved block may not be on disk, and a second fsync
			// after a failed one proves nothing (Linux reports the error
			// once): modseqs handed out now could go back after a crash.
			mb.store.log.Warn("storage: modseq file not synced; NOMODSEQ", "path", path)
			mb.noModSeq = true
			mb.inMemoryModSeqsLocked()
		}
	}
}

// inMemoryModSeqsLocked numbers the messages of a mailbox whose modseqs
// cannot be kept: they start again at every open (NOMODSEQ).
func (mb *mailbox) inMemoryModSeqsLocked() {
	mb.highestModSeq = 1
	for i := range mb.msgs {
		mb.msgs[i].ModSeq = 1
	}
}

// modseqPath returns the folder's modseq file, or "".
func (mb *mailbox) modseqPath() string {
	if f, ok := mb.folder.(ModSeqFiler); ok {
		return f.ModSeqFile()
	}
	return ""
}

// modseqChange is what one change did, for the modseq file.
type modseqChange struct {
	set      []int    // indexes into mb.msgs whose modseq is to be the new one
	expunged []uint32 // UIDs gone, ascending
}

// bumpLocked gives one new modseq to every message of c and to its
// expunges, writes them to the modseq file, and returns it (RFC 7162
// section 3.1: a command that changes several messages may give them all
// the same modseq). mb.mu is held.
func (mb *mailbox) bumpLocked(c modseqChange) uint64 {
	if len(c.set) == 0 && len(c.expunged) == 0 {
		return mb.highestModSeq
	}
	m := mb.highestModSeq + 1
	path := mb.modseqPath()
	if !mb.noModSeq && path != "" {
		if n, err := mb.writeChangeLocked(path, c); err != nil {
			mb.store.log.Warn("storage: writing modseq file", "path", path, "err", err)
		} else {
			m = n
		}
	}
	for _, i := range c.set {
		mb.msgs[i].ModSeq = m
	}
	for _, r := range runsOf(c.expunged, m) {
		mb.vanished, mb.vanishedFloor = addVanished(mb.vanished, mb.vanishedFloor, r)
	}
	mb.highestModSeq = m
	return m
}

// writeChangeLocked takes the next modseq from the file and logs c under
// it; the log is folded into a new snapshot when it grew long.
func (mb *mailbox) writeChangeLocked(path string, c modseqChange) (uint64, error) {
	mb.awaitEarlySyncLocked()
	mf, err := openModSeqHeader(path, mb.perm)
	if err != nil {
		return 0, err
	}
	defer mf.close()
	m, err := mf.next(mb.highestModSeq, !mb.modseqReserved)
	if err != nil {
		return 0, err
	}
	mb.modseqReserved = true
	if mf.t.tableLost || mf.t.snapLen == 0 || mf.t.uidValidity != mb.uidValidity ||
		mf.t.records+len(c.set)+len(c.expunged) > len(mb.msgs)+compactAfter {
		// Fold: what this process knows, with c applied, is the table.
		saved := make([]uint64, len(c.set))
		for k, i := range c.set {
			saved[k] = mb.msgs[i].ModSeq
			mb.msgs[i].ModSeq = m
		}
		runs, floor := mb.vanished, mb.vanishedFloor
		for _, r := range runsOf(c.expunged, m) {
			runs, floor = addVanished(runs, floor, r)
		}
		err := mf.compact(mb.uidValidity, mb.msgs, runs, floor, true)
		for k, i := range c.set {
			mb.msgs[i].ModSeq = saved[k]
		}
		return m, err
	}
	recs := make([]byte, 0, (len(c.set)+len(c.expunged))*modseqRecordLen)
	for _, i := range c.set {
		recs = appendRecord(recs, recSet, mb.msgs[i].UID, flagHash(mb.msgs[i].Flags), m)
	}
	for _, r := range runsOf(c.expunged, m) {
		recs = appendRecord(recs, recExpunged, r.First, r.Last, m)
	}
	return m, mf.append(recs)
}

// VanishedSince returns the UIDs expunged after modseq, as runs in
// ascending UID order, and whether the list is complete: false when
// expunges that old were forgotten (the caller then reports every UID not
// present, RFC 7162 section 3.2.5.1).
func (v *View) VanishedSince(modseq uint64) (runs []VanishedRun, complete bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.fullLocked() // the expunges are read with the table
	for _, r := range mb.vanished {
		if r.ModSeq > modseq {
			runs = append(runs, r)
		}
	}
	sort.Slice(runs, func(a, b int) bool { return runs[a].First < runs[b].First })
	return runs, modseq >= mb.vanishedFloor
}

// HighestModSeq returns the mailbox's HIGHESTMODSEQ (RFC 7162 section
// 3.1.2.1), and false when modseqs are not kept for it (NOMODSEQ).
func (v *View) HighestModSeq() (uint64, bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.highestModSeq, !mb.noModSeq
}

// UIDNext returns the mailbox's UIDNEXT now, without the side effects of
// Info.
func (v *View) UIDNext() uint32 {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.uidNext
}

// DelayedExpungeModSeq returns the lowest mod-sequence of the expunges
// queued for the view that Poll has kept back (during a command that may
// not tell of expunges, RFC 3501 section 7.4.1), and false when none is
// kept or the mailbox keeps no modseqs. An expunge whose mod-sequence was
// forgotten counts as the forgotten ones' floor: lower, which is safe for
// what it serves (RFC 7162 section 3.2: a HIGHESTMODSEQ below every
// delayed expunge's).
func (v *View) DelayedExpungeModSeq() (uint64, bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.noModSeq {
		return 0, false
	}
	var low uint64
	found := false
	for _, ev := range v.pending {
		if ev.kind != updExpunged {
			continue
		}
		if !found {
			mb.fullLocked() // the expunges are read with the table
		}
		m := mb.vanishedFloor
		for _, r := range mb.vanished {
			if r.First <= ev.uid && ev.uid <= r.Last {
				m = r.ModSeq
				break
			}
		}
		if !found || m < low {
			low, found = m, true
		}
	}
	return low, found
}
