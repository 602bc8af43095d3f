package mbox

import (
	"bufio"
	"cmp"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sort"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// tailWindow is how many bytes before the old end of the file must be
// unchanged for a grown file to count as appended to.
const tailWindow = 4096

// fullIndexAfter is how many bytes a parse may read before the sidecar
// index is written at once rather than at Close.
const fullIndexAfter = 1 << 20

// settleTime is how long after its last change a file that looks half
// written (see pass.settle) is taken as it is: a writer that pauses that
// long has stopped.
const settleTime = 2 * time.Second

// maxVanished bounds how many vanished messages a Folder remembers.
const maxVanished = 1 << 16

// errUnsettled means that the mailbox file is being written anew by a
// program that takes no lock: the state known stays until it is done.
var errUnsettled = errors.New("the mailbox file is being written by another program; try again in a moment")

// How a parse relates the file to the state known.
type passMode uint8

const (
	modeFresh    passMode = iota // nothing known (or nothing that applies)
	modeTail                     // the file grew: parse its new tail
	modeReplaced                 // the file is another one, or changed before its end
	modeRenumber                 // give every message a new UID under a new UIDVALIDITY
)

// refresh brings the state in memory up to date with file, which the
// caller has locked. An unchanged file costs an fstat. A file that only
// grew is parsed from its last old message on. Otherwise the whole file
// is parsed; messages keep the UIDs their X-UID fields give, or find
// those they had by offset and identity among what was known (from
// memory or the sidecar index). See pass for what else it decides.
//
// It returns errUnsettled, and changes nothing, when the file was
// replaced and looks half written by a writer that takes no lock.
func (f *Folder) refresh(file *os.File) error {
	fi, err := file.Stat()
	if err != nil {
		return f.errorf("stat: %w", err)
	}
	st := stampOf(fi)
	if f.loaded && st == f.stamp && !f.partialDue(fi) {
		return nil
	}
	first := !f.loaded
	if first {
		f.loadIndex(file, st)
	}
	switch {
	case f.loaded && !f.untrusted && st == f.stamp && !f.partialDue(fi):
		// The index describes this very file.
	case f.loaded && !f.untrusted && len(f.msgs) > 0 && (st == f.stamp || f.grewOnly(file, st)):
		keep := len(f.msgs) - 1
		err = f.parseFrom(file, fi, keep, f.msgs[keep].off, modeTail)
	case f.loaded:
		err = f.parseFrom(file, fi, 0, 0, modeReplaced)
	default:
		err = f.parseFrom(file, fi, 0, 0, modeFresh)
	}
	if err == nil && first {
		f.claimJournals()
	}
	return err
}

// partialDue reports whether a file that ended inside its last message
// (f.partial) is to be read again although it did not change: once it
// has not changed for settleTime, so that its index is written.
func (f *Folder) partialDue(fi os.FileInfo) bool {
	return f.partial && !f.young(fi)
}

// young reports whether the file changed less than settleTime ago.
func (f *Folder) young(fi os.FileInfo) bool {
	return f.d.now().Sub(fi.ModTime()) < settleTime
}

// grewOnly reports whether the file is the one last read, only longer,
// with its last bytes before the old end unchanged.
func (f *Folder) grewOnly(file *os.File, st stamp) bool {
	if st.dev != f.stamp.dev || st.ino != f.stamp.ino || st.size <= f.stamp.size {
		return false
	}
	sum, err := tailSum(file, f.stamp.size)
	return err == nil && sum == f.tailSum
}

// tailSum is the CRC of the tailWindow bytes before size.
func tailSum(file *os.File, size int64) (uint32, error) {
	n := min(size, tailWindow)
	b := make([]byte, n)
	if _, err := file.ReadAt(b, size-n); err != nil && err != io.EOF {
		return 0, err
	}
	return crc32.Checksum(b, fsutil.Castagnoli()), nil
}

// endsWhole reports whether a file of size bytes ends as a whole mbox
// file may: empty, or at the end of a line. (Writers disagree on the
// empty line after the last message, so a file without it is taken as
// whole; a writer cut short stops inside a line about as often as its
// lines are long.)
func endsWhole(file *os.File, size int64) bool {
	if size == 0 {
		return true
	}
	var b [1]byte
	_, err := file.ReadAt(b[:], size-1)
	return err == nil && b[0] == '\n'
}

// baseNextIn returns the UIDNEXT of the X-IMAPbase field at b in file,
// or 0 when it is not there with UIDVALIDITY validity.
func baseNextIn(file *os.File, b baseLine, validity uint32) uint32 {
	if b.off < 0 || b.n <= 0 || b.n > 256 {
		return 0
	}
	line := make([]byte, b.n)
	if _, err := file.ReadAt(line, b.off); err != nil || hiddenField(line) != fieldBase {
		return 0
	}
	v, next, ok := twoNumbers(fieldValue(line))
	if !ok || v != validity {
		return 0
	}
	return next
}

// errNoUIDs means that X-UIDs in the file leave no UID for a message.
var errNoUIDs = errors.New("no UIDs left")

// pass is one parse of the file: what it found, and what it decided,
// kept apart from the Folder until it is committed.
//
// UIDs follow these rules, so that no message is ever shown under a UID
// it did not have, and no UID is given to two messages, under one
// UIDVALIDITY:
//   - A message's X-UID is its UID when nothing is known of the file
//     (the first read, or the file has a new X-IMAPbase), when the UID
//     is one known, or when it is above every UID known (uidTop).
//     Otherwise it is the UID of a message that is gone, and is ignored.
//   - Else the message gets the UID it had, found by offset and
//     identity; else a new one, above every UID known.
//   - A message that comes back after it vanished from a file replaced
//     by another program (it had a UID that was taken away) makes the
//     pass number the whole file afresh under a new UIDVALIDITY (bump).
//   - A sidecar index that does not describe the file (another inode,
//     size or time) counts only when the file has an X-IMAPbase with the
//     index's UIDVALIDITY; otherwise nothing is known.
type pass struct {
	f     *Folder
	mode  passMode
	known bool // validity, uidNext, top and h describe an earlier state of this file
	h     hints

	base               baseLine
	validity, uidNext  uint32
	uwValidity, uwNext uint32
	top                uint32 // the highest UID known before the pass
	cut                int64  // where a message read cut short starts, or -1
	voided, bump       bool
	foreignXUIDs       bool // the file's X-UIDs are of another numbering
	rewrite            bool // the file must get the pass's numbering
}

// parseFrom parses file (fi) from offset from on, keeping f.msgs[:keep]
// (the messages before from) as they are, and commits what it found.
func (f *Folder) parseFrom(file *os.File, fi os.FileInfo, keep int, from int64, mode passMode) error {
	st := stampOf(fi)
	old := f.msgs
	p := &pass{f: f, mode: mode, base: f.base, validity: f.validity, uidNext: f.uidNext,
		uwValidity: f.uwValidity, uwNext: f.uwNext, cut: -1}
	switch mode {
	case modeFresh:
		p.validity, p.uidNext, p.uwValidity, p.uwNext = 0, 0, 0, 0
	case modeRenumber:
		p.validity, p.uidNext, p.uwValidity, p.uwNext = f.d.newValidity(), 1, 0, 0
	case modeTail:
		p.known, p.top = true, f.uidTop
		p.h.old = old[keep:]
		if f.partial {
			p.cut = old[keep].off
		}
		if keep > 0 {
			// Another program's append may have raised UIDNEXT in place.
			p.base.next = max(p.base.next, baseNextIn(file, p.base, p.base.validity))
		}
	case modeReplaced:
		p.known, p.top = true, f.uidTop
		p.h.old = old
		p.uwValidity, p.uwNext = 0, 0
	}
	if p.known && len(old) > 0 {
		p.top = max(p.top, old[len(old)-1].uid)
	}
	var msgs []msg
	var saved msg
	if keep > 0 {
		// A tail parse appends in place: only old[keep], parsed again
		// now, is overwritten, and put back unless the pass is committed.
		msgs, saved = old[:keep], old[keep]
		p.h.old = []msg{saved}
	} else {
		msgs = make([]msg, 0, max(len(old)+8, 64))
	}
	restore := func() {
		if keep > 0 {
			old[keep] = saved
		}
	}
	var last uint32
	if keep > 0 {
		last = msgs[keep-1].uid
	}
	emitted := false
	var perr error
	emit := func(r *rawMsg) error {
		first := !emitted
		emitted = true
		if first && from == 0 && r.uwData {
			// UW's pseudo-message holds folder data; it is no message.
			p.uwValidity, p.uwNext = r.uwValidity, r.uwNext
			return nil
		}
		if len(msgs) == 0 {
			p.base = baseLine{off: r.baseOff, n: r.baseLen, validity: r.baseValidity, next: r.baseNext}
			if mode != modeRenumber {
				p.decideValidity(false)
			}
		}
		if mode == modeRenumber {
			r.xuid = 0
		}
		uid, ok := p.pickUID(r, last)
		if !ok {
			perr = errNoUIDs
			return perr
		}
		last = uid
		msgs = append(msgs, msg{
			off: r.off, start: r.start, end: r.end, date: r.date, size: r.size, hash: r.hash,
			uid: uid, kw: f.kw.internRaw(r.kw), bits: r.bits, inFile: r.xuid == uid,
		})
		return nil
	}
	// A small buffer for a small tail (a delivery), the full one for a
	// whole file.
	buf := bufio.NewReaderSize(nil, int(min(max(st.size-from, 4096), readBuffer)))
	err := parse(io.NewSectionReader(file, from, st.size-from), from, fi.ModTime().Unix(), buf, emit)
	if perr != nil && mode != modeRenumber {
		// A corrupt X-UID (such as 4294967295) took the last UIDs.
		restore()
		return f.renumber(file, fi, "X-UIDs leave no UID for every message")
	}
	if err != nil {
		restore()
		if perr != nil {
			return f.errorf("%w", perr)
		}
		return f.errorf("read: %w", err)
	}
	if p.bump {
		restore()
		return f.renumber(file, fi, "messages came back that had vanished with their UIDs")
	}
	if len(msgs) == 0 && mode != modeRenumber {
		p.base = baseLine{off: -1}
		p.decideValidity(true)
	}
	if mode != modeRenumber && !p.foreignXUIDs && !p.raiseTail(msgs) {
		restore()
		return f.renumber(file, fi, "the file's UIDNEXT leaves no UID for the messages delivered since")
	}
	// A file written anew by a program that takes no lock may be read
	// half written: wait for the rest rather than take messages as gone,
	// or a message cut short as whole.
	young := f.young(fi)
	if young && mode == modeReplaced && !f.untrusted && !f.partial && p.known &&
		(!endsWhole(file, st.size) || (strictPrefix(msgs, old) && stillWritten(file, st))) {
		restore()
		f.unsettled = st
		return f.errorf("%w", errUnsettled)
	}
	// A file read while a writer that takes no lock writes it may end
	// inside its last message: that one keeps its UID, by offset, when it
	// is read again whole (pass.cut).
	partial := young && len(msgs) > 0 && !endsWhole(file, st.size) && (mode != modeTail || f.partial)
	p.commit(msgs, old, keep, partial)
	if mode != modeRenumber {
		p.noteVanished(msgs, old, keep)
	}
	f.parses++
	f.parsedBytes += st.size - from
	sum, err := tailSum(file, st.size)
	if err != nil {
		return f.errorf("read: %w", err)
	}
	f.stamp, f.tailSum, f.loaded, f.indexStale = st, sum, true, true
	f.unsettled = stamp{}
	if from == 0 || st.size-from > fullIndexAfter {
		f.writeIndex()
	}
	return nil
}

// commit makes what the pass found the Folder's state.
func (p *pass) commit(msgs, old []msg, keep int, partial bool) {
	f := p.f
	if p.voided {
		clear(f.pending)
		f.vanished = nil
	}
	f.msgs = msgs
	f.base, f.validity = p.base, p.validity
	f.uwValidity, f.uwNext = p.uwValidity, p.uwNext
	f.uidNext = max(p.uidNext, 1)
	if p.base.validity == p.validity {
		f.uidNext = max(f.uidNext, p.base.next)
	}
	if p.uwValidity == p.validity {
		f.uidNext = max(f.uidNext, p.uwNext)
	}
	if !p.known {
		p.top = 0
	}
	f.uidTop = p.top
	if len(msgs) > 0 {
		last := msgs[len(msgs)-1].uid
		f.uidNext = max(f.uidNext, last+1)
		f.uidTop = max(f.uidTop, last)
	}
	f.partial, f.untrusted = partial, false
	if p.rewrite {
		// The numbering replaced: X-IMAPbase's, or UW's X-IMAP's in a
		// file without one.
		f.mustRewrite, f.renumbered = true, cmp.Or(p.base.validity, p.uwValidity)
	}
	for uid := range f.pending {
		if f.find(uid) < 0 {
			delete(f.pending, uid)
		}
	}
}

// noteVanished remembers the known messages that the pass did not find
// again, by UID and identity, so that one coming back is noticed.
func (p *pass) noteVanished(msgs, old []msg, keep int) {
	if !p.known || p.voided {
		return
	}
	f := p.f
	gone := old[keep:]
	if p.mode == modeTail {
		gone = p.h.old // the one message parsed again
	}
	for _, m := range gone {
		if f.find(m.uid) < 0 {
			f.vanished = append(f.vanished, vanishedMsg{uid: m.uid, hash: m.hash})
		}
	}
	if n := len(f.vanished) - maxVanished; n > 0 {
		f.vanished = append(f.vanished[:0], f.vanished[n:]...)
	}
	f.vanishedSet = nil
}

// settleProbe is how long a file that may be half written is watched
// for a change before it is taken as whole.
const settleProbe = 50 * time.Millisecond

// stillWritten reports whether the file changes within settleProbe: a
// file that holds fewer messages than it did, all of them the first
// ones, is what a writer that truncated it shows while it writes, but
// also what a locked program that expunged the last messages leaves.
func stillWritten(file *os.File, st stamp) bool {
	time.Sleep(settleProbe)
	fi, err := file.Stat()
	return err != nil || stampOf(fi) != st
}

// strictPrefix reports whether msgs are the first of old, fewer of them,
// as a file being written anew shows.
func strictPrefix(msgs, old []msg) bool {
	if len(msgs) >= len(old) {
		return false
	}
	for i := range msgs {
		if msgs[i].hash != old[i].hash {
			return false
		}
	}
	return true
}

// renumber parses the whole file again, giving every message a new UID
// under a new UIDVALIDITY, and has it rewritten soon. Pending flag
// changes follow their messages.
func (f *Folder) renumber(file *os.File, fi os.FileInfo, why string) error {
	byHash := make(map[uint64][]want)
	for i := range f.msgs {
		if w, ok := f.pending[f.msgs[i].uid]; ok {
			byHash[f.msgs[i].hash] = append(byHash[f.msgs[i].hash], w)
		}
	}
	was := f.validity
	clear(f.pending)
	f.vanished, f.vanishedSet = nil, nil
	if err := f.parseFrom(file, fi, 0, 0, modeRenumber); err != nil {
		return err
	}
	for i := range f.msgs {
		m := &f.msgs[i]
		if ws := byHash[m.hash]; len(ws) > 0 {
			f.pending[m.uid] = ws[0]
			byHash[m.hash] = ws[1:]
		}
	}
	f.d.log.Warn("mbox: giving every message a new UID; clients must resync", "path", f.path, "why", why,
		"uidvalidity_was", was, "uidvalidity", f.validity)
	f.mustRewrite, f.renumbered = true, cmp.Or(f.base.validity, f.uwValidity)
	return nil
}

// decideValidity settles UIDVALIDITY once the first message is read, or
// the file is found empty: the file's X-IMAPbase (or UW's X-IMAP) wins;
// without one the known value stays, unless it comes from an index that
// does not describe this file and the file has messages; a mailbox
// numbered afresh gets a new one. When the file says another value than
// the one known, every UID known is void.
func (p *pass) decideValidity(empty bool) {
	f := p.f
	v := p.base.validity
	if v == 0 {
		v = p.uwValidity
	}
	switch {
	case v != 0 && v == f.renumbered && p.known:
		// The numbering this Folder replaced (renumber), still in the
		// file or put back by another program: its X-UIDs mean nothing.
	case v != 0 && v < p.validity && p.known && !f.untrusted:
		// An older numbering than the one clients were given (a copy
		// from before a renumbering put back): UIDVALIDITY never goes
		// back (RFC 3501 section 2.3.1.1).
		f.d.log.Warn("mbox: the file has an older UIDVALIDITY than the one given out; numbering it afresh",
			"path", f.path, "was", p.validity, "file", v)
		p.validity, p.uidNext = f.d.newValidity(), 0
		p.void()
		p.rewrite = true
	case v != 0 && v != p.validity:
		if p.known && p.validity != 0 && !f.untrusted {
			f.d.log.Warn("mbox: the file has another UIDVALIDITY; clients must resync",
				"path", f.path, "was", p.validity, "now", v)
		}
		p.validity, p.uidNext = v, 0
		p.void()
	case v == 0 && f.untrusted && empty && p.validity != 0:
		// An empty file that changed behind the index: a first APPEND
		// that a crash tore and the next lock rolled back, an EXPUNGE of
		// everything whose index a crash kept from being saved, or an
		// empty file made anew. An empty mbox has no X-IMAPbase, so the
		// index is the only place its UIDVALIDITY lives. No message is
		// shown under the old numbering, and the next one gets a UID
		// from the UIDNEXT given out on, so going on with it never
		// shows a UID twice (RFC 3501 section 2.3.1.1) and spares every
		// client a full resync.
		next := max(p.uidNext, f.uidTop+1, 1)
		p.void()
		p.uidNext = next
	case v == 0 && f.untrusted:
		// An index left by another file of this name (or a file since
		// replaced by one without X-IMAPbase): nothing of it applies,
		// and messages must not get new UIDs under the old UIDVALIDITY.
		p.validity, p.uidNext = 0, 0
		p.void()
	}
	if p.validity == 0 {
		p.validity = f.d.newValidity()
	}
	p.foreignXUIDs = v != 0 && v != p.validity
}

// void forgets what was known: the file starts a new numbering.
func (p *pass) void() {
	p.known, p.voided, p.top = false, true, 0
	p.h = hints{}
}

// pickUID chooses the UID of a message found after one with UID last,
// following the rules on pass. 4294967295 is never a UID, so that
// UIDNEXT stays above every UID.
func (p *pass) pickUID(r *rawMsg, last uint32) (uint32, bool) {
	if x := r.xuid; x > last && x < math.MaxUint32 && !p.foreignXUIDs && (!p.known || x > p.top || p.h.has(x)) {
		return x, true
	}
	if r.off == p.cut && len(p.h.old) > 0 && p.h.old[0].off == r.off && p.h.old[0].uid > last {
		// Its header may have been cut short, and its identity with it.
		return p.h.old[0].uid, true
	}
	if uid, ok := p.h.find(r.off, r.hash, last); ok && uid < math.MaxUint32 {
		return uid, true
	}
	if p.known && p.f.hasVanished(r.hash) {
		p.bump = true
	}
	uid := max(uint64(p.uidNext), uint64(last)+1)
	if p.known {
		uid = max(uid, uint64(p.top)+1)
	}
	if uid >= math.MaxUint32 {
		return 0, false
	}
	p.uidNext = uint32(uid) + 1
	return uint32(uid), true
}

// raiseTail gives the messages this pass numbered afresh after the
// file's last X-UID'd or known one (those another program delivered
// since the file was last numbered) UIDs from the file's UIDNEXT on
// (X-IMAPbase's, or UW's X-IMAP), when they were numbered below it: the
// UIDs between were given out before (to messages expunged since, by
// mutt say) and must never be given again (RFC 3501 section 2.3.1.1),
// whatever an index, which may be older than the file, said. A message
// without X-UID between X-UID'd ones keeps the UID after its
// predecessor's, which is all the room there is. It reports false when
// the UIDs above the file's UIDNEXT do not suffice: the file must be
// numbered afresh.
func (p *pass) raiseTail(msgs []msg) bool {
	var next uint32
	switch {
	case p.base.validity != 0 && p.base.validity == p.validity:
		next = p.base.next
	case p.uwValidity != 0 && p.uwValidity == p.validity:
		next = p.uwNext
	}
	i := len(msgs)
	for i > 0 && !msgs[i-1].inFile && !(p.known && msgs[i-1].uid <= p.top) {
		i--
	}
	if i == len(msgs) || msgs[i].uid >= next {
		return true
	}
	delta := next - msgs[i].uid
	if uint64(msgs[len(msgs)-1].uid)+uint64(delta) >= math.MaxUint32 {
		return false
	}
	for j := i; j < len(msgs); j++ {
		msgs[j].uid += delta
	}
	p.uidNext = max(p.uidNext, msgs[len(msgs)-1].uid+1)
	return true
}

// vanishedMsg is a message that vanished from a file that another
// program changed.
type vanishedMsg struct {
	uid  uint32
	hash uint64
}

// hasVanished reports whether a message of this identity vanished.
func (f *Folder) hasVanished(hash uint64) bool {
	if len(f.vanished) == 0 {
		return false
	}
	if f.vanishedSet == nil {
		f.vanishedSet = make(map[uint64]bool, len(f.vanished))
		for _, v := range f.vanished {
			f.vanishedSet[v.hash] = true
		}
	}
	return f.vanishedSet[hash]
}

// hints are the messages known before a parse, by offset.
type hints struct {
	old    []msg
	byHash map[uint64][]uint32
}

// has reports whether uid is known.
func (h *hints) has(uid uint32) bool {
	i := sort.Search(len(h.old), func(i int) bool { return h.old[i].uid >= uid })
	return i < len(h.old) && h.old[i].uid == uid
}

// find returns a known UID above after for a message at off with identity
// hash: the one at the same offset, or else one of the same identity.
func (h *hints) find(off int64, hash uint64, after uint32) (uint32, bool) {
	if len(h.old) == 0 {
		return 0, false
	}
	i := sort.Search(len(h.old), func(i int) bool { return h.old[i].off >= off })
	if i < len(h.old) && h.old[i].off == off && h.old[i].hash == hash && h.old[i].uid > after {
		return h.old[i].uid, true
	}
	if h.byHash == nil {
		h.byHash = make(map[uint64][]uint32, len(h.old))
		for _, m := range h.old {
			h.byHash[m.hash] = append(h.byHash[m.hash], m.uid)
		}
	}
	for _, uid := range h.byHash[hash] {
		if uid > after {
			return uid, true
		}
	}
	return 0, false
}
