package mbox

import (
	"bufio"
	"io"
	"math"
	"os"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// appendSender is the sender in the From_ lines of appended messages
// that name none (see senderOf), as UW imapd writes it: IMAP APPEND knows
// no envelope sender. It is also what Postfix's local(8) writes for the
// null sender <>.
const appendSender = "MAILER-DAEMON"

// messageBuffer is the size of the buffer a message is read through.
const messageBuffer = 64 * 1024

// Append adds the message at the end of the file under the write lock:
// an empty line first if the last message lacks one, the From_ line with
// date (now when zero), the header fields (any Status, X-UID and the like
// that the message brings are dropped), the IMAP fields, the body with
// mboxrd quoting and LF line endings, and an empty line. The file is
// synced; if anything fails, a read from r included, it is cut back to
// its old size. The first message of a mailbox gets X-IMAPbase; in later
// ones UIDNEXT is updated in place when it fits.
//
// Append reads r under the lock: the core gives it local data (COPY).
// A message from the network goes through Stage, which reads it before
// taking any lock.
func (f *Folder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	bits, kws, err := splitFlags(flags)
	if err != nil {
		return storage.Message{}, f.errorf("append: %w", err)
	}
	if date.IsZero() {
		date = f.d.now()
	}
	br := bufio.NewReaderSize(r, messageBuffer)
	from := fromLine(senderOf(br), date)
	return f.appendLocked(bits, kws, from, func(file *os.File, off int64, sep, base, ours []byte) error {
		head := append(append(sep, from...), base...)
		return f.writeMessage(file, off, head, ours, br)
	})
}

// appendLocked adds a message at the end of the file under the write
// lock, with the IMAP fields for bits and kws; write writes it at off:
// the separator sep, its From_ line (from), base (X-IMAPbase, in a first
// message), its header fields, ours (Status, X-UID), and the rest. An
// intent (torn.go) says meanwhile that an APPEND is under way, so that a
// crash leaves the whole message or nothing of it. f.mu is held.
func (f *Folder) appendLocked(bits uint8, kws []string, from []byte, write writeFunc) (storage.Message, error) {
	msgs, err := f.appendBatchLocked([]appendItem{{bits: bits, kws: kws, from: from, write: write}})
	if err != nil {
		return storage.Message{}, err
	}
	return msgs[0], nil
}

// writeFunc writes one message at off of file (see appendLocked).
type writeFunc func(file *os.File, off int64, sep, base, ours []byte) error

// appendItem is one message for appendBatchLocked.
type appendItem struct {
	bits  uint8
	kws   []string
	from  []byte // its From_ line
	write writeFunc
}

// appendBatchLocked adds messages one after the other at the end of the
// file under one write lock and one sync, with consecutive UIDs. One
// intent covers them all (an intentBatch names the first message and the
// last one written so far), so that a crash leaves all of them or none,
// never a first part of the batch. f.mu is held.
func (f *Folder) appendBatchLocked(items []appendItem) ([]storage.Message, error) {
	l, err := f.lockFile(true)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	// Read first what others appended, so that their messages get their
	// UIDs below these.
	if err := f.refresh(l.file); err != nil {
		return nil, err
	}
	n := uint32(len(items))
	if uint64(f.uidNext)+uint64(n) > math.MaxUint32 {
		return nil, f.errorf("append: no UIDs left under UIDVALIDITY %d; the mailbox must be recreated", f.validity)
	}
	first := f.uidNext
	start := f.stamp.size
	fi, err := l.file.Stat()
	if err != nil {
		return nil, f.errorf("append: %w", err)
	}
	wasEmpty := len(f.msgs) == 0
	var intent *intentFile
	var head appendIntent // the intent's first message
	size := start
	for k, it := range items {
		uid := first + uint32(k)
		sep, err := separator(l.file, size)
		if err != nil {
			intent.undo(f.cutBack(l.file, start, true))
			return nil, f.errorf("append: %w", err)
		}
		var base []byte
		if wasEmpty && k == 0 {
			base = appendBase(nil, f.validity, first+n)
		}
		ours := appendUID(appendStatus(nil, it.bits, f.kw.set(f.kw.intern(it.kws))), uid)
		if k == 0 {
			head = appendIntent{kind: intentAppend, off: start, from: start + int64(len(sep)), fromLine: it.from}
			if len(items) > 1 {
				head.kind = intentBatch
				head.tail = batchTail(head.from, it.from)
			}
			if intent, err = f.d.startIntent(f.path, fi, head); err != nil {
				return nil, err
			}
		} else {
			intent.update(batchTail(size+int64(len(sep)), it.from))
		}
		if err := it.write(l.file, size, sep, base, ours); err != nil {
			intent.undo(f.cutBack(l.file, start, true))
			return nil, f.errorf("append: %w", err)
		}
		end, err := l.file.Stat()
		if err != nil {
			intent.undo(f.cutBack(l.file, start, true))
			return nil, f.errorf("append: %w", err)
		}
		size = end.Size()
	}
	if !wasEmpty {
		if err := f.updateBase(l.file, first+n); err != nil {
			f.d.log.Warn("mbox: updating X-IMAPbase", "path", f.path, "err", err)
		}
		// The in-place update may touch the bytes that show the file
		// only grew.
		if f.base.off+int64(f.base.n) > start-tailWindow {
			if f.tailSum, err = tailSum(l.file, start); err != nil {
				intent.undo(f.cutBack(l.file, start, false))
				return nil, f.errorf("append: %w", err)
			}
		}
	}
	if err := l.file.Sync(); err != nil {
		intent.undo(f.cutBack(l.file, start, wasEmpty))
		return nil, f.errorf("append: %w", err)
	}
	intent.end()
	f.uidNext = first + n
	if err := f.refresh(l.file); err != nil {
		return nil, err
	}
	msgs := make([]storage.Message, len(items))
	for k := range items {
		uid := first + uint32(k)
		i := f.find(uid)
		if i < 0 {
			return nil, f.errorf("append: the new message %d is not where it was written", uid)
		}
		m := &f.msgs[i]
		msgs[k] = storage.Message{UID: uid, Flags: f.flagSlice(f.flagsOf(m)), InternalDate: time.Unix(m.date, 0),
			Size: m.size, New: m.bits&bitOld == 0}
	}
	return msgs, nil
}

// cutBack undoes a failed append: the file is cut back to size, its old
// end, and synced, under the write lock; it reports whether it was. When
// nothing before the end was changed (clean: X-IMAPbase was not
// updated), the state in memory stays valid for it: the file's new stamp
// is taken, so that it need not be parsed again.
func (f *Folder) cutBack(file *os.File, size int64, clean bool) bool {
	if err := file.Truncate(size); err != nil {
		f.d.log.Error("mbox: cannot cut a failed append off the mailbox", "path", f.path, "size", size, "err", err)
		return false
	}
	if err := file.Sync(); err != nil {
		f.d.log.Error("mbox: cannot sync the mailbox after cutting a failed append off", "path", f.path, "err", err)
	}
	if !clean {
		return true
	}
	if fi, err := file.Stat(); err == nil && fi.Size() == size && f.stamp.size == size {
		if st := stampOf(fi); st.dev == f.stamp.dev && st.ino == f.stamp.ino {
			f.stamp = st
		}
	}
	return true
}

// separator returns what must come before a new message at the end of a
// file of size bytes: nothing, or line endings up to an empty line.
func separator(file *os.File, size int64) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	var b [2]byte
	n := min(size, 2)
	if _, err := file.ReadAt(b[2-n:], size-n); err != nil {
		return nil, err
	}
	switch {
	case b[1] != '\n':
		return []byte("\n\n"), nil
	case b[0] != '\n' && n == 2:
		return []byte("\n"), nil
	}
	return nil, nil
}

