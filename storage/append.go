package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Append stores a message in a mailbox and returns the mailbox's
// UIDVALIDITY and the message's UID. It is a batch of one (AppendBatch).
//
// r is read to its end before anything is stored, and without the
// mailbox lock (see receive): a client that sends its message slowly
// holds up no other session, and a read error (io.ErrUnexpectedEOF when a
// connection dropped in the middle of the message) stores nothing.
func (a *Account) Append(name string, r io.Reader, flags []string, date time.Time) (uidValidity, uid uint32, err error) {
	b, err := a.BeginAppend(name)
	if err != nil {
		return 0, 0, err
	}
	if err := b.Add(r, flags, date); err != nil {
		b.Abort()
		return 0, 0, err
	}
	uidValidity, uids, err := b.Commit()
	if err != nil {
		return 0, 0, err
	}
	return uidValidity, uids[0], nil
}

// AppendBatch is a set of messages on their way into one mailbox, stored
// all together or not at all (IMAP MULTIAPPEND, RFC 3502). Each Add
// receives a message, read without the mailbox lock; Commit stores them
// all under one lock. Exactly one of Commit or Abort must be called.
type AppendBatch struct {
	a     *Account
	mb    *mailbox
	name  string
	ins   []*incoming
	bytes int64 // the size of the messages received, for the quota check
}

// BeginAppend starts a batch of messages for the named mailbox.
func (a *Account) BeginAppend(name string) (*AppendBatch, error) {
	loc, _, err := a.resolve(name)
	if err != nil {
		return nil, err
	}
	if err := a.writable(loc); err != nil {
		return nil, err
	}
	// A mailbox already full refuses before reading a byte; the whole
	// batch is checked again once it is in and its size known.
	if err := a.CheckQuota(name, 0, 1); err != nil {
		return nil, err
	}
	mb, _, err := a.open(name)
	if err != nil {
		return nil, err
	}
	return &AppendBatch{a: a, mb: mb, name: name}, nil
}

// Add receives one message of the batch: r is read to its end, as Append
// reads it. When r fails nothing of it is kept, and the caller should
// Abort the batch.
func (b *AppendBatch) Add(r io.Reader, flags []string, date time.Time) error {
	counted := &sizeCounter{r: r}
	in, err := b.mb.receive(counted, flags, date, true)
	if err != nil {
		return err
	}
	b.ins = append(b.ins, in)
	b.bytes += counted.n
	return nil
}

// Absorb moves the messages of other, a batch begun on the same mailbox
// (of any Account on this Store), to the end of b and ends other, which
// must not be used again. A delivery agent that received messages
// concurrently commits them with one Commit, under one lock and one
// sync (group commit). It fails, changing nothing, when other is for
// another mailbox.
func (b *AppendBatch) Absorb(other *AppendBatch) error {
	if other.mb != b.mb {
		return errors.New("append: the batches are for different mailboxes")
	}
	b.ins = append(b.ins, other.ins...)
	b.bytes += other.bytes
	other.ins, other.bytes = nil, 0
	other.a.store.release(other.mb)
	return nil
}

// Len returns how many messages the batch holds.
func (b *AppendBatch) Len() int { return len(b.ins) }

// Size returns how many octets the batch's messages hold, as received.
func (b *AppendBatch) Size() int64 { return b.bytes }

// Mailbox returns the name of the batch's mailbox.
func (b *AppendBatch) Mailbox() string { return b.name }

// Commit stores every message of the batch, in order, or none of them,
// and returns the mailbox's UIDVALIDITY with the new UIDs. A folder that
// is a BatchCommitter makes that hold across a crash too; for others the
// messages already stored are expunged again when a later one fails. The
// whole batch must fit in the user's quota, checked once: otherwise
// nothing is stored and the error is ErrOverQuota (RFC 9208 section
// 4.1.1, RFC 3502 section 6).
func (b *AppendBatch) Commit() (uidValidity uint32, uids []uint32, err error) {
	defer b.a.store.release(b.mb)
	if len(b.ins) == 0 {
		return 0, nil, errors.New("append: no message in the batch")
	}
	if err := b.a.CheckQuota(b.name, b.bytes, int64(len(b.ins))); err != nil {
		for _, in := range b.ins {
			in.discard()
		}
		b.ins = nil
		return 0, nil, err
	}
	// What another program changed while the messages came in is read
	// before the mailbox's own change, not after (unwatched.go).
	b.mb.syncUnwatched()
	msgs, uidValidity, err := b.mb.commitBatch(b.ins)
	b.ins = nil
	if err != nil {
		return 0, nil, err
	}
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	return uidValidity, uids, nil
}

