package mbox

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// An APPEND cut short by a crash.
//
// Append and Commit write a message at the end of the mbox file under the
// write lock, and sync it. A process killed while it writes leaves the
// first part of the message at the end of the file, which every reader
// (mailgate's next Scan, mutt, imap4d) would take for a message. So before
// it writes, appendLocked records an intent in .NAME.mgappend beside the
// mailbox: its pid and host, the system's boot, the file's device and
// inode, its size before the APPEND (where the APPEND's bytes start, the
// separator first) and the From_ line it writes. Once the message is
// synced the intent is cleared, and only then is the APPEND reported done.
//
// Whoever locks the mailbox next (Driver.lock: any mailgate process, to
// read or to write) and finds an intent that no APPEND under way owns
// removes, before anything reads the file, what that APPEND wrote, whole
// or not (it was never acknowledged): the file is cut back to its old
// size; or, when another program appended after it (one that took the
// lock once ours had died), what that program wrote is moved down over
// it, so that only the APPEND's own bytes go. The end of the APPEND is
// where the first From_ line after its own starts (its content has none:
// mboxrd quotes them). A From_ line inside a line of it may be another
// program's, written without a line ending first: then nothing is cut.
// The move is recorded in the intent file first, with the bytes it moves,
// so that a crash while it moves is finished by the next locker.
//
// The intent is written and cleared without a sync: what a killed process
// wrote is in the page cache, which every later reader sees, so an APPEND
// costs two small writes and no more syncs. After a crash of the whole
// system the intent may describe neither the file nor the message (an
// acknowledged message whose cleared intent was not yet on disk): an
// intent from an earlier boot is dropped and the file left as it is, as
// mbox writers always have.
//
// A MULTIAPPEND writes its messages one after the other under one lock
// and one intent (intentBatch), which names the first message, as an
// APPEND's does, and the last one written so far: the end is looked for
// after that one's From_ line, so the whole batch goes.
//
// While a lock is held no other writer of ours can be appending, so an
// intent found is dead unless this very process is writing it (which only
// "null" locking allows; there a live pid counts too).

// intentMagic starts an intent that is not cleared.
const intentMagic = "mgappnd1"

// intentHeader is the magic, the payload's length (8) and its CRC-32C (4).
const intentHeader = len(intentMagic) + 12

// intentPeek is how much of the intent file is read to tell whether it
// is to be acted on: all of it but a move's bytes.
const intentPeek = 1024

// Kinds of intents.
const (
	intentAppend = 1 // an APPEND writes at the end of the file
	intentMove   = 2 // a recovery moves what others appended over a torn APPEND
	// intentBatch: a MULTIAPPEND writes several messages at the end of
	// the file. off, from and fromLine are its first message's, as for
	// intentAppend; tail holds where the last message written so far
	// starts and its From_ line (batchTail), so that the whole batch is
	// taken away, never only its first message.
	intentBatch = 3
)

// appendIntent is what .NAME.mgappend says.
type appendIntent struct {
	kind     uint8
	pid      int
	host     string
	boot     string
	dev, ino uint64
	off      int64  // the file's size before the APPEND
	from     int64  // where its From_ line starts (off and the separator)
	fromLine []byte // the From_ line, with its line ending
	tail     []byte // intentMove: what goes at from; the file ends after it. intentBatch: batchTail
}

// batchTail encodes, for an intentBatch, where the last message written
// starts (its From_ line, after any separator) and that From_ line.
func batchTail(from int64, fromLine []byte) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, uint64(from)), fromLine...)
}

// lastMessage decodes an intentBatch's tail (batchTail); ok is false
// when it holds none that fits the intent.
func (in *appendIntent) lastMessage() (from int64, fromLine []byte, ok bool) {
	if in.kind != intentBatch || len(in.tail) < 8 {
		return 0, nil, false
	}
	from = int64(binary.LittleEndian.Uint64(in.tail))
	return from, in.tail[8:], from >= in.from
}

