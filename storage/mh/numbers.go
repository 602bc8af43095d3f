package mh

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// numbersFile records which file (by inode number and generation) each
// message number stood for when mailgate last bound the number to a UID,
// so that a new process tells, as a Folder does between two of its
// scans, a number that another program gave to another file meanwhile
// (nmh's sortm, folder -pack, rmm then inc): everything mailgate keeps
// per UID (the core's cache of envelopes and body structures, EMAILIDs,
// modseqs, the full-text index) describes the file the number stood
// for, and clients hold the UID as that message. The file lives and
// goes with the folder.
const numbersFile = ".mailgate-numbers"

// numbersMagic starts a numbers file; the version is its last byte, and
// a file of another version is rebuilt, never read.
var numbersMagic = []byte("MGMHNUM1")

// The layout of a numbers file, all numbers big-endian:
//
//	snapshot  magic (8 bytes), UIDVALIDITY u32, UIDNEXT u32, the folder
//	          directory's inode, birth time and generation (3 × u64),
//	          entry count u32; per entry (numbers ascending) the number
//	          u32, the file's inode u64 and the inode's generation u32
//	          (0 where the file system keeps none); CRC-32 (IEEE) u32 of
//	          the snapshot before it
//	records   what appends and expunges changed since, each appended to
//	          the file: kind u8 ('+' a number bound, '-' a number freed),
//	          number u32, inode u64 and generation u32 (0 for '-'),
//	          UIDNEXT u32 (raised to it), CRC-32 u32 of the record's 21
//	          bytes before it
//
// An append writes one record rather than the whole file again (whose
// 160 KB at 10,000 messages every later sync of the file system would
// wait for); a scan that finds the file not as the folder is, or a write
// when the records outgrow an eighth of the snapshot, writes a new
// snapshot. A reader applies the records in one pass (see apply), and
// the fold bounds them to an eighth of the snapshot (or
// minNumbersRecords): reading them costs no more than the snapshot.
//
// The records are not synced: after a crash of the system the last ones
// may be cut short or zeros. A bad tail (no whole record with a good
// checksum after the first bad one) costs only those records: the
// snapshot and the records before them hold, and the next locked scan
// writes a new snapshot. A lost '+' is of a number at or above the
// UIDNEXT before it, which a reader takes as new anyway. A bad record
// with a good one after it is damage, and the whole file is then
// rebuilt, never trusted.
const (
	numbersHeaderLen = 8 + 4 + 4 + 3*8 + 4
	numbersEntryLen  = 4 + 8 + 4
	numbersRecordLen = 1 + 4 + 8 + 4 + 4 + 4
	// maxNumbersFile bounds what is read of a numbers file: five
	// million messages, with records for an eighth of them.
	maxNumbersFile = numbersHeaderLen + 5_000_000*numbersEntryLen + 4 + 5_000_000/8*numbersRecordLen
	// minNumbersRecords is how many records a file may hold, whatever
	// its snapshot's size, before a write replaces it with a snapshot.
	minNumbersRecords = 64
)

// numbering is the content of a numbers file: the message numbers below
// uidNext that hold a file mailgate bound, with that file's inode. A
// number at or above uidNext that it does not list is new to it; one
// below that it does not list held no message.
type numbering struct {
	validity uint32
	uidNext  uint32
	dir      dirID
	entries  []numberEntry // numbers ascending
	// torn says that the file ended in records cut short (see the
	// layout), which were left out: it is to be written again.
	torn bool
}

// numberEntry is one message number and its file's inode number and
// generation (see sameMessage).
type numberEntry struct {
	num uint32
	ino uint64
	gen uint32
}

// dirID identifies a folder directory: a numbering holds only for the
// directory it was written in. A copy of the folder (rsync, a restore
// from a backup, a move to another file system) has other inode numbers
// throughout, and its directory another identity. The device number is
// left out: it may change at a reboot.
type dirID [3]uint64

// dirIDOf returns the identity of the directory at path, and false when
// it cannot be had or the platform gives no inode numbers.
func dirIDOf(path string) (dirID, bool) {
	id, ok := fsutil.Identity(path)
	if !ok || id[1] == 0 {
		return dirID{}, false
	}
	return dirID{id[1], id[2], id[3]}, true
}

