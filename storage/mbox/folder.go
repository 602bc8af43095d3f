package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/mailgate/mailgate/storage"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// Folder is an open mbox file. It implements storage.Folder.
//
// It keeps in memory where each message lies in the file, so that Scan of
// an unchanged file costs one stat(2) and Open reads just the message.
type Folder struct {
	d    *Driver
	path string
	perm os.FileMode

	mu     sync.Mutex
	closed bool
	// rewriting is set while a rewrite writes the new file without mu;
	// idle (on mu) is signalled when it ends.
	rewriting bool
	idle      sync.Cond

	// What the file held when last read under the lock.
	loaded     bool
	stamp      stamp
	tailSum    uint32 // CRC of the tailWindow bytes before stamp.size
	msgs       []msg  // in file order, which is UID order
	validity   uint32
	uidNext    uint32
	base       baseLine // the first message's X-IMAPbase
	uwValidity uint32   // from UW's X-IMAP pseudo-message, when there is one
	uwNext     uint32
	kw         kwTable
	uidTop     uint32 // the highest UID any message had under validity
	// partial: the file ended inside its last message, which a writer
	// that takes no lock may still be writing; the next parse finds it
	// by its offset, and the sidecar index waits until it settles.
	partial bool
	// untrusted: the state came from a sidecar index that does not
	// describe the file; the next parse decides what of it applies.
	untrusted bool
	// unsettled is the stamp of a replaced file found half written, kept
	// so that Scan does not parse it again until it changes.
	unsettled stamp
	// missingEmpty: a missing file reads as an empty mailbox (spool.go).
	missingEmpty bool
	vanished     []vanishedMsg   // messages that vanished from a file others changed
	vanishedSet  map[uint64]bool // their identities, made when needed
	jnl          *journal        // flag changes waiting for a rewrite, on disk

	pending     map[uint32]want // flag changes not yet in the file
	mustRewrite bool            // the UIDs in the file are void: rewrite it
	renumbered  uint32          // ... and this was the file's UIDVALIDITY
	told        uint32          // the UIDVALIDITY of the last snapshot
	timer       *time.Timer
	due         time.Time // when timer fires; zero when it is not set
	backoff     time.Duration
	lastRewrite time.Duration // how long the last rewrite took
	indexStale  bool
	retired     []retiredFile
	flagSets    map[want][]string // shared Flags slices

	// Test hooks.
	parses       int          // parse passes
	parsedBytes  int64        // bytes they read
	rewrites     int          // rewrites made
	beforeRename func() error // runs between a rewrite's sync and rename
	duringWrite  func()       // runs as a rewrite starts writing, without mu
	journalLimit int64        // journalCompactAt when zero
}

var _ storage.Folder = (*Folder)(nil)

// msg is one message of the file.
type msg struct {
	off    int64  // the From_ line
	start  int64  // after the From_ line
	end    int64  // end of the content, the separator excluded
	date   int64  // INTERNALDATE, Unix seconds
	size   int64  // RFC822.SIZE
	hash   uint64 // identity, to find its UID again after a rewrite by others
	uid    uint32
	kw     uint32 // keyword set, in the Folder's kwTable
	bits   uint8  // flags as the file holds them
	inFile bool   // the file carries its UID in X-UID
}

// want is a set of flags: bits and a keyword set.
type want struct {
	bits uint8
	kw   uint32
}

// baseLine is where the first message's X-IMAPbase field lies.
type baseLine struct {
	off      int64 // -1: none
	n        int   // its length, line ending included
	validity uint32
	next     uint32
}

// stamp identifies a state of the file: a rewrite, an append or a change
// in place each change at least one field.
type stamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

func stampOf(fi os.FileInfo) stamp {
	dev, ino, ctime := fsutil.FileIDs(fi)
	return stamp{dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: ctime}
}

func (f *Folder) errorf(format string, args ...any) error {
	return fmt.Errorf("mbox %s: "+format, append([]any{f.path}, args...)...)
}

// errClosed is returned by every method after Close.
var errClosed = errors.New("folder is closed")

// lock takes the Folder's mutex and checks that it is open.
func (f *Folder) lock() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return f.errorf("%w", errClosed)
	}
	return nil
}