// appending holds the intent files that an APPEND of this process is
// writing under.
var appending sync.Map

// intentPath is where the intent of the mbox at path lives.
func intentPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mgappend")
}

func (in *appendIntent) encode() []byte {
	le := binary.LittleEndian
	b := make([]byte, intentHeader, intentHeader+96+len(in.fromLine)+len(in.tail))
	copy(b, intentMagic)
	b = append(b, in.kind)
	b = le.AppendUint32(b, uint32(in.pid))
	b = le.AppendUint64(b, in.dev)
	b = le.AppendUint64(b, in.ino)
	b = le.AppendUint64(b, uint64(in.off))
	b = le.AppendUint64(b, uint64(in.from))
	for _, s := range [][]byte{[]byte(in.host), []byte(in.boot), in.fromLine} {
		b = le.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	b = le.AppendUint64(b, uint64(len(in.tail)))
	b = append(b, in.tail...)
	payload := b[intentHeader:]
	le.PutUint64(b[len(intentMagic):], uint64(len(payload)))
	le.PutUint32(b[len(intentMagic)+8:], crc32.Checksum(payload, fsutil.Castagnoli()))
	return b
}

// decodeIntent reads an intent; ok is false when b holds none (cleared,
// empty, torn or damaged). With a short b (intentPeek), a move's bytes may
// be missing: whole is false then.
func decodeIntent(b []byte) (in appendIntent, whole, ok bool) {
	if len(b) < intentHeader || string(b[:len(intentMagic)]) != intentMagic {
		return in, false, false
	}
	le := binary.LittleEndian
	n := le.Uint64(b[len(intentMagic):])
	payload := b[intentHeader:]
	whole = uint64(len(payload)) >= n
	if whole {
		payload = payload[:n]
		if crc32.Checksum(payload, fsutil.Castagnoli()) != le.Uint32(b[len(intentMagic)+8:]) {
			return in, false, false
		}
	}
	r := &idxReader{b: payload}
	in.kind = r.next(1)[0]
	in.pid = int(r.u32())
	in.dev, in.ino = r.u64(), r.u64()
	in.off, in.from = int64(r.u64()), int64(r.u64())
	var s [3][]byte
	for i := range s {
		s[i] = r.next(int(binary.LittleEndian.Uint16(r.next(2))))
	}
	in.host, in.boot, in.fromLine = string(s[0]), string(s[1]), bytes.Clone(s[2])
	if whole {
		in.tail = bytes.Clone(r.next(int(min(r.u64(), uint64(len(payload))))))
	}
	if r.bad && whole || in.kind < intentAppend || in.kind > intentBatch || in.off < 0 || in.from < in.off {
		return in, false, false
	}
	return in, whole, true
}

// readIntent reads the intent of the mbox at path: only its beginning
// unless all is set.
func readIntent(path string, all bool) (appendIntent, bool) {
	file, err := openRegular(intentPath(path), os.O_RDONLY)
	if err != nil {
		return appendIntent{}, false
	}
	defer file.Close()
	var b []byte
	if all {
		b, err = io.ReadAll(file)
	} else {
		b = make([]byte, intentPeek)
		var n int
		n, err = file.ReadAt(b, 0)
		b = b[:n]
	}
	if err != nil && err != io.EOF {
		return appendIntent{}, false
	}
	in, whole, ok := decodeIntent(b)
	if all && !whole {
		ok = false
	}
	return in, ok
}

// abandoned reports whether in belongs to no APPEND (or move) under way,
// the caller holding the mailbox's lock.
func (d *Driver) abandoned(in appendIntent, path string) bool {
	if in.host == hostTag() && in.pid == os.Getpid() {
		_, busy := appending.Load(intentPath(path))
		return !busy
	}
	if d.typ != "null" {
		return true // its writer held the lock we hold now
	}
	return in.host == hostTag() && !pidAlive(in.pid)
}

// intentFile is an intent being written: cleared by end.
type intentFile struct {
	file *os.File
	name string
	in   appendIntent // what it says
}

// startIntent records in.kind at the mbox at path, which the caller
// holds under the write lock (fi is its file's). Where the intent cannot
// be written the error refuses the APPEND (unwritable.go): a crash in
// its middle would leave it torn.
func (d *Driver) startIntent(path string, fi os.FileInfo, in appendIntent) (*intentFile, error) {
	name := intentPath(path)
	in.pid, in.host, in.boot = os.Getpid(), hostTag(), bootID()
	in.dev, in.ino, _ = fsutil.FileIDs(fi)
	file, err := openRegular(name, os.O_RDWR)
	if errors.Is(err, fs.ErrNotExist) {
		file, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, fi.Mode().Perm()|0o600)
		if err == nil {
			keepOwner(file, fi)
		}
	}
	if err == nil {
		appending.Store(name, true)
		b := in.encode()
		if _, err = file.WriteAt(b, 0); err == nil && in.kind == intentMove {
			err = file.Sync()
		}
		if err != nil {
			appending.Delete(name)
			file.Close()
		}
	}
	if err != nil {
		return nil, d.noIntentError(path, err)
	}
	return &intentFile{file: file, name: name, in: in}, nil
}