// errBadNumbers means a numbers file is not ours, of another version, or
// damaged.
var errBadNumbers = errors.New(numbersFile + " is damaged or of another version")

// encode returns the file's bytes.
func (n *numbering) encode() []byte {
	b := make([]byte, 0, numbersHeaderLen+numbersEntryLen*len(n.entries)+4)
	b = append(b, numbersMagic...)
	b = binary.BigEndian.AppendUint32(b, n.validity)
	b = binary.BigEndian.AppendUint32(b, n.uidNext)
	for _, v := range n.dir {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(n.entries)))
	for _, e := range n.entries {
		b = binary.BigEndian.AppendUint32(b, e.num)
		b = binary.BigEndian.AppendUint64(b, e.ino)
		b = binary.BigEndian.AppendUint32(b, e.gen)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// parseNumbering checks data and returns the numbering it holds, its
// records applied to its snapshot: our magic and version, the checksums,
// the length the count says, numbers that ascend from 1, and records of
// known kinds. Records cut short at the end are left out (torn).
func parseNumbering(data []byte) (numbering, error) {
	var n numbering
	if len(data) < numbersHeaderLen+4 || !bytes.Equal(data[:len(numbersMagic)], numbersMagic) {
		return n, errBadNumbers
	}
	count := uint64(binary.BigEndian.Uint32(data[numbersHeaderLen-4:]))
	snapLen := numbersHeaderLen + count*numbersEntryLen + 4
	if snapLen > uint64(len(data)) {
		return n, errBadNumbers
	}
	body, sum := data[:snapLen-4], binary.BigEndian.Uint32(data[snapLen-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return n, errBadNumbers
	}
	p := body[len(numbersMagic):]
	n.validity, n.uidNext = binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
	for i := range n.dir {
		n.dir[i] = binary.BigEndian.Uint64(p[8+8*i:])
	}
	p = p[36:]
	n.entries = make([]numberEntry, count)
	prev := uint32(0)
	for i := range n.entries {
		e := numberEntry{num: binary.BigEndian.Uint32(p), ino: binary.BigEndian.Uint64(p[4:]), gen: binary.BigEndian.Uint32(p[12:])}
		if e.num <= prev {
			return numbering{}, errBadNumbers
		}
		n.entries[i], prev, p = e, e.num, p[numbersEntryLen:]
	}
	recs := data[snapLen:]
	changes := make([]numberChange, 0, len(recs)/numbersRecordLen)
	for r := recs; len(r) > 0; r = r[numbersRecordLen:] {
		if !recordSumOK(r) {
			if goodRecordIn(r[min(len(r), numbersRecordLen):]) {
				return numbering{}, errBadNumbers // damaged, not cut short
			}
			n.torn = true
			break
		}
		rec := r[:numbersRecordLen]
		e := numberEntry{num: binary.BigEndian.Uint32(rec[1:]), ino: binary.BigEndian.Uint64(rec[5:]), gen: binary.BigEndian.Uint32(rec[13:])}
		switch {
		case e.num == 0:
			return numbering{}, errBadNumbers
		case rec[0] == '+':
			changes = append(changes, numberChange{e: e})
		case rec[0] == '-' && e.ino == 0 && e.gen == 0:
			changes = append(changes, numberChange{e: e, free: true})
		default:
			return numbering{}, errBadNumbers
		}
		n.uidNext = max(n.uidNext, binary.BigEndian.Uint32(rec[17:]))
	}
	n.apply(changes)
	return n, nil
}

// recordSumOK reports whether r starts with a whole record whose
// checksum is right.
func recordSumOK(r []byte) bool {
	return len(r) >= numbersRecordLen &&
		crc32.ChecksumIEEE(r[:numbersRecordLen-4]) == binary.BigEndian.Uint32(r[numbersRecordLen-4:])
}

// goodRecordIn reports whether recs (records after a bad one) hold one
// whose checksum is right: the bad one was then not the end of a write
// cut short.
func goodRecordIn(recs []byte) bool {
	for ; len(recs) >= numbersRecordLen; recs = recs[numbersRecordLen:] {
		if recordSumOK(recs) {
			return true
		}
	}
	return false
}

// numberChange is what one record says: number e.num now holds the file
// e describes or, when free, no file.
type numberChange struct {
	e    numberEntry
	free bool
}

// apply makes changes, in their order (of two for one number the later
// wins), to n's entries in one pass over them, so that a file with many
// records (one EXPUNGE of thousands of messages appends as many) costs
// little more to read than its snapshot; changes is reordered.
func (n *numbering) apply(changes []numberChange) {
	if len(changes) == 0 {
		return
	}
	slices.SortStableFunc(changes, func(a, b numberChange) int { return cmp.Compare(a.e.num, b.e.num) })
	out := make([]numberEntry, 0, len(n.entries)+len(changes))
	i := 0
	for k, c := range changes {
		if k+1 < len(changes) && changes[k+1].e.num == c.e.num {
			continue // a later change of the number wins
		}
		for i < len(n.entries) && n.entries[i].num < c.e.num {
			out = append(out, n.entries[i])
			i++
		}
		if i < len(n.entries) && n.entries[i].num == c.e.num {
			i++
		}
		if !c.free {
			out = append(out, c.e)
		}
	}
	n.entries = append(out, n.entries[i:]...)
}

// appendRecord appends to b the record of kind ('+' or '-') for e and
// UIDNEXT uidNext.
func appendRecord(b []byte, kind byte, e numberEntry, uidNext uint32) []byte {
	at := len(b)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, e.num)
	b = binary.BigEndian.AppendUint64(b, e.ino)
	b = binary.BigEndian.AppendUint32(b, e.gen)
	b = binary.BigEndian.AppendUint32(b, uidNext)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[at:]))
}

