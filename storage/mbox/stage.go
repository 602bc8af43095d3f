package mbox

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"
)

var _ storage.Stager = (*Folder)(nil)

// Stage implements storage.Stager: it receives an APPEND's message into
// a spool file beside the mbox (.NAME.mgspool.PID.HOST.N), converted as
// Append converts it (From_ line, header fields without IMAP state,
// mboxrd quoting, LF line endings), without taking the Folder's mutex or
// the mailbox lock, so that a client that sends slowly holds up nobody.
// The fields that need the UID (X-UID, Status, and X-IMAPbase for a
// first message) are written by Commit, which copies the spool into the
// mailbox under the lock.
//
// If r fails, io.ErrUnexpectedEOF included, the spool is removed and the
// mailbox never touched. The spool is not synced: Commit syncs the
// mailbox, and a spool left by a crash is removed when the mailbox is
// next opened (removeStale). Where the directory takes no new files, the
// spool goes to the system's temporary directory, without a name
// (tmpspool.go).
func (f *Folder) Stage(r io.Reader, flags []string, date time.Time) (storage.Staged, error) {
	// Only what never changes in f is used here: path, perm, d.
	bits, kws, err := splitFlags(flags)
	if err != nil {
		return nil, f.errorf("append: %w", err)
	}
	if date.IsZero() {
		date = f.d.now()
	}
	spool, err := createOwn(f.path, kindSpool, 0, 0o600)
	named := err == nil
	if err != nil && unwritable(err) {
		spool, err = f.d.tempSpool()
	}
	if err != nil {
		return nil, f.errorf("append: spool: %w", err)
	}
	br := bufio.NewReaderSize(r, messageBuffer)
	from := fromLine(senderOf(br), date)
	s := &staged{f: f, spool: spool, named: named, bits: bits, kws: kws, from: from}
	var written int64
	cw := &countingWriter{w: spool, n: &written}
	w := bufio.NewWriterSize(cw, 64*1024)
	w.Write(from)
	s.fromEnd = int64(len(from))
	err = convertMessage(w, br, nil, func() { s.fieldsAt = written + int64(w.Buffered()) })
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		s.remove()
		if !isWriteErr(err, cw) {
			return nil, err // r's: as it came, for the core to recognise
		}
		return nil, f.errorf("append: spool: %w", err)
	}
	s.size = written
	return s, nil
}

// isWriteErr reports whether err came from writing the spool, not from r.
func isWriteErr(err error, cw *countingWriter) bool { return cw.err != nil && errors.Is(err, cw.err) }

// countingWriter counts the bytes written through it and remembers a
// write error.
type countingWriter struct {
	w   io.Writer
	n   *int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// staged is a message in a spool file: its From_ line up to fromEnd, its
// header fields up to fieldsAt, where the IMAP fields go, and the rest
// up to size.
type staged struct {
	f                       *Folder
	spool                   *os.File
	named                   bool // spool is an own file beside the mbox, else it has no name
	fromEnd, fieldsAt, size int64
	from                    []byte // the From_ line, spool[:fromEnd]
	bits                    uint8
	kws                     []string

	once sync.Once
}

// remove closes and removes the spool file.
func (s *staged) remove() {
	s.spool.Close()
	if s.named {
		removeOwn(s.spool.Name())
	}
}

// Commit appends the staged message to the mailbox under the lock, as
// Append does, copying it from the spool (copy_file_range where the
// system has it), and removes the spool whatever happens.
func (s *staged) Commit() (storage.Message, error) {
	err := errors.New("staged message committed or aborted already")
	var m storage.Message
	s.once.Do(func() {
		defer s.remove()
		m, err = s.commit()
	})
	return m, err
}

func (s *staged) commit() (storage.Message, error) {
	f := s.f
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	return f.appendLocked(s.bits, s.kws, s.from, s.write)
}

var _ storage.BatchCommitter = (*Folder)(nil)

// CommitBatch implements storage.BatchCommitter: it appends the staged
// messages one after the other under one lock, one intent and one sync
// (appendBatchLocked), so that a crash leaves all of them or none, and
// removes every spool whatever happens.
func (f *Folder) CommitBatch(list []storage.Staged) ([]storage.Message, error) {
	items := make([]appendItem, 0, len(list))
	var own []*staged
	defer func() {
		for _, s := range own {
			s.once.Do(s.remove)
		}
	}()
	for _, st := range list {
		s, ok := st.(*staged)
		if !ok || s.f != f {
			for _, st := range list {
				st.Abort()
			}
			return nil, f.errorf("append: a staged message of another folder")
		}
		own = append(own, s)
		items = append(items, appendItem{bits: s.bits, kws: s.kws, from: s.from, write: s.write})
	}
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	return f.appendBatchLocked(items)
}

// write copies the staged message into file at off, with what
// appendBatchLocked generates around and inside it (see writeFunc).
func (s *staged) write(file *os.File, off int64, sep, base, ours []byte) error {
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		return err
	}
	rw := &rewriter{src: s.spool, dst: file, w: bufio.NewWriterSize(file, 16*1024)}
	// Generated bytes, and ranges of the spool.
	steps := []struct {
		gen      []byte
		from, to int64
	}{
		{gen: sep}, {from: 0, to: s.fromEnd}, {gen: base}, {from: s.fromEnd, to: s.fieldsAt},
		{gen: ours}, {from: s.fieldsAt, to: s.size},
	}
	for _, st := range steps {
		var err error
		switch {
		case len(st.gen) > 0:
			err = rw.write(st.gen)
		case st.to > st.from:
			err = rw.copyRaw(st.from, st.to)
		}
		if err != nil {
			return err
		}
	}
	if err := rw.flushRun(); err != nil {
		return err
	}
	return rw.w.Flush()
}

// Abort removes the spool.
func (s *staged) Abort() error {
	s.once.Do(s.remove)
	return nil
}
