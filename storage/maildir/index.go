package maildir

import (
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mailgate/mailgate/internal/bufpool"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file decides when a Folder reads and writes its maildir's index
// file (indexfile.go holds the format).
//
// The index is written after a scan whose stamp is trusted (new/ and cur/
// untouched for stableAge before it), and when a Folder closes while the
// index is stale and the directories are quiet: never on APPEND, STORE or
// EXPUNGE, which would cost a write of the whole index each. A change,
// ours or another program's, changes the directories' times and so
// makes the index stale by itself: nothing has to remove it.

// loadIndex answers Scan from the index file when it records exactly st,
// the state new/ and cur/ are in now, and the UID counters that .mu-prop
// holds now. Any doubt makes it return false, and Scan reads the
// directories.
func (f *Folder) loadIndex(st dirStamp) (storage.Snapshot, bool) {
	if _, ok := f.useIndex(st, true); !ok {
		return storage.Snapshot{}, false
	}
	return f.snapshot(), true
}

// useIndex makes the index file the Folder's state, as loadIndex
// does, and returns it, without building the messages. It reads the
// head, and the records too when withRecords is set: then damaged
// records make it return false.
func (f *Folder) useIndex(st dirStamp, withRecords bool) (*index, bool) {
	if !st.stableAt(time.Now()) {
		return nil, false
	}
	file, fi, err := fsutil.OpenRegular(filepath.Join(f.path, indexFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.log.Debug("maildir: index not read", "path", f.path, "err", err)
		}
		return nil, false
	}
	defer file.Close()
	hdr, start, err := readIndexStart(file)
	if err != nil || !hdr.stamp.same(st) {
		return nil, false
	}
	p, err := readProps(f.path)
	if err != nil || p.UIDValidity == 0 || p.UIDValidity != hdr.validity || p.UIDNext != hdr.uidNext {
		return nil, false
	}
	idx, err := readIndexHead(file, fi.Size(), hdr, start)
	if err != nil {
		f.log.Debug("maildir: index not used", "path", f.path, "err", err)
		return nil, false
	}
	if idx.indexHeader != hdr {
		return nil, false
	}
	if withRecords {
		n := uint64(idx.count) * indexRecordSize
		recs := make([]byte, n)
		if _, err := file.ReadAt(recs, int64(idx.headLen)); err != nil || idx.setRecords(recs) != nil {
			f.log.Debug("maildir: index records not used", "path", f.path, "err", err)
			return nil, false
		}
	}

	dec := f.newFlagDecoder()
	idx.flags = make([][]string, len(idx.letters))
	for i, l := range idx.letters {
		idx.flags[i] = dec.flags(l)
	}
	f.entries, f.lazy = nil, idx
	f.validity, f.uidNext = hdr.validity, max(f.uidNext, hdr.uidNext)
	f.stamp, f.indexed, f.last = st, st, nil
	f.stamp.valid = true
	f.fromIndex = true
	return idx, true
}

// indexCounters returns the UIDVALIDITY and UIDNEXT that the index
// file's head records, when the head is sound (its checksum), else
// zeros. It is the maildir's own record of them for when .mu-prop has
// none (removed by a clean-up of dot files, a restore without it) and
// the Folder knows none: a process that opens the maildir then keeps the
// UIDVALIDITY the other processes hold, rather than make the maildir
// anew and have them all end their sessions. The index may be stale,
// which does not matter here: it is the same maildir's, whose files keep
// their UIDs in their names, and UIDNEXT only grows.
func (f *Folder) indexCounters() (validity, uidNext uint32) {
	file, fi, err := fsutil.OpenRegular(filepath.Join(f.path, indexFile))
	if err != nil {
		return 0, 0
	}
	defer file.Close()
	hdr, start, err := readIndexStart(file)
	if err != nil {
		return 0, 0
	}
	if _, err := readIndexHead(file, fi.Size(), hdr, start); err != nil {
		f.log.Debug("maildir: index counters not used", "path", f.path, "err", err)
		return 0, 0
	}
	return hdr.validity, hdr.uidNext
}

// Summarize answers the first read of a Folder from the index file
// when Scan would (storage.Summarizer): in one pass over its records,
// without building the messages. Afterwards Scan answers from what it
// read, as after loadIndex.
func (f *Folder) Summarize() (storage.Summary, bool) {
	if err := f.lock(); err != nil {
		return storage.Summary{}, false
	}
	defer f.mu.Unlock()
	// What crashed writers left (removeStale) is removed after the
	// answer, by summarized or the first Scan: it costs two readdirs,
	// and it cannot change what the summary says. A batch commit cut
	// short leaves its messages in new/, and then either the index
	// records them there, which Summarize refuses (x.summary), or new/
	// changed after the index was written, which useIndex refuses.
	if f.stamp != (dirStamp{}) || f.lazy != nil || f.entries != nil {
		return storage.Summary{}, false // read before: Scan is cheap
	}
	st, err := f.readStamp()
	if err != nil {
		return storage.Summary{}, false
	}
	x, ok := f.useIndex(st, false)
	if !ok {
		return storage.Summary{}, false
	}
	sum, ok := x.summary(f.validity, f.uidNext)
	if !ok {
		return sum, false
	}
	sum.Messages = func() ([]storage.Message, bool) { return f.summarized(x) }
	return sum, true
}

// summarized returns the messages of the state that x, the index file
// Summarize answered from, records, and true: from its records, or,
// when they cannot be read, from the files in new/ and cur/ that carry
// its UIDs (see entriesFromDirs), and false, since those may show
// another program's changes since (storage.Summary.Messages).
func (f *Folder) summarized(x *index) ([]storage.Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.cleaned {
		f.cleaned = true
		f.removeStale()
	}
	if x.recs != nil {
		return x.messages(), true
	}
	msgs, err := f.recordMessages(x)
	if err != nil && f.lazy == x {
		f.all() // logs, and builds the entries from the directories
		return entriesMessages(f.entries), false
	} else if err != nil {
		return entriesMessages(f.entriesFromDirs(x)), false
	}
	return msgs, true
}

// recordMessages builds the messages of x from its records as they are
// read from the index file (which must still be the one x was read
// from), through a 32 KB buffer, checked as loadRecords checks them, and
// keeps of them only the names' lengths (x.nameLens): the records (20
// bytes a message) are read whole again only when the entries are built
// (all), which the commands that merely read messages do not need.
func (f *Folder) recordMessages(x *index) ([]storage.Message, error) {
	n := uint64(x.count) * indexRecordSize
	file, err := f.openIndexPart(x, x.headLen, n)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return x.messagesFrom(io.NewSectionReader(file, int64(x.headLen), int64(n)))
}

// entriesMessages returns what entries say of their messages.
func entriesMessages(entries []entry) []storage.Message {
	msgs := make([]storage.Message, len(entries))
	for i := range entries {
		msgs[i] = entries[i].message()
	}
	return msgs
}

// saveIndex writes the index file for the scan just made, whose stamp is
// trusted, unless this Folder wrote or read it for that state already. A
// failure only costs the next Folder a scan.
func (f *Folder) saveIndex() {
	if f.stamp.same(f.indexed) || f.noIndex {
		return
	}
	hdr := indexHeader{stamp: f.stamp, validity: f.validity, uidNext: f.uidNext}
	data, err := encodeIndex(hdr, f.all())
	if err == nil {
		err = fsutil.WriteCache(filepath.Join(f.path, indexFile), data, f.perm)
	}
	if err != nil {
		f.log.Debug("maildir: index not written", "path", f.path, "err", err)
		return
	}
	f.indexed, f.datesUnsaved = f.stamp, 0
}

// DeferIndex implements storage.IndexDeferrer: the next scan leaves the
// writing of the index file to WriteIndex, or else to Close.
func (f *Folder) DeferIndex() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deferIndex = true
}