// readNumbering reads the folder's numbers file. A file that is
// missing, not a regular file, not trusted (another user's in a sticky
// folder, see fsutil.TrustedIn), unreadable or damaged gives ok false:
// the folder's numbers are then unknown, and the next locked scan
// replaces the file.
func readNumbering(dir string) (n numbering, ok bool) {
	file, fi, err := fsutil.OpenRegular(filepath.Join(dir, numbersFile))
	if err != nil {
		return n, false
	}
	if !fsutil.TrustedIn(fi, dir) {
		file.Close()
		return n, false
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxNumbersFile+1))
	if err != nil || len(data) > maxNumbersFile {
		return n, false
	}
	n, err = parseNumbering(data)
	return n, err == nil
}

// bound reports whether the numbers file lists c: a file the scan keeps
// whose number is its UID under the folder's UIDVALIDITY (not a stuck
// one, see markStuck).
func bound(c *candidate) bool {
	return !c.skip && !c.stuck
}

// holds reports whether n describes the folder as cands (ascending
// numbers; see bound) show it, under UIDVALIDITY validity and
// UIDNEXT uidNext, in directory dir: nothing to write.
func (n *numbering) holds(validity, uidNext uint32, dir dirID, cands []candidate) bool {
	if n.torn || n.validity != validity || n.uidNext != uidNext || n.dir != dir {
		return false
	}
	i := 0
	for k := range cands {
		c := &cands[k]
		if !bound(c) {
			continue
		}
		if i == len(n.entries) || n.entries[i] != entryOf(c) {
			return false
		}
		i++
	}
	return i == len(n.entries)
}

// numberingOf returns the numbering of the folder as cands (ascending
// numbers; see bound) show it.
func numberingOf(validity, uidNext uint32, dir dirID, cands []candidate) numbering {
	n := numbering{validity: validity, uidNext: uidNext, dir: dir, entries: make([]numberEntry, 0, len(cands))}
	for k := range cands {
		if c := &cands[k]; bound(c) {
			n.entries = append(n.entries, entryOf(c))
		}
	}
	return n
}

// writeNumbering replaces the folder's numbers file with n; the caller
// holds the exclusive folder lock. It is a cache: not synced (the next
// sync of the directory, which every later write of mailgate's makes,
// makes its rename durable), and a damaged one is never read. When it
// cannot be written, the old one is removed, so that no process trusts
// numbers this Folder no longer vouches for; a Folder whose write
// failed tries no more.
func (f *Folder) writeNumbering(n *numbering) {
	if err := fsutil.ReplaceUnsynced(f.path, numbersFile, n.encode(), f.perm); err != nil {
		f.numbersWriteFailed(err)
	}
}