// end clears the intent: the APPEND is whole in the file, or nothing of
// it is. A nil intentFile does nothing.
func (i *intentFile) end() {
	if i == nil {
		return
	}
	i.file.WriteAt(make([]byte, len(intentMagic)), 0)
	i.file.Close()
	appending.Delete(i.name)
}

// update replaces the tail of the intent (an intentBatch's batchTail,
// naming the next message), written without a sync as startIntent
// writes it. A nil intentFile does nothing.
func (i *intentFile) update(tail []byte) {
	if i == nil {
		return
	}
	i.in.tail = tail
	i.file.WriteAt(i.in.encode(), 0)
}

// undo ends the intent of an APPEND that failed: cleared when the file
// was cut back (cut), else left for the next locker to act on.
func (i *intentFile) undo(cut bool) {
	if i == nil {
		return
	}
	if cut {
		i.end()
		return
	}
	i.file.Close()
	appending.Delete(i.name)
}

// clearIntent clears the intent of the mbox at path, whoever wrote it.
func clearIntent(path string) {
	if file, err := openRegular(intentPath(path), os.O_WRONLY); err == nil {
		file.WriteAt(make([]byte, len(intentMagic)), 0)
		file.Close()
	}
}

// tornAppend reports whether the mbox at path has an intent that no
// APPEND under way owns, the caller holding its lock.
func (d *Driver) tornAppend(path string) bool {
	in, ok := readIntent(path, false)
	return ok && d.abandoned(in, path)
}