// writeMessage writes head, then the message from r with ours inserted
// at the end of its header fields, at offset off of file.
func (f *Folder) writeMessage(file *os.File, off int64, head, ours []byte, r io.Reader) error {
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		return err
	}
	w := bufio.NewWriterSize(file, 64*1024)
	w.Write(head)
	if err := convertMessage(w, r, ours, nil); err != nil {
		return err
	}
	return w.Flush()
}

// convertMessage writes the message from r as an mbox file holds it: its
// header fields without those that carry IMAP state, ours at the end of
// them (mark is called just before, when set), the body with mboxrd
// quoting and LF line endings, and the empty line that ends it. It
// returns the first error from r or w.
func convertMessage(w *bufio.Writer, r io.Reader, ours []byte, mark func()) error {
	insert := func() {
		if mark != nil {
			mark()
		}
		w.Write(ours)
	}
	br := bufio.NewReaderSize(r, messageBuffer) // r itself when it is one
	inHeader, atStart, skip, hideField, pendingCR := true, true, false, false, false
	for {
		piece, err := br.ReadSlice('\n')
		if len(piece) > 0 {
			if pendingCR && piece[0] != '\n' && !skip {
				w.WriteByte('\r')
			}
			pendingCR = false
			n := len(piece)
			complete := piece[n-1] == '\n'
			switch {
			case complete && n >= 2 && piece[n-2] == '\r':
				piece[n-2] = '\n' // CRLF -> LF
				piece = piece[:n-1]
			case !complete && piece[n-1] == '\r' && err == bufio.ErrBufferFull:
				pendingCR, piece = true, piece[:n-1]
			}
			if atStart {
				skip = false
				switch {
				case inHeader && (len(piece) == 1 && piece[0] == '\n'):
					insert()
					inHeader = false
				case inHeader && (piece[0] == ' ' || piece[0] == '\t'):
					skip = hideField
				case inHeader:
					hideField = hiddenField(piece) != fieldNone
					skip = hideField
				}
				if !skip && needsQuote(piece) {
					w.WriteByte('>')
				}
			}
			if !skip {
				w.Write(piece)
			}
			atStart = complete
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if pendingCR && !skip {
		w.WriteByte('\r')
	}
	if !atStart && !skip {
		w.WriteByte('\n')
	}
	if inHeader {
		insert()
	}
	_, err := w.Write([]byte{'\n'})
	return err
}