// numbersWriteFailed removes the numbers file that a write could not
// bring up to date, so that no process trusts numbers this Folder no
// longer vouches for, and stops the Folder from trying again.
func (f *Folder) numbersWriteFailed(err error) {
	f.numbersFailed = true
	rerr := os.Remove(filepath.Join(f.path, numbersFile))
	switch {
	case readOnlyErr(err):
		// A folder this user may only read: its owner's processes
		// keep the file.
		f.log.Debug("mh: cannot write "+numbersFile, "dir", f.path, "err", err, "remove", rerr)
	case rerr != nil && !errors.Is(rerr, fs.ErrNotExist):
		f.log.Warn("mh: cannot write or remove "+numbersFile+"; a new process may trust cached values of a renumbered message",
			"dir", f.path, "err", err, "remove", rerr)
	default:
		f.log.Warn("mh: cannot write "+numbersFile+"; new processes will drop the folder's cache and restart its modseqs until it can be written (free space, or let this user write the folder); not retried while the folder stays open",
			"dir", f.path, "err", err)
	}
}

// updateNumbering records in the folder's numbers file that the numbers
// of add now hold their files and those of drop hold none, and raises its
// UIDNEXT to uidNext, under UIDVALIDITY validity; the caller holds the
// exclusive folder lock. It appends records (see the layout above), or
// writes a new snapshot when the records would outgrow an eighth of the
// one there or its end was cut short. A Folder that has not scanned yet
// (a delivery) takes the directory's identity first.
//
// A file that vouched for the numbers without this change would mislead
// the next process (a number that a record of another Folder's raises
// UIDNEXT over, unlisted, is taken for a renumbered file; a freed number
// still bound to its old inode), so whatever keeps the change out of it
// removes it: a file that is not this folder's under validity (the next
// locked scan writes a new one), one that cannot be opened (the same),
// one that cannot be written or removed (numbersWriteFailed). Only a
// missing file is left missing: a new process then reads the folder as
// untold.
func (f *Folder) updateNumbering(validity uint32, add []numberEntry, drop []uint32, uidNext uint32) {
	if f.numbersFailed || (len(add) == 0 && len(drop) == 0) {
		return
	}
	if f.dir == (dirID{}) {
		var ok bool
		if f.dir, ok = dirIDOf(f.path); !ok {
			// No inode numbers here: no numbers file is kept at all,
			// as the scan does (each new process drops the cache).
			f.numbersFailed = true
			return
		}
	}
	var recs []byte
	for _, num := range drop {
		recs = appendRecord(recs, '-', numberEntry{num: num}, uidNext)
	}
	for _, e := range add {
		recs = appendRecord(recs, '+', e, uidNext)
	}
	name := filepath.Join(f.path, numbersFile)
	file, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return // none: the next scan writes one
	}
	if err != nil {
		f.removeNumbers("that cannot be opened", err)
		return
	}
	defer file.Close()
	var head [numbersHeaderLen]byte
	fi, err := file.Stat()
	if err != nil {
		f.removeNumbers("that cannot be opened", err)
		return
	}
	if !fi.Mode().IsRegular() || !readFullAt(file, head[:]) || !bytes.Equal(head[:len(numbersMagic)], numbersMagic) ||
		binary.BigEndian.Uint32(head[8:]) != validity ||
		(dirID{binary.BigEndian.Uint64(head[16:]), binary.BigEndian.Uint64(head[24:]), binary.BigEndian.Uint64(head[32:])}) != f.dir {
		f.removeNumbers("not this folder's under its UIDVALIDITY, or damaged", nil)
		return
	}
	count := int64(binary.BigEndian.Uint32(head[numbersHeaderLen-4:]))
	snapLen := numbersHeaderLen + count*numbersEntryLen + 4
	records := (fi.Size() - snapLen) / numbersRecordLen
	if records+int64(len(recs)/numbersRecordLen) <= max(minNumbersRecords, count/8) && endsWhole(file, fi.Size(), snapLen) {
		// A write cut short (a crash of the system: the records are
		// not synced) costs these records only, see the layout.
		if _, err := file.Write(recs); err != nil {
			f.numbersWriteFailed(err)
		}
		return
	}
	n, ok := readNumbering(f.path)
	if !ok || n.validity != validity || n.dir != f.dir {
		f.removeNumbers("not this folder's under its UIDVALIDITY, damaged or of another user", nil)
		return
	}
	changes := make([]numberChange, 0, len(drop)+len(add))
	for _, num := range drop {
		changes = append(changes, numberChange{e: numberEntry{num: num}, free: true})
	}
	for _, e := range add {
		changes = append(changes, numberChange{e: e})
	}
	n.apply(changes)
	n.uidNext = max(n.uidNext, uidNext)
	f.writeNumbering(&n)
}