// recoverTorn removes what an APPEND that was cut short left at the end
// of the mbox at path, which the caller holds under the write lock (file),
// as the top of this file says, and clears its intent.
func (d *Driver) recoverTorn(file *os.File, path string) error {
	in, ok := readIntent(path, true)
	if !ok || !d.abandoned(in, path) {
		return nil
	}
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	dev, ino, _ := fsutil.FileIDs(fi)
	switch {
	case in.boot == "" || in.boot != bootID():
		d.log.Warn("mbox: an APPEND was under way when the system stopped; the end of the mailbox is left as it is",
			"path", path, "offset", in.off)
		clearIntent(path)
		return nil
	case dev != in.dev || ino != in.ino:
		// Written anew by another program since: the offsets are void.
		d.log.Warn("mbox: an APPEND was cut short in a file that has been replaced since; leaving it",
			"path", path)
		clearIntent(path)
		return nil
	case in.kind == intentMove && in.from > fi.Size():
		d.log.Warn("mbox: an APPEND intent points past the end of the mailbox; dropping it", "path", path)
		clearIntent(path)
		return nil
	case in.kind == intentMove:
		return d.moveTail(file, path, in)
	}
	size := fi.Size()
	keep, tailAt, ok, err := tornRange(file, size, in)
	if err != nil {
		return err
	}
	if !ok {
		d.log.Info("mbox: the end of the mailbox is not what an APPEND cut short wrote; leaving it", "path", path,
			"offset", in.off)
		clearIntent(path)
		return nil
	}
	if tailAt == size {
		if err := file.Truncate(keep); err != nil {
			return err
		}
		if err := file.Sync(); err != nil {
			return err
		}
		d.log.Info("mbox: removed an APPEND that a crash cut short", "path", path, "offset", in.off,
			"bytes", size-keep)
		clearIntent(path)
		return nil
	}
	tail := make([]byte, size-tailAt)
	if _, err := file.ReadAt(tail, tailAt); err != nil {
		return err
	}
	mv, err := d.startIntent(path, fi, appendIntent{kind: intentMove, off: in.off, from: keep, fromLine: in.fromLine, tail: tail})
	if err != nil {
		return fmt.Errorf("cannot record the move of what others appended after an APPEND cut short: %w", err)
	}
	defer mv.end()
	d.log.Info("mbox: removing an APPEND that a crash cut short, under mail appended after it", "path", path,
		"offset", in.off, "bytes", tailAt-keep, "moved", len(tail))
	return d.moveTail(file, path, appendIntent{from: keep, tail: tail})
}

// moveTail writes in.tail at in.from and ends the file after it, syncs,
// and clears the intent.
func (d *Driver) moveTail(file *os.File, path string, in appendIntent) error {
	if _, err := file.WriteAt(in.tail, in.from); err != nil {
		return err
	}
	if err := file.Truncate(in.from + int64(len(in.tail))); err != nil {
		return err
	}
	if err := file.Sync(); err != nil {
		return err
	}
	clearIntent(path)
	return nil
}

// tornRange finds what the APPEND of in left in file (of size bytes):
// the file is to keep its bytes up to keep, followed by those from tailAt
// on (what others appended after it). ok is false when the bytes at
// in.off are not the APPEND's.
func tornRange(file *os.File, size int64, in appendIntent) (keep, tailAt int64, ok bool, err error) {
	if size <= in.off {
		return size, size, true, nil // cut back already
	}
	sep := make([]byte, min(size, in.from)-in.off)
	if _, err := file.ReadAt(sep, in.off); err != nil {
		return 0, 0, false, err
	}
	if len(bytes.Trim(sep, "\n")) > 0 {
		return 0, 0, false, nil
	}
	if size <= in.from {
		return in.off, size, true, nil
	}
	// Where the message whose end is looked for starts: the APPEND's,
	// or the last one a batch wrote, once its first is found intact.
	from, fromLine := in.from, in.fromLine
	if last, lastLine, isBatch := in.lastMessage(); isBatch && last > in.from {
		have := make([]byte, min(size, in.from+int64(len(in.fromLine)))-in.from)
		if _, err := file.ReadAt(have, in.from); err != nil {
			return 0, 0, false, err
		}
		if !bytes.Equal(have, in.fromLine) {
			return 0, 0, false, nil
		}
		if size <= last {
			return in.off, size, true, nil
		}
		if at, ok, err := othersAtBatchEnd(file, in.from, last, lastLine, size); err != nil || ok {
			return in.from, at, ok, err
		}
		from, fromLine = last, lastLine
	}
	fromEnd := from + int64(len(fromLine))
	have := make([]byte, min(size, fromEnd)-from)
	if _, err := file.ReadAt(have, from); err != nil {
		return 0, 0, false, err
	}
	if m := commonPrefix(have, fromLine); m < len(have) {
		// Cut within its From_ line, then another program's message on
		// a line of its own: ours ends at that line ending.
		if have[m] != '\n' {
			return 0, 0, false, nil
		}
		next, glued, err := nextFromLine(file, from+int64(m)+1, size)
		if err != nil || glued || next != from+int64(m)+1 {
			return 0, 0, false, err
		}
		return in.from, next, true, nil
	}
	if size <= fromEnd {
		return in.off, size, true, nil
	}
	next, glued, err := nextFromLine(file, fromEnd, size)
	switch {
	case err != nil:
		return 0, 0, false, err
	case glued:
		// Perhaps another program's message, written after the torn
		// line without a line ending: nothing is cut that may be its.
		return 0, 0, false, nil
	case next == size:
		return in.off, size, true, nil
	}
	return in.from, next, true, nil
}