// Abort drops every message of the batch.
func (b *AppendBatch) Abort() {
	for _, in := range b.ins {
		in.discard()
	}
	b.ins = nil
	b.a.store.release(b.mb)
}

// sizeCounter counts the bytes read through it.
type sizeCounter struct {
	r io.Reader
	n int64
}

func (c *sizeCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Copy copies messages of a view into the named mailbox, keeping flags and
// internal dates, and returns the destination's UIDVALIDITY with the
// source and new UIDs in order. The copies must fit in the user's quota
// (ErrOverQuota): nothing is copied when they do not.
func (a *Account) Copy(v *View, uids []uint32, dest string) (uidValidity uint32, src, dst []uint32, err error) {
	into, src, dst, err := a.copyMessages(v, uids, dest, true, false)
	return into.validity, src, dst, err
}

// copiedInto is the destination of a COPY or MOVE as its copies were
// stored: its UIDVALIDITY (0 when another program reset it between two
// batches, so that its UIDs are of two) and its directory's identity
// (fsutil.Identity), which a take-back of the copies checks.
type copiedInto struct {
	validity uint32
	at       [4]uint64
}

// Move moves messages of a view into the named mailbox (RFC 6851): it
// copies them as Copy does, then expunges them from the view's mailbox,
// whose sessions hear of it as of any expunge. A move within the user's
// personal namespace changes no quota usage, so only a move into it from
// elsewhere is checked against the quota. On an error nothing is
// expunged, unless files were moved already (a large MOVE is committed in
// batches, see copyMessages): then those are expunged, as they are gone
// from the folder, and src and dst list them with the error. When the
// expunge of the sources fails part way, src and dst list the messages
// gone from the source alone, and the copies of those still there are
// taken back; whatever cannot be told for sure (the source reset
// meanwhile, a file that cannot be opened) is left in the destination:
// a message may then be in both mailboxes, never in neither.
func (a *Account) Move(v *View, uids []uint32, dest string) (uidValidity uint32, src, dst []uint32, err error) {
	if v.ReadOnly() {
		return 0, nil, nil, ErrReadOnly
	}
	within := a.usageOf().covers(v.mb.path)
	from := v.mb.validity()
	into, src, dst, err := a.copyMessages(v, uids, dest, !within, true)
	uidValidity = into.validity
	var partial *partialMoveError
	if err != nil && !errors.As(err, &partial) {
		return uidValidity, src, dst, err
	}
	// Not Expunge: the copy checked the mailbox, and the files it moved
	// out leave its folder unable to vouch for what remains.
	if xerr := v.expunge(src, true); xerr != nil {
		n := len(src)
		var failure *expungeFailure
		reread := errors.As(xerr, &failure) && failure.reread
		var berr error
		src, dst, berr = a.keepMoved(v, from, reread, dest, into, src, dst)
		if berr != nil {
			xerr = errors.Join(xerr, fmt.Errorf("taking back the copies of the messages left: %w", berr))
		}
		if err != nil {
			return uidValidity, src, dst, fmt.Errorf("%w; expunging the %d moved before it: %v", err, n, xerr)
		}
		return uidValidity, src, dst, xerr
	}
	return uidValidity, src, dst, err
}

// keepMoved returns, of the messages src of v's mailbox copied as dst
// into dest (as into says), those that left v's
// mailbox when its expunge failed part way, and takes back the copies of
// those still in it, so that each message is in one mailbox. A message
// counts as still there only on good evidence: the mailbox, still of
// UIDVALIDITY from, lists it and, unless it was read again after the
// failure (reread), its file opens. Another program's reset of the
// source (the UIDs are other messages'; another directory at its path),
// or a file that cannot be opened, leaves the copy where it is: a
// duplicate, never a loss.
func (a *Account) keepMoved(v *View, from uint32, reread bool, dest string, into copiedInto, src, dst []uint32) (movedSrc, movedDst []uint32, err error) {
	v.mb.mu.Lock()
	same := v.mb.uidValidity == from && v.mb.samePathLocked()
	v.mb.mu.Unlock()
	if !same {
		return nil, nil, nil
	}
	var back []uint32
	for i, uid := range src {
		still := v.mb.has(uid)
		if still && !reread {
			rc, _, err := v.mb.open(uid, true)
			if still = err == nil; still {
				rc.Close()
			}
		}
		if still {
			back = append(back, dst[i])
		} else {
			movedSrc, movedDst = append(movedSrc, uid), append(movedDst, dst[i])
		}
	}
	if len(back) == 0 {
		return movedSrc, movedDst, nil
	}
	to, _, err := a.open(dest)
	if err != nil {
		return movedSrc, movedDst, err
	}
	defer a.store.release(to)
	return movedSrc, movedDst, to.takeBack(into, back)
}

// validity returns the mailbox's UIDVALIDITY.
func (mb *mailbox) validity() uint32 {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.uidValidity
}

// has reports whether the mailbox lists message uid.
func (mb *mailbox) has(uid uint32) bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.index(uid) >= 0
}

