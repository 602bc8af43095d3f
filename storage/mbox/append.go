package mbox

import (
	"bufio"
	"io"
	"math"
	"os"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// appendSender is the sender in the From_ lines of appended messages, as
// UW imapd writes it: IMAP APPEND knows no envelope sender.
const appendSender = "MAILER-DAEMON"

// Append adds the message at the end of the file under the write lock:
// an empty line first if the last message lacks one, the From_ line with
// date (now when zero), the header fields (any Status, X-UID and the like
// that the message brings are dropped), the IMAP fields, the body with
// mboxrd quoting and LF line endings, and an empty line. The file is
// synced; if anything fails it is cut back to its old size. The first
// message of a mailbox gets X-IMAPbase; in later ones UIDNEXT is updated
// in place when it fits.
func (f *Folder) Append(r io.Reader, flags []string, date time.Time) (storage.Message, error) {
	if err := f.lock(); err != nil {
		return storage.Message{}, err
	}
	defer f.mu.Unlock()
	bits, kws, err := splitFlags(flags)
	if err != nil {
		return storage.Message{}, f.errorf("append: %w", err)
	}
	kw := f.kw.intern(kws)
	if date.IsZero() {
		date = f.d.now()
	}
	l, err := f.lockFile(true)
	if err != nil {
		return storage.Message{}, err
	}
	defer l.unlock()
	// Read first what others appended, so that their messages get their
	// UIDs below this one.
	if err := f.refresh(l.file); err != nil {
		return storage.Message{}, err
	}
	if f.uidNext == math.MaxUint32 {
		return storage.Message{}, f.errorf("append: no UIDs left under UIDVALIDITY %d; the mailbox must be recreated", f.validity)
	}
	uid := f.uidNext
	size := f.stamp.size
	head, err := separator(l.file, size)
	if err != nil {
		return storage.Message{}, f.errorf("append: %w", err)
	}
	head = append(head, fromLine(appendSender, date)...)
	if len(f.msgs) == 0 {
		head = appendBase(head, f.validity, uid+1)
	}
	ours := appendUID(appendStatus(nil, bits, f.kw.set(kw)), uid)
	if err := f.writeMessage(l.file, size, head, ours, r); err != nil {
		if terr := l.file.Truncate(size); terr == nil {
			l.file.Sync()
		}
		return storage.Message{}, f.errorf("append: %w", err)
	}
	if len(f.msgs) > 0 {
		if err := f.updateBase(l.file, uid+1); err != nil {
			f.d.log.Warn("mbox: updating X-IMAPbase", "path", f.path, "err", err)
		}
		// The in-place update may touch the bytes that show the file
		// only grew.
		if f.base.off+int64(f.base.n) > size-tailWindow {
			if f.tailSum, err = tailSum(l.file, size); err != nil {
				return storage.Message{}, f.errorf("append: %w", err)
			}
		}
	}
	if err := l.file.Sync(); err != nil {
		l.file.Truncate(size)
		return storage.Message{}, f.errorf("append: %w", err)
	}
	f.uidNext = uid + 1
	if err := f.refresh(l.file); err != nil {
		return storage.Message{}, err
	}
	i := f.find(uid)
	if i < 0 {
		return storage.Message{}, f.errorf("append: the new message is not where it was written")
	}
	m := &f.msgs[i]
	return storage.Message{UID: uid, Flags: f.flagSlice(f.flagsOf(m)), InternalDate: time.Unix(m.date, 0),
		Size: m.size, New: m.bits&bitOld == 0}, nil
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
	br := bufio.NewReaderSize(r, 64*1024)
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
					w.Write(ours)
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
		w.Write(ours)
	}
	w.WriteByte('\n')
	return w.Flush()
}