// othersAtBatchEnd finds, for a batch whose process died after its
// intent named the next message (at last, with From_ line lastLine) but
// before it wrote that message's From_ line, the From_ line of another
// program that appended afterwards: it starts at a line start among the
// separator bytes before last, or at last (what the batch wrote of its
// separator, at most the two bytes before last). The batch's messages
// carry no From_ line at a line start (mboxrd quotes them), so such a
// line is the other program's, and the batch ends where it starts. ok is
// false when the bytes at last may be the batch's own (a beginning of
// lastLine, and no From_ line glued to it) or when no such From_ line
// is there. A From_ line glued to a beginning of lastLine that reads as
// one starts at last: the batch's bytes in it become part of the other
// message's envelope sender, and no byte of that message is lost.
func othersAtBatchEnd(file *os.File, first, last int64, lastLine []byte, size int64) (at int64, ok bool, err error) {
	start := max(first+1, last-2)
	window := make([]byte, min(size, last+int64(len(lastLine)))-start+1)
	if _, err := file.ReadAt(window, start-1); err != nil {
		return 0, false, err
	}
	if have := window[last-start+1:]; commonPrefix(have, lastLine) == len(have) {
		return 0, false, nil
	}
	lines := false // a line start was seen: only line endings may follow
	for c := start; c <= last; c++ {
		if window[c-start] != '\n' {
			if lines {
				break // a byte that is neither ours nor a separator
			}
			continue // not a line start
		}
		lines = true
		line := make([]byte, min(size-c, maxFromLine))
		if _, err := file.ReadAt(line, c); err != nil {
			return 0, false, err
		}
		if i := bytes.IndexByte(line, '\n'); i >= 0 && bytes.HasPrefix(line, []byte("From ")) {
			if _, ok := parseFromLine(line[:i+1]); ok {
				return c, true, nil
			}
		}
	}
	return 0, false, nil
}

// maxFromLine bounds the From_ line othersAtBatchEnd reads.
const maxFromLine = 1024

// nextFromLine returns the offset of the first From_ line (a line that
// starts "From " with a date that parseFromLine reads) in file between
// start, the start of a line, and size, or size when there is none; and
// whether before it a From_ line starts inside a line (glued).
func nextFromLine(file *os.File, start, size int64) (next int64, glued bool, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(file, start, size-start), 64<<10)
	pos, atStart := start, true
	for {
		piece, err := br.ReadSlice('\n')
		if atStart && len(piece) >= 5 && string(piece[:5]) == "From " {
			if _, ok := parseFromLine(piece); ok {
				return pos, glued, nil
			}
		}
		skip := 0
		if atStart {
			skip = min(len(piece), 1)
		}
		for rest := piece[skip:]; !glued; {
			i := bytes.Index(rest, []byte("From "))
			if i < 0 {
				break
			}
			_, glued = parseFromLine(rest[i:])
			rest = rest[i+1:]
		}
		pos += int64(len(piece))
		atStart = len(piece) > 0 && piece[len(piece)-1] == '\n'
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return size, glued, nil
		default:
			return 0, false, err
		}
	}
}

// commonPrefix returns how many bytes a and b share at their start.
func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