// copyMessages is Copy, and Move's first half; checkQuota says whether
// the copies count against the quota of dest. With move, a message
// whose file can be moved into dest (MoveStager) is: it then leaves v's
// folder when the batch commits, and Move's expunge finds it gone.
// Copies and moves alike are committed in batches of copyBatch, so that
// a large MOVE does not hold both mailboxes' locks for all its renames.
// A failure after a batch with moves cannot take them back as it takes
// back copies: the messages of the batches committed stay moved, as when
// the process is killed in the middle of a MOVE, and the error is a
// *partialMoveError with src and dst listing them.
func (a *Account) copyMessages(v *View, uids []uint32, dest string, checkQuota, move bool) (into copiedInto, src, dst []uint32, err error) {
	loc, _, err := a.resolve(dest)
	if err != nil {
		return copiedInto{}, nil, nil, err
	}
	if err := a.writable(loc); err != nil {
		return copiedInto{}, nil, nil, err
	}
	to, _, err := a.open(dest)
	if err != nil {
		return copiedInto{}, nil, nil, err
	}
	defer a.store.release(to)
	// The copies carry the source's flags, which may be old on a
	// mailbox nobody watches; the destination was checked by open.
	v.checkFirst()
	msgs := make([]Message, len(uids))
	v.Lookup(uids, msgs)
	if checkQuota {
		var bytes, n int64
		for i := range msgs {
			if msgs[i].UID != 0 {
				bytes += msgs[i].Size
				n++
			}
		}
		if err := a.CheckQuota(dest, bytes, n); err != nil {
			return copiedInto{}, nil, nil, err
		}
	}
	var ins []*incoming
	var staged []uint32 // the source UIDs of ins
	moving := false     // ins holds a message staged to be moved
	moved := false      // a batch committed held a message moved
	// copiedUnder is the UIDVALIDITY of dest when the last batch was
	// committed; mixed says the batches had different ones.
	var copiedUnder uint32
	mixed := false
	var copiedAt [4]uint64 // dest's directory when the first batch was committed
	// copiedValidity is the UIDVALIDITY that dst's UIDs are of: 0 when
	// another program reset dest between two batches, when they are of
	// two (no COPYUID can name them, and none may be taken back).
	copiedValidity := func() copiedInto {
		if mixed {
			return copiedInto{}
		}
		return copiedInto{validity: copiedUnder, at: copiedAt}
	}
	// commit stores what is staged as one batch: for a folder that is a
	// BatchCommitter, one sync and all of it or nothing, even across a
	// crash.
	commit := func() error {
		if len(ins) == 0 {
			return nil
		}
		if copyCommitHook != nil {
			copyCommitHook()
		}
		stored, validity, err := to.commitBatch(ins)
		ins = nil
		if err != nil {
			return err
		}
		// The copies are taken back by UID only if all have the
		// UIDVALIDITY they were stored under (see takeBack).
		if copiedUnder != 0 && validity != copiedUnder {
			mixed = true
		}
		if copiedUnder == 0 {
			to.mu.Lock()
			copiedAt = to.loadedAt
			to.mu.Unlock()
		}
		copiedUnder = validity
		for i, m := range stored {
			if m.UID != 0 { // else a moved message that vanished meanwhile
				src, dst = append(src, staged[i]), append(dst, m.UID)
			}
		}
		staged = nil
		moved, moving = moved || moving, false
		return nil
	}
	fail := func(err error) (copiedInto, []uint32, []uint32, error) {
		for _, in := range ins {
			in.discard()
		}
		if moved {
			// Files left v's folder: they stay where they went.
			return copiedValidity(), src, dst, &partialMoveError{err: err, n: len(src)}
		}
		// A COPY that fails leaves the destination as it was (RFC 3501
		// section 6.4.7): take back the batches stored before.
		if len(dst) > 0 && !mixed {
			if xerr := to.takeBack(copiedValidity(), dst); xerr != nil {
				return copiedInto{}, src, dst, fmt.Errorf("%w; removing the %d copies stored before it: %v", err, len(dst), xerr)
			}
		}
		return copiedInto{}, nil, nil, err
	}
	for i := range msgs {
		if msgs[i].UID == 0 {
			continue
		}
		in, err := receiveCopy(v, to, &msgs[i], move)
		if errors.Is(err, ErrNoMessage) {
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("copying message %d: %w", msgs[i].UID, err))
		}
		ins, staged = append(ins, in), append(staged, msgs[i].UID)
		moving = moving || in.moved
		if len(ins) == copyBatch {
			if err := commit(); err != nil {
				return fail(fmt.Errorf("copying: %w", err))
			}
		}
	}
	if err := commit(); err != nil {
		return fail(fmt.Errorf("copying: %w", err))
	}
	return copiedValidity(), src, dst, nil
}

