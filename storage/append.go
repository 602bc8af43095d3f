package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Append stores a message in a mailbox and returns the mailbox's
// UIDVALIDITY and the message's UID.
//
// r is read to its end before anything is stored, and without the
// mailbox lock (see receive): a client that sends its message slowly
// holds up no other session, and a read error (io.ErrUnexpectedEOF when a
// connection dropped in the middle of the message) stores nothing.
func (a *Account) Append(name string, r io.Reader, flags []string, date time.Time) (uidValidity, uid uint32, err error) {
	loc, _, err := a.resolve(name)
	if err != nil {
		return 0, 0, err
	}
	if err := a.writable(loc); err != nil {
		return 0, 0, err
	}
	mb, _, err := a.open(name)
	if err != nil {
		return 0, 0, err
	}
	defer a.store.release(mb)
	in, err := mb.receive(r, flags, date, true)
	if err != nil {
		return 0, 0, err
	}
	m, uidValidity, err := mb.commit(in)
	if err != nil {
		return 0, 0, err
	}
	return uidValidity, m.UID, nil
}

// Copy copies messages of a view into the named mailbox, keeping flags and
// internal dates, and returns the destination's UIDVALIDITY with the
// source and new UIDs in order.
func (a *Account) Copy(v *View, uids []uint32, dest string) (uidValidity uint32, src, dst []uint32, err error) {
	loc, _, err := a.resolve(dest)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := a.writable(loc); err != nil {
		return 0, nil, nil, err
	}
	to, _, err := a.open(dest)
	if err != nil {
		return 0, nil, nil, err
	}
	defer a.store.release(to)
	msgs := make([]Message, len(uids))
	v.Lookup(uids, msgs)
	for i := range msgs {
		if msgs[i].UID == 0 {
			continue
		}
		if err := a.copyOne(v, to, &msgs[i], &dst); err != nil {
			return 0, src, dst, err
		}
		src = append(src, msgs[i].UID)
	}
	to.mu.Lock()
	uidValidity = to.uidValidity
	to.mu.Unlock()
	return uidValidity, src, dst, nil
}

// copyOne copies one message. A destination that stages reads the source
// before its lock is taken; another reads it under its lock, straight
// from the source's file, as that is no slower than a spool would be.
func (a *Account) copyOne(v *View, to *mailbox, m *Message, dst *[]uint32) error {
	rc, _, err := v.Open(m.UID)
	if errors.Is(err, ErrNoMessage) {
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	in, err := to.receive(rc, m.Flags, m.InternalDate, false)
	if err != nil {
		return fmt.Errorf("copying message %d: %w", m.UID, err)
	}
	nm, _, err := to.commit(in)
	if err != nil {
		return fmt.Errorf("copying message %d: %w", m.UID, err)
	}
	*dst = append(*dst, nm.UID)
	return nil
}

// incoming is a message received for a mailbox and not yet part of it.
type incoming struct {
	staged Staged    // from a Stager folder, or nil
	r      io.Reader // otherwise what Folder.Append reads, under the lock
	spool  *spoolFile
	flags  []string
	date   time.Time
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

// commit stores a received message in mb under mb.mu, tells every view,
// and returns the message and the mailbox's UIDVALIDITY. It consumes in
// whatever happens.
func (mb *mailbox) commit(in *incoming) (Message, uint32, error) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.gone {
		// Deleted or renamed while the message came in.
		in.discard()
		return Message{}, 0, ErrNoMailbox
	}
	if err := mb.loadLocked(); err != nil {
		in.discard()
		return Message{}, 0, err
	}
	var m Message
	var err error
	if in.staged != nil {
		m, err = in.staged.Commit()
	} else {
		m, err = mb.folder.Append(in.r, in.flags, in.date)
		in.spool.Close()
	}
	if err != nil {
		return Message{}, 0, err
	}
	m, err = mb.addedLocked(m)
	return m, mb.uidValidity, err
}

// addedLocked takes a message the folder just stored into the shared
// state and tells every view; mb.mu is held.
func (mb *mailbox) addedLocked(m Message) (Message, error) {
	m.Flags = normalizeFlags(m.Flags)
	if m.UID != mb.uidNext {
		// Someone else took UIDs meanwhile (another process, or an
		// mbox delivery the driver numbered first): read the mailbox
		// back, so that views learn of every message in UID order.
		return m, mb.refreshLocked()
	}
	mb.msgs = append(mb.msgs, m)
	mb.msgsChangedLocked()
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