// Scan reads the file when it changed since the last look: only its new
// tail when it just grew, from the sidecar index when a fresh Folder finds
// one that matches, otherwise whole. Messages without an X-UID get UIDs
// above every earlier one, kept in memory and in the sidecar index until
// a rewrite writes them into the file. Flags slices are shared between
// messages: callers must not modify them.
func (f *Folder) Scan() (storage.Snapshot, error) {
	if err := f.lock(); err != nil {
		return storage.Snapshot{}, err
	}
	defer f.mu.Unlock()
	if len(f.retired) > 0 {
		f.salvage()
	}
	if f.loaded {
		fi, err := os.Lstat(f.path)
		if err == nil {
			st := stampOf(fi)
			if (st == f.stamp && !f.partialDue(fi)) || (st == f.unsettled && f.young(fi)) {
				return f.snapshot(), nil
			}
		} else if f.missing(err) {
			f.readMissing() // an empty spool file removed (spool.go)
			return f.snapshot(), nil
		}
	}
	l, err := f.lockFile(false)
	if f.missing(err) {
		f.readMissing()
		return f.snapshot(), nil
	}
	if err != nil {
		return storage.Snapshot{}, err
	}
	defer l.unlock()
	if err := f.refresh(l.file); err != nil {
		if errors.Is(err, errUnsettled) && f.loaded {
			// Another program writes the file anew without a lock: what
			// was known stands until it is done.
			f.d.warnOnce("unsettled:"+f.path, "mbox: the mailbox file is being written by another program without a lock; waiting for it",
				"path", f.path)
			return f.snapshot(), nil
		}
		return storage.Snapshot{}, err
	}
	if f.mustRewrite {
		f.schedule(max(f.d.flush, 0))
	}
	return f.snapshot(), nil
}

// sameNumbering reports whether UIDs mean what they meant in the last
// snapshot Scan returned: after a new UIDVALIDITY, the caller's UIDs
// name other messages, or none, until it scans again.
func (f *Folder) sameNumbering() bool {
	return f.told == 0 || f.told == f.validity
}

// snapshot returns the state in memory, pending flag changes applied.
func (f *Folder) snapshot() storage.Snapshot {
	f.told = f.validity
	msgs := make([]storage.Message, len(f.msgs))
	for i := range f.msgs {
		m := &f.msgs[i]
		w := f.flagsOf(m)
		msgs[i] = storage.Message{
			UID:          m.uid,
			Flags:        f.flagSlice(w),
			InternalDate: time.Unix(m.date, 0),
			Size:         m.size,
			New:          w.bits&bitOld == 0,
		}
	}
	return storage.Snapshot{UIDValidity: f.validity, UIDNext: f.uidNext, Messages: msgs}
}

// flagsOf returns the message's flags, pending changes applied.
func (f *Folder) flagsOf(m *msg) want {
	if len(f.pending) > 0 {
		if w, ok := f.pending[m.uid]; ok {
			return w
		}
	}
	return want{bits: m.bits, kw: m.kw}
}

// flagSlice returns the sorted flags of w, shared between messages.
func (f *Folder) flagSlice(w want) []string {
	w.bits &= bitsIMAP
	if s, ok := f.flagSets[w]; ok {
		return s
	}
	var s []string
	for _, bf := range bitFlags {
		if w.bits&bf.bit != 0 {
			s = append(s, bf.flag)
		}
	}
	s = append(s, f.kw.set(w.kw)...)
	sort.Strings(s)
	if f.flagSets == nil {
		f.flagSets = make(map[want][]string)
	}
	f.flagSets[w] = s
	return s
}

// find returns the index of uid in f.msgs, or -1.
func (f *Folder) find(uid uint32) int {
	i := sort.Search(len(f.msgs), func(i int) bool { return f.msgs[i].uid >= uid })
	if i < len(f.msgs) && f.msgs[i].uid == uid {
		return i
	}
	return -1
}