// partialMoveError is the error of a MOVE that failed after it had
// committed a batch with moved messages (see copyMessages).
type partialMoveError struct {
	err error
	n   int // messages moved or copied before the failure
}

func (e *partialMoveError) Error() string {
	return fmt.Sprintf("%v (after %d messages were moved)", e.err, e.n)
}

func (e *partialMoveError) Unwrap() error { return e.err }

// copyBatch bounds how many copies are staged before they are committed
// as one batch: a staged mbox message holds its spool file open; and a
// batch of moves holds both mailboxes' locks while it renames.
var copyBatch = 1000

// copyCommitHook, when set (by tests), runs before each batch of a COPY
// or MOVE is committed.
var copyCommitHook func()

// receiveCopy stages a copy of message m of v for the mailbox to, with
// m's flags and internal date, without to's lock: with move, as the
// source file itself when to's folder is a MoveStager that can move it
// (renamed when the batch commits); else as a hard link to the source
// file when to's folder is a LinkStager that can make one (no data
// written, nothing synced until the batch commits), else by reading the
// source's content into to's staging (Stager) or a spool file.
func receiveCopy(v *View, to *mailbox, m *Message, move bool) (*incoming, error) {
	flags := normalizeFlags(m.Flags)
	// stage stages m as the folder's stager does, with v's mailbox
	// locked; ok false means that it cannot, and m is copied instead.
	stage := func(stager func(src Folder, uid uint32, flags []string) (Staged, error)) (in *incoming, ok bool, err error) {
		from := v.mb
		from.mu.Lock()
		var st Staged
		err = ErrNoMessage
		if from.index(m.UID) >= 0 {
			st, err = stager(from.folder, m.UID, flags)
		}
		from.mu.Unlock()
		if errors.Is(err, ErrNotLinkable) {
			return nil, false, nil
		}
		if err != nil {
			return nil, true, err
		}
		return &incoming{staged: st, flags: flags, date: m.InternalDate}, true, nil
	}
	if ms, isMS := to.folder.(MoveStager); isMS && move {
		in, ok, err := stage(ms.StageMove)
		if ok {
			if in != nil {
				in.moved = true
			}
			return in, err
		}
	}
	if ls, isLS := to.folder.(LinkStager); isLS {
		if in, ok, err := stage(ls.StageLink); ok {
			return in, err
		}
	}
	// The copy gets m's internal date, learnt now if it was not yet.
	dated := [1]Message{*m}
	if err := v.Dated(dated[:]); err != nil {
		return nil, err
	}
	if dated[0].UID == 0 {
		return nil, ErrNoMessage
	}
	rc, _, err := v.Open(m.UID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return to.receive(rc, flags, dated[0].InternalDate, true)
}

// incoming is a message received for a mailbox and not yet part of it.
type incoming struct {
	staged Staged    // from a Stager folder, or nil
	r      io.Reader // otherwise what Folder.Append reads, under the lock
	spool  *spoolFile
	flags  []string
	date   time.Time
	moved  bool // staged to be moved (MoveStager): gone from the source once committed
}

// receive takes in a message for mb without holding mb.mu. A folder that
// is a Stager stages it. For other folders, a message from the network
// (spool true) is copied into a spool file first, so that only a local
// read happens under the lock; a message from a local file is left to be
// read under the lock. The caller holds a reference on mb, which keeps
// the folder open, and must pass the result to commit.
func (mb *mailbox) receive(r io.Reader, flags []string, date time.Time, spool bool) (*incoming, error) {
	in := &incoming{r: r, flags: normalizeFlags(flags), date: date}
	if st, ok := mb.folder.(Stager); ok {
		staged, err := st.Stage(r, in.flags, date)
		if err != nil {
			return nil, err
		}
		in.staged = staged
		return in, nil
	}
	if spool {
		f, err := newSpoolFile(mb.store.spoolDir, r)
		if err != nil {
			return nil, err
		}
		in.r, in.spool = f, f
	}
	return in, nil
}

// discard drops what receive kept of a message that will not be stored.
func (in *incoming) discard() {
	if in.staged != nil {
		in.staged.Abort()
	}
	in.spool.Close()
}

// commitBatch stores received messages in mb under mb.mu, all or none,
// tells every view, and returns the messages and the mailbox's
// UIDVALIDITY. It consumes ins whatever happens.
func (mb *mailbox) commitBatch(ins []*incoming) ([]Message, uint32, error) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.fullLocked()
	discard := func(ins []*incoming) {
		for _, in := range ins {
			in.discard()
		}
	}
	if mb.gone {
		// Deleted or renamed while the message came in.
		discard(ins)
		return nil, 0, ErrNoMailbox
	}
	if err := mb.loadLocked(); err != nil {
		discard(ins)
		return nil, 0, err
	}
	all, err := mb.storeLocked(ins)
	mb.ownChangedLocked()
	if err != nil {
		return nil, 0, err
	}
	// A move whose source vanished before the commit left a zero
	// Message in its place (BatchCommitter): only the others are added.
	msgs := all
	if slices.ContainsFunc(all, func(m Message) bool { return m.UID == 0 }) {
		msgs = slices.DeleteFunc(slices.Clone(all), func(m Message) bool { return m.UID == 0 })
		defer func() {
			k := 0
			for i := range all {
				if all[i].UID != 0 && k < len(msgs) {
					all[i] = msgs[k]
					k++
				}
			}
		}()
	}
	if mb.addedAllLocked(msgs) {
		return all, mb.uidValidity, nil
	}
	for i := range msgs {
		if msgs[i], err = mb.addedLocked(msgs[i]); err != nil {
			return nil, 0, err
		}
		if msgs[i].UID < mb.uidNext-1 {
			// addedLocked read the mailbox back, and found every
			// message of the batch with it.
			for j := i + 1; j < len(msgs); j++ {
				msgs[j].Flags = normalizeFlags(msgs[j].Flags)
			}
			break
		}
	}
	return all, mb.uidValidity, nil
}