// WriteIndex implements storage.IndexDeferrer: it writes the index file
// that a scan left for later, when the directories are still in the
// state the scan saw. The Folder's lock is held only to take a copy of
// the entries and, at the end, to rename the file written meanwhile into
// place: a command that needs the Folder while the file is encoded and
// written (a FETCH of bodies, a STORE) does not wait for it. DropIndex
// waits for a write under way (indexMu), so that none outlives it. The
// rename is left out when the Folder scanned again meanwhile (that scan
// saved its own index, or found the directories changed). Close waits
// for it too.
func (f *Folder) WriteIndex() {
	f.indexMu.Lock()
	defer f.indexMu.Unlock()
	if err := f.lock(); err != nil {
		return
	}
	if !f.indexPending {
		f.mu.Unlock()
		return
	}
	f.indexPending = false
	st, err := f.readStamp()
	if !f.stamp.valid || err != nil || !st.same(f.stamp) || f.stamp.same(f.indexed) || f.noIndex {
		f.mu.Unlock()
		return // changed since: the next scan writes it
	}
	stamp, dates := f.stamp, f.datesUnsaved
	hdr := indexHeader{stamp: stamp, validity: f.validity, uidNext: f.uidNext}
	entries := slices.Clone(f.all()) // a rename changes an entry in place
	f.mu.Unlock()
	if writeIndexHook != nil {
		writeIndexHook()
	}

	path := filepath.Join(f.path, indexFile)
	data, err := encodeIndex(hdr, entries)
	var tmp string
	if err == nil {
		tmp, err = fsutil.WriteCacheTemp(path, data, f.perm)
	}
	if err != nil {
		f.log.Debug("maildir: index not written", "path", f.path, "err", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Close and DropIndex wait for this write (indexMu): the Folder is
	// open and its maildir still at path.
	if f.stamp != stamp || f.stamp.same(f.indexed) {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		f.log.Debug("maildir: index not written", "path", f.path, "err", err)
		return
	}
	f.indexed, f.datesUnsaved = stamp, max(f.datesUnsaved-dates, 0)
}

// writeIndexHook, when set (by tests), runs in WriteIndex once it has
// copied the entries and let go of the Folder's lock, before it encodes
// them.
var writeIndexHook func()

// DropIndex implements storage.IndexDeferrer: the maildir is being
// deleted or renamed, and the Folder writes its index file no more. A
// write under way (WriteIndex) ends first.
func (f *Folder) DropIndex() {
	f.indexMu.Lock()
	defer f.indexMu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.indexPending, f.datesUnsaved, f.noIndex = false, 0, true
}

// metaIndexMin is how many files a scan must have learnt from the disk
// (statted, or read whole for their size) for saveMetaIndex to pay.
const metaIndexMin = 256

// saveMetaIndex writes the index file for a scan whose stamp is not
// trusted (the directories changed just before it, as a delivery or a
// copy of the mailbox does), with a stamp that no state matches: no
// Scan is answered from it, but the next process's scan learns the
// files from it (seedMeta) instead of statting, or for names without
// W= reading, every one of them again.
func (f *Folder) saveMetaIndex() {
	if f.noIndex {
		return
	}
	hdr := indexHeader{validity: f.validity, uidNext: f.uidNext}
	data, err := encodeIndex(hdr, f.all())
	if err == nil {
		err = fsutil.WriteCache(filepath.Join(f.path, indexFile), data, f.perm)
	}
	if err != nil {
		f.log.Debug("maildir: index of the files not written", "path", f.path, "err", err)
		return
	}
	f.indexed, f.datesUnsaved = dirStamp{}, 0
}

// refreshIndex runs before the Folder closes. When the index file does
// not record the directories' present state (changes since it was
// written, or it never was) and they have been quiet for stableAge, it
// scans once more, which writes the index, so that the next process to
// open the maildir need not. f.mu is held.
func (f *Folder) refreshIndex() {
	if f.stamp == (dirStamp{}) || f.noIndex {
		return // never scanned, or being deleted or renamed
	}
	st, err := f.readStamp()
	if err != nil {
		return // gone: deleted or renamed
	}
	if (f.indexPending || f.datesUnsaved > 0) && f.stamp.valid && st.same(f.stamp) {
		// The entries are the state of the directories, which are
		// still the same ones, with an index write left for later or
		// dates learnt since it was written: keep them for the next
		// process.
		f.indexed = dirStamp{}
		f.saveIndex()
	}
	f.indexPending = false
	if st.same(f.indexed) || !st.stableAt(time.Now()) {
		return
	}
	if f.stamp.valid && st.same(f.stamp) {
		return // this state was scanned and its index saved, or failed to be
	}
	if hdr, err := f.peekIndex(); err == nil && hdr.stamp.same(st) {
		return
	}
	if _, err := f.scanLocked(); err != nil {
		f.log.Debug("maildir: scan before close", "path", f.path, "err", err)
	}
}

// seedMeta returns what the Folder's entries, or else the index file,
// know of each file by base name, for a scan when no Folder in this
// process has scanned the maildir since it was opened. A file's content
// never changes under its base name, so even a stale index tells the
// truth about the files still there, which the scan then need not read.
func (f *Folder) seedMeta() map[string]fileMeta {
	entries := f.all()
	if len(entries) == 0 {
		file, _, err := fsutil.OpenRegular(filepath.Join(f.path, indexFile))
		if err != nil {
			return nil
		}
		defer file.Close()
		idx, err := readIndex(file)
		if err != nil {
			f.log.Debug("maildir: index not used", "path", f.path, "err", err)
			return nil
		}
		entries = idx.entries()
	}
	m := make(map[string]fileMeta, len(entries))
	for i := range entries {
		m[parseName(entries[i].name).base] = entries[i].meta
	}
	return m
}

// peekIndex reads the index file's header.
func (f *Folder) peekIndex() (indexHeader, error) {
	file, _, err := fsutil.OpenRegular(filepath.Join(f.path, indexFile))
	if err != nil {
		return indexHeader{}, err
	}
	defer file.Close()
	hdr, _, err := readIndexStart(file)
	return hdr, err
}

// indexStartSize is how much of the index file readIndexStart reads: the
// header, and with it the whole head of a mailbox whose UIDs are a few
// runs and whose flags are a few combinations (135 bytes for the
// harness's 100,000 messages), so that a cold SELECT reads the head in
// the same pread(2) as the header.
const indexStartSize = 512

// readIndexStart reads the start of the open index file: its header,
// decoded, and the bytes read (at least the header, at most
// indexStartSize), which readIndexHead uses for the head when they hold
// it.
func readIndexStart(file *os.File) (indexHeader, []byte, error) {
	buf := make([]byte, indexStartSize)
	n, err := file.ReadAt(buf, 0)
	if n < indexHeaderSize {
		if err == nil || errors.Is(err, io.EOF) {
			err = errBadIndex
		}
		return indexHeader{}, nil, err
	}
	hdr, err := decodeIndexHeader(buf[:indexHeaderSize])
	return hdr, buf[:n], err
}

// errIndexReplaced means that the index file is not the one read before.
var errIndexReplaced = errors.New("index file replaced meanwhile")

// maxIndexSize bounds what readIndex reads: far more than the index of a
// million messages.
const maxIndexSize = 1 << 30

// readIndexHead reads and checks the open index file's head (header,
// letters and UIDs), whose header is hdr, but not its records or names:
// see loadRecords and loadNames. The file is size bytes long (its size
// when opened: an index file is replaced, never written in place), and
// start is what readIndexStart read of it.
func readIndexHead(file *os.File, size int64, hdr indexHeader, start []byte) (*index, error) {
	if size > maxIndexSize || size < indexHeaderSize+indexTrailerSize {
		return nil, errBadIndex
	}
	var tb [indexTrailerSize]byte
	if _, err := file.ReadAt(tb[:], size-indexTrailerSize); err != nil {
		return nil, errBadIndex // shrunk meanwhile, or unreadable
	}
	tr := decodeIndexTrailer(tb[:])
	headLen, ok := indexHeadLen(uint64(size), hdr, tr)
	if !ok {
		return nil, errBadIndex
	}
	if headLen <= uint64(len(start)) {
		return decodeIndexHead(start[:headLen], tr)
	}
	head := make([]byte, headLen)
	if _, err := file.ReadAt(head, 0); err != nil {
		return nil, errBadIndex
	}
	return decodeIndexHead(head, tr)
}

// readIndexPart reads n bytes from offset from of the index file, which
// must still be the one x was read from: its length and trailer must be
// the same.
func (f *Folder) readIndexPart(x *index, from, n uint64) ([]byte, error) {
	file, err := f.openIndexPart(x, from, n)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	buf := make([]byte, n)
	if _, err := file.ReadAt(buf, int64(from)); err != nil {
		return nil, errIndexReplaced
	}
	return buf, nil
}

// openIndexPart opens the index file, which must still be the one x was
// read from (its length and trailer the same), for a read of n bytes from
// offset from.
func (f *Folder) openIndexPart(x *index, from, n uint64) (*os.File, error) {
	file, _, err := fsutil.OpenRegular(filepath.Join(f.path, indexFile))
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	size := uint64(fi.Size())
	if size != x.fileLen() || from > size-indexTrailerSize || n > size-indexTrailerSize-from {
		file.Close()
		return nil, errIndexReplaced
	}
	var tb [indexTrailerSize]byte
	if _, err := file.ReadAt(tb[:], int64(size)-indexTrailerSize); err != nil {
		file.Close()
		return nil, errIndexReplaced
	}
	tr := decodeIndexTrailer(tb[:])
	if tr.length != size || tr.namesLen != x.namesLen || tr.headCRC != x.headCRC || tr.recsCRC != x.recsCRC ||
		tr.crc != x.crc {
		file.Close()
		return nil, errIndexReplaced
	}
	return file, nil
}

// loadRecords reads the records of x, which Summarize answered from
// without them, from the index file, which must still be the one x was
// read from, and checks them against its checksum and head.
func (f *Folder) loadRecords(x *index) error {
	if x.recs != nil {
		return nil
	}
	buf, err := f.readIndexPart(x, x.headLen, uint64(x.count)*indexRecordSize)
	if err != nil {
		return err
	}
	return x.setRecords(buf)
}

// loadNames reads the names of x, whose records (or the names' lengths)
// are read, from the
// index file, which must still be the one x was read from, and checks
// them against its checksum. They are read straight into the string
// that the entries' names share, checksummed on the way.
func (f *Folder) loadNames(x *index) error {
	if x.names != "" {
		return nil
	}
	from, n := x.headLen+uint64(x.count)*indexRecordSize, uint64(x.namesLen)
	file, err := f.openIndexPart(x, from, n)
	if err != nil {
		return err
	}
	defer file.Close()
	var names strings.Builder
	names.Grow(int(n))
	sum := crcWriter{crc: x.recsCRC}
	if m, err := io.Copy(io.MultiWriter(&names, &sum), io.NewSectionReader(file, int64(from), int64(n))); err != nil || uint64(m) != n {
		return errIndexReplaced // shrunk meanwhile, or unreadable
	}
	return x.takeNames(names.String(), sum.crc)
}

// readName reads the name of message i of x, whose records (or the
// names' lengths, x.nameLens) are read,
// alone from the index file, which must still be the one x was read
// from, and checks it as loadNames checks them all: the names'
// checksum, computed as they pass through a small buffer, and that it is
// a plain file name. A FETCH of one message's body in a fresh process
// then holds one name, not every name of the mailbox.
func (f *Folder) readName(x *index, i int) (string, error) {
	from, n := x.headLen+uint64(x.count)*indexRecordSize, uint64(x.namesLen)
	file, err := f.openIndexPart(x, from, n)
	if err != nil {
		return "", err
	}
	defer file.Close()
	start, size := x.nameSpan(i)
	name := make([]byte, 0, size)
	sum := crcWriter{crc: x.recsCRC}
	chunk := bufpool.Get() // the message's read, next, takes it again
	defer bufpool.Put(chunk)
	buf := chunk[:min(n, bufpool.Size)]
	r := io.NewSectionReader(file, int64(from), int64(n))
	for pos := uint64(0); pos < n; {
		chunk := buf[:min(uint64(len(buf)), n-pos)]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return "", errIndexReplaced // shrunk meanwhile, or unreadable
		}
		sum.Write(chunk)
		// The part of the name in this chunk, if any.
		if lo, hi := max(start, pos), min(start+size, pos+uint64(len(chunk))); lo < hi {
			name = append(name, chunk[lo-pos:hi-pos]...)
		}
		pos += uint64(len(chunk))
	}
	if !x.namesSumOK(sum.crc) || !plainName(string(name)) {
		return "", errBadIndex
	}
	return string(name), nil
}

// crcWriter computes the CRC-32C of what is written to it, from crc on.
type crcWriter struct{ crc uint32 }

func (w *crcWriter) Write(p []byte) (int, error) {
	w.crc = crc32.Update(w.crc, fsutil.Castagnoli(), p)
	return len(p), nil
}

// readIndex reads and decodes the whole open index file.
func readIndex(file *os.File) (*index, error) {
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxIndexSize {
		return nil, errBadIndex
	}
	data := make([]byte, fi.Size())
	if _, err := file.ReadAt(data, 0); err != nil {
		if errors.Is(err, io.EOF) {
			err = errBadIndex // shrunk meanwhile
		}
		return nil, err
	}
	return decodeIndex(data)
}