// Open returns the message as clients see it: without the From_ line and
// the fields that carry IMAP state, with mboxrd quoting undone. It reads
// the message into memory under the lock, so that no other program can
// change it meanwhile.
func (f *Folder) Open(uid uint32) (io.ReadCloser, error) {
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	i := f.find(uid)
	if i < 0 || !f.sameNumbering() {
		return nil, f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	if rc, ok := f.openStream(&f.msgs[i]); ok {
		return rc, nil
	}
	l, err := f.lockFile(false)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	if err := f.refresh(l.file); err != nil {
		return nil, err
	}
	if i = f.find(uid); i < 0 || !f.sameNumbering() {
		return nil, f.errorf("uid %d: %w", uid, storage.ErrNoMessage)
	}
	if rc, ok := f.openStream(&f.msgs[i]); ok {
		return rc, nil
	}
	m := &f.msgs[i]
	raw := make([]byte, m.end-m.start)
	if _, err := l.file.ReadAt(raw, m.start); err != nil {
		return nil, f.errorf("uid %d: read: %w", uid, err)
	}
	return io.NopCloser(bytes.NewReader(clientView(raw))), nil
}

// openStream opens the file and returns a reader of message m as clients
// see it, streamed so that a 50 MB message is never held in memory. It
// needs no mailbox lock: the open file must be exactly the file last read
// under the lock (same inode, size and times), and other programs only
// append to a file or replace it, never change bytes in place, so its
// bytes up to the end of m stay as they were while the reader runs.
func (f *Folder) openStream(m *msg) (io.ReadCloser, bool) {
	if !f.loaded {
		return nil, false
	}
	file, err := openRegular(f.path, os.O_RDONLY)
	if err != nil {
		return nil, false
	}
	if fi, err := file.Stat(); err != nil || stampOf(fi) != f.stamp {
		file.Close()
		return nil, false
	}
	br := bufio.NewReaderSize(io.NewSectionReader(file, m.start, m.end-m.start), 16*1024)
	return &viewReader{br: br, file: file, inHeader: true}, true
}

// viewReader streams a message as clientView would return it.
type viewReader struct {
	br       *bufio.Reader
	file     *os.File
	inHeader bool // still in the message header
	hiding   bool // the current header field is hidden
	midLine  bool // the last chunk ended inside a line longer than br
	skipRest bool // ... and that line is hidden
	pending  []byte
	err      error
}

func (v *viewReader) Read(p []byte) (int, error) {
	for len(v.pending) == 0 {
		if v.err != nil {
			return 0, v.err
		}
		chunk, err := v.br.ReadSlice('\n')
		partial := err == bufio.ErrBufferFull
		if partial {
			err = nil
		}
		if err != nil {
			v.err = err
		}
		if len(chunk) == 0 {
			continue
		}
		start := !v.midLine
		v.midLine = partial
		if !start {
			if !v.skipRest {
				v.pending = chunk
			}
			continue
		}
		hide := false
		if v.inHeader {
			switch {
			case !partial && isBlank(chunk):
				v.inHeader, v.hiding = false, false
			case chunk[0] == ' ' || chunk[0] == '\t':
				hide = v.hiding
			default:
				v.hiding = hiddenField(chunk) != fieldNone
				hide = v.hiding
			}
		}
		v.skipRest = hide
		if hide {
			continue
		}
		if chunk[0] == '>' && quoted(chunk) {
			chunk = chunk[1:]
		}
		v.pending = chunk
	}
	n := copy(p, v.pending)
	v.pending = v.pending[n:]
	return n, nil
}

// Close closes the file.
func (v *viewReader) Close() error { return v.file.Close() }

// clientView turns a message's content, as the file holds it, into what
// clients see, in place: hidden header fields go, and one '>' of every
// quoted From_ line.
func clientView(raw []byte) []byte {
	out := raw[:0]
	inHeader, hiding := true, false
	for len(raw) > 0 {
		n := bytes.IndexByte(raw, '\n') + 1
		if n == 0 {
			n = len(raw)
		}
		line := raw[:n]
		raw = raw[n:]
		if inHeader {
			switch {
			case isBlank(line):
				inHeader, hiding = false, false
			case line[0] == ' ' || line[0] == '\t':
				if hiding {
					continue
				}
			default:
				hiding = hiddenField(line) != fieldNone
				if hiding {
					continue
				}
			}
		}
		if line[0] == '>' && quoted(line) {
			line = line[1:]
		}
		out = append(out, line...)
	}
	return out
}

// Expunge rewrites the file without the messages, writing pending flag
// changes with it. UIDs that are gone already are skipped.
func (f *Folder) Expunge(uids []uint32) error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if !f.sameNumbering() {
		return f.errorf("expunge: %w (the mailbox has a new UIDVALIDITY)", storage.ErrNoMessage)
	}
	gone := make(map[uint32]bool, len(uids))
	for _, uid := range uids {
		if f.find(uid) >= 0 {
			gone[uid] = true
		}
	}
	if len(gone) == 0 {
		return nil
	}
	return f.rewrite(gone, false)
}

// WatchPaths returns the mbox file, which appends change, and its
// directory, where rewrites rename a new file over it.
func (f *Folder) WatchPaths() []string {
	return []string{f.path, filepath.Dir(f.path)}
}

// Close writes pending flag changes and the sidecar index, and forgets
// the Folder's state; later calls fail.
func (f *Folder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	if err := f.waitRewrite(); err != nil {
		return nil // closed meanwhile
	}
	var err error
	if len(f.pending) > 0 || f.mustRewrite {
		err = f.rewrite(nil, false)
	}
	if len(f.retired) > 0 {
		f.salvage()
	}
	if f.indexStale {
		f.writeIndex()
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	for _, r := range f.retired {
		r.file.Close()
	}
	f.closeJournal()
	f.closed = true
	f.msgs, f.pending, f.retired, f.flagSets = nil, nil, nil, nil
	return err
}