// storeLocked has the folder store ins, mb.mu held: as one batch when
// the folder is a BatchCommitter and every message was staged; else one
// at a time, expunging those stored when a later one fails.
func (mb *mailbox) storeLocked(ins []*incoming) ([]Message, error) {
	if bc, ok := mb.folder.(BatchCommitter); ok && len(ins) > 1 {
		all := make([]Staged, 0, len(ins))
		for _, in := range ins {
			if in.staged != nil {
				all = append(all, in.staged)
			}
		}
		if len(all) == len(ins) {
			return bc.CommitBatch(all)
		}
	}
	var msgs []Message
	for i, in := range ins {
		var m Message
		var err error
		if in.staged != nil {
			m, err = in.staged.Commit()
		} else {
			m, err = mb.folder.Append(in.r, in.flags, in.date)
			in.spool.Close()
		}
		if err != nil && in.moved && errors.Is(err, ErrNoMessage) {
			// The source of a move vanished meanwhile: left out.
			msgs = append(msgs, Message{})
			continue
		}
		if err != nil {
			for _, rest := range ins[i+1:] {
				rest.discard()
			}
			if len(msgs) > 0 {
				uids := make([]uint32, len(msgs))
				for k := range msgs {
					uids[k] = msgs[k].UID
				}
				if xerr := mb.folder.Expunge(uids); xerr != nil {
					return nil, fmt.Errorf("%w; removing the %d messages stored before it: %v", err, len(msgs), xerr)
				}
			}
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// addedAllLocked takes the messages of a batch the folder just stored
// into the shared state with one modseq for all of them (one write to
// the modseq file, not one per message), and tells every view; mb.mu
// is held. It does nothing and returns false unless their UIDs follow
// UIDNEXT without a gap: then another program took UIDs meanwhile, and
// addedLocked reads the mailbox back.
func (mb *mailbox) addedAllLocked(msgs []Message) bool {
	if len(msgs) == 0 {
		// Every message of the batch was skipped (a MOVE whose sources
		// vanished) while their UIDs were taken: read the mailbox back.
		return false
	}
	mb.fullLocked()
	for i := range msgs {
		if msgs[i].UID != mb.uidNext+uint32(i) {
			return false
		}
	}
	change := modseqChange{set: make([]int, len(msgs))}
	for i := range msgs {
		msgs[i].Flags = normalizeFlags(msgs[i].Flags)
		change.set[i] = len(mb.msgs)
		mb.msgs = append(mb.msgs, msgs[i])
		mb.bytes += msgs[i].Size
	}
	mb.msgsChangedLocked()
	mb.totalsChangedLocked()
	mb.uidNext = msgs[len(msgs)-1].UID + 1
	modseq := mb.bumpLocked(change)
	for i := range msgs {
		msgs[i].ModSeq = modseq
		mb.broadcast(update{kind: updAdded, uid: msgs[i].UID})
	}
	return true
}

// addedLocked takes a message the folder just stored into the shared
// state and tells every view; mb.mu is held.
func (mb *mailbox) addedLocked(m Message) (Message, error) {
	mb.fullLocked()
	m.Flags = normalizeFlags(m.Flags)
	if m.UID != mb.uidNext {
		// Someone else took UIDs meanwhile (another process, or an
		// mbox delivery the driver numbered first): read the mailbox
		// back, so that views learn of every message in UID order.
		return m, mb.refreshLocked()
	}
	mb.msgs = append(mb.msgs, m)
	mb.msgsChangedLocked()
	mb.bytes += m.Size
	mb.totalsChangedLocked()
	mb.uidNext = m.UID + 1
	m.ModSeq = mb.bumpLocked(modseqChange{set: []int{len(mb.msgs) - 1}})
	mb.broadcast(update{kind: updAdded, uid: m.UID})
	return m, nil
}

// spoolFile is a message copied to a temporary file in the spool
// directory. The file is unlinked as soon as it is made, where the system
// allows it, so that a crash leaves nothing behind.
type spoolFile struct {
	*os.File
	unlinked bool
}

// newSpoolFile copies r into a new spool file in dir and returns it
// positioned at its start. When r fails, the file is removed and r's
// error returned (wrapped).
func newSpoolFile(dir string, r io.Reader) (*spoolFile, error) {
	f, err := os.CreateTemp(dir, "mailgate-append-*")
	if err != nil {
		return nil, fmt.Errorf("spooling message: %w", err)
	}
	s := &spoolFile{File: f, unlinked: os.Remove(f.Name()) == nil}
	if _, err := io.Copy(f, r); err != nil {
		s.Close()
		return nil, fmt.Errorf("spooling message: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.Close()
		return nil, fmt.Errorf("spooling message: %w", err)
	}
	return s, nil
}

// Close closes and removes the file; a nil spoolFile does nothing.
func (s *spoolFile) Close() error {
	if s == nil {
		return nil
	}
	err := s.File.Close()
	if !s.unlinked {
		os.Remove(s.Name())
	}
	return err
}