// removeNumbers removes a numbers file that an update could not bring
// up to date (why says why, cause is the error if any), so that no
// process trusts it; the next locked scan writes a new one. When it
// cannot be removed, see numbersWriteFailed.
func (f *Folder) removeNumbers(why string, cause error) {
	err := os.Remove(filepath.Join(f.path, numbersFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.numbersWriteFailed(errors.Join(cause, fmt.Errorf("remove one %s: %w", why, err)))
		return
	}
	args := []any{"dir", f.path}
	if cause != nil {
		args = append(args, "err", cause)
	}
	f.log.Info("mh: removed a "+numbersFile+" "+why, args...)
}

// endsWhole reports whether the numbers file, of size bytes and a
// snapshot of snapLen, ends in whole records, the last with a good
// checksum: records appended to a tail cut short would follow a bad
// record, which makes the whole file damaged. Such a file is folded.
func endsWhole(file *os.File, size, snapLen int64) bool {
	if size < snapLen || (size-snapLen)%numbersRecordLen != 0 {
		return false
	}
	if size == snapLen {
		return true
	}
	var last [numbersRecordLen]byte
	n, err := file.ReadAt(last[:], size-numbersRecordLen)
	return n == len(last) && (err == nil || err == io.EOF) && recordSumOK(last[:])
}

// numberingFor returns the numbering that st read, when it describes
// this folder directory under UIDVALIDITY validity, else nil.
func (st *folderState) numberingFor(validity uint32, dir dirID) *numbering {
	if !st.numbersOK || validity == 0 || dir == (dirID{}) || st.numbers.validity != validity || st.numbers.dir != dir {
		return nil
	}
	return &st.numbers
}

// find returns what n records of number num.
func (n *numbering) find(num uint32) (numberEntry, bool) {
	i, ok := slices.BinarySearchFunc(n.entries, num, func(e numberEntry, num uint32) int { return cmp.Compare(e.num, num) })
	if !ok {
		return numberEntry{}, false
	}
	return n.entries[i], true
}

// entryOf returns the entry of c's number and file.
func entryOf(c *candidate) numberEntry {
	return numberEntry{num: c.num, ino: c.meta.ino, gen: c.meta.gen}
}

// hasCacheFile reports whether the core keeps a cache file in the folder
// (see CacheFile).
func (f *Folder) hasCacheFile() bool {
	_, err := os.Lstat(f.CacheFile())
	return err == nil
}

// dropCacheFile removes the core's cache file (see CacheFile), whose
// values by UID describe the files the numbers stood for when it was
// written, which nothing tells any more: a folder without a numbers file
// that holds (one written before mailgate kept them, a copy of the
// folder, a damaged one). The caller holds the exclusive folder lock. The
// cache is only a cache: the core derives its values again. When it
// cannot be removed, the values are trusted as before numbers files
// were kept, and the log says so.
func (f *Folder) dropCacheFile() {
	err := os.Remove(f.CacheFile())
	if err == nil {
		f.log.Info("mh: no "+numbersFile+" tells what the folder's numbers stood for; its cache is dropped", "dir", f.path)
		return
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case readOnlyErr(err):
		f.log.Debug("mh: cannot drop the cache of a folder whose numbers nothing tells", "dir", f.path, "err", err)
	default:
		f.log.Warn("mh: cannot drop the cache of a folder whose numbers nothing tells", "dir", f.path, "err", err)
	}
}

// readFullAt reads len(p) bytes of file from its start, and says whether
// it could.
func readFullAt(file *os.File, p []byte) bool {
	n, err := file.ReadAt(p, 0)
	return n == len(p) && (err == nil || err == io.EOF)
}
