package mbox

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// A flag change of a single message waits in memory for the rewrite
// that writes many at once (pending.go). So that it is on disk when
// SetFlags returns, it is first appended to the Folder's journal,
// .NAME.mgflags.PID.HOST.N beside the mbox file, and the journal synced:
// a few hundred bytes and one fsync, where a rewrite writes the whole
// mailbox. A rewrite that has written the changes into the mailbox
// empties the journal.
//
// After a crash, the next Folder to read the mailbox (this process's or
// another's) takes the journals of dead processes over (claimJournals):
// it renames each to a name of its own, so that no two take the same,
// replays the changes into its pending ones, appends them to its own
// journal, and removes the old file; its next rewrite writes them into
// the mailbox.
//
// A record names its message by UIDVALIDITY, UID and identity (the hash
// of its From_ line and visible header fields), and holds its flags as
// the Folder showed them, pending changes included (before), and as the
// change made them (after). Every change of a message's IMAP flags that
// the Folder makes is journaled, a STORE on many messages included, so
// that the records of one message form a chain, each one's before the
// last one's after. A replay follows the chain from the flags the file
// holds: a record applies only onto the flags it was made from. So a
// message keeps the flags of the last change journaled whichever of the
// earlier ones a rewrite wrote, and when another program changed that
// message's flags in the file since, its change stands.
//
// A rewrite that leaves changes pending (made while it wrote) appends a
// checkpoint: a record without UIDVALIDITY or UID, whose identity is the
// journal offset before which every record is in the file now. A replay
// drops those, so that no change that a rewrite wrote, and another
// process changed again since, comes back. A rewrite that leaves none
// pending zeroes the journal instead.
//
// The journal is written in place into zeros written beforehand
// (journalChunk at a time), and synced with fdatasync: a change of the
// file's data alone, not of its size, does not wait for the file
// system's journal, and so not for the megabytes that a rewrite beside
// it has not written out yet. A reader stops at the first zero.
//
// Record layout, little-endian: payload length (4 bytes), CRC-32C of the
// payload (4), then the payload: UIDVALIDITY (4), UID (4), identity (8),
// before and after, each as flag bits (1), keyword length (2) and the
// keywords separated by spaces. A torn last record fails its CRC and
// ends the replay.

// journalCompactAt is the size past which a rewrite that leaves changes
// pending moves them to a fresh journal.
const journalCompactAt = 256 << 10

// journalChunk is how much of the journal is zeroed ahead of its records.
const journalChunk = 64 << 10

// journal is a Folder's open journal.
type journal struct {
	file *os.File
	size int64 // bytes of records
	room int64 // bytes zeroed ahead, from 0
	done int64 // the records before done are in the file (a checkpoint says so)
}

// flagState is a message's flags in a record: IMAP flag bits and
// keywords.
type flagState struct {
	bits uint8
	kws  string
}

// journalRecord is one flag change.
type journalRecord struct {
	validity, uid uint32
	hash          uint64
	before, after flagState
}

// stateOf returns w as a record holds it: without bitOld, which is no
// IMAP flag (Seen marks it, and is not journaled).
func (f *Folder) stateOf(w want) flagState {
	return flagState{bits: w.bits & bitsIMAP, kws: strings.Join(f.kw.set(w.kw), " ")}
}

func appendRecord(b []byte, r journalRecord) []byte {
	le := binary.LittleEndian
	start := len(b)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, r.validity)
	b = le.AppendUint32(b, r.uid)
	b = le.AppendUint64(b, r.hash)
	for _, s := range []flagState{r.before, r.after} {
		b = append(b, s.bits)
		b = le.AppendUint16(b, uint16(len(s.kws)))
		b = append(b, s.kws...)
	}
	payload := b[start+8:]
	le.PutUint32(b[start:], uint32(len(payload)))
	le.PutUint32(b[start+4:], crc32.Checksum(payload, fsutil.Castagnoli()))
	return b
}

// checkpoint returns the record that says that the records before
// offset mark are in the file.
func checkpoint(mark int64) journalRecord { return journalRecord{hash: uint64(mark)} }

// isCheckpoint reports whether r is a checkpoint (no message has UID 0).
func (r journalRecord) isCheckpoint() bool { return r.validity == 0 && r.uid == 0 }

// decodeRecords reads the records of a journal up to the first that is
// torn or damaged, without those that a checkpoint says are in the file.
func decodeRecords(b []byte) []journalRecord {
	le := binary.LittleEndian
	var out []journalRecord
	var offs []int64 // where each of out starts
	at := int64(0)
	for len(b) >= 8 {
		n := int(le.Uint32(b))
		if n < 20 || n > len(b)-8 || crc32.Checksum(b[8:8+n], fsutil.Castagnoli()) != le.Uint32(b[4:]) {
			break
		}
		r := &idxReader{b: b[8 : 8+n]}
		b = b[8+n:]
		start := at
		at += int64(8 + n)
		rec := journalRecord{validity: r.u32(), uid: r.u32(), hash: r.u64()}
		for _, s := range []*flagState{&rec.before, &rec.after} {
			s.bits = r.next(1)[0]
			k := int(binary.LittleEndian.Uint16(r.next(2)))
			s.kws = string(r.next(k))
		}
		if r.bad {
			break
		}
		if rec.isCheckpoint() {
			keep := 0
			for keep < len(offs) && offs[keep] < int64(rec.hash) {
				keep++
			}
			out, offs = out[keep:], offs[keep:]
			continue
		}
		out, offs = append(out, rec), append(offs, start)
	}
	return out
}

// openJournal creates the Folder's journal if it has none; the directory
// is synced so that the new file survives a crash of the system.
func (f *Folder) openJournal() error {
	if f.jnl != nil {
		return nil
	}
	file, err := createOwn(f.path, kindJournal, 0, f.perm|0o600)
	if err != nil {
		return err
	}
	if err := fsutil.SyncDir(filepath.Dir(f.path)); err != nil {
		file.Close()
		removeOwn(file.Name())
		return err
	}
	f.jnl = &journal{file: file}
	return nil
}

// journalWrite appends records to the journal and syncs it.
func (f *Folder) journalWrite(recs []journalRecord) error {
	if len(recs) == 0 {
		return nil
	}
	var b []byte
	for _, r := range recs {
		b = appendRecord(b, r)
	}
	return f.journalAppend(b)
}

// journalAppend writes encoded records after the journal's last and
// syncs them, opening the journal if needed.
func (f *Folder) journalAppend(b []byte) error {
	if err := f.openJournal(); err != nil {
		return err
	}
	j := f.jnl
	grow := j.size+int64(len(b)) > j.room
	if grow {
		room := (j.size + int64(len(b)) + journalChunk) / journalChunk * journalChunk
		if _, err := j.file.WriteAt(make([]byte, room-j.room), j.room); err != nil {
			return err
		}
		j.room = room
	}
	if _, err := j.file.WriteAt(b, j.size); err != nil {
		// A torn record fails its CRC: later ones overwrite it.
		return err
	}
	var err error
	if grow {
		err = j.file.Sync()
	} else {
		err = syncData(j.file)
	}
	if err != nil {
		return err
	}
	j.size += int64(len(b))
	return nil
}

// record returns the record of a change of m's flags, as the Folder
// shows them (pending changes included), to w.
func (f *Folder) record(m *msg, w want) journalRecord {
	return journalRecord{validity: f.validity, uid: m.uid, hash: m.hash,
		before: f.stateOf(f.flagsOf(m)), after: f.stateOf(w)}
}

// trimJournal drops what the mailbox file holds now from the journal:
// everything, zeroed, when no change is pending any more; else the
// records before mark (its size when the rewrite that just made the file
// durable took the pending changes), by a checkpoint, or once the
// journal is large by moving the later ones to a fresh journal. Either
// is synced, so that no record that the file holds outlives the file
// lock: another process may change that message again. A failure only
// leaves records that a replay follows to what the file holds, as long
// as no other process changed them since.
func (f *Folder) trimJournal(mark int64) {
	j := f.jnl
	if j == nil || j.size == 0 {
		return
	}
	if len(f.pending) == 0 {
		if _, err := j.file.WriteAt(make([]byte, j.size), 0); err == nil {
			j.size, j.done = 0, 0
			syncData(j.file)
		}
		return
	}
	if mark <= j.done {
		return
	}
	limit := int64(journalCompactAt)
	if f.journalLimit > 0 {
		limit = f.journalLimit
	}
	if mark >= limit && f.compactJournal(mark) {
		return
	}
	if err := f.journalWrite([]journalRecord{checkpoint(mark)}); err == nil {
		j.done = mark
	}
}

// compactJournal moves the records from offset mark on to a fresh
// journal, and reports whether it did.
func (f *Folder) compactJournal(mark int64) bool {
	old := f.jnl
	rest := make([]byte, old.size-mark)
	if _, err := old.file.ReadAt(rest, mark); err != nil {
		return false
	}
	f.jnl = nil
	if err := f.journalAppend(rest); err != nil {
		if f.jnl != nil {
			f.jnl.file.Close()
			removeOwn(f.jnl.file.Name())
		}
		f.jnl = old
		return false
	}
	old.file.Close()
	removeOwn(old.file.Name())
	return true
}

// closeJournal closes the journal at Close: removed when nothing is
// pending, else left for a later Folder to replay.
func (f *Folder) closeJournal() {
	if f.jnl == nil {
		return
	}
	name := f.jnl.file.Name()
	f.jnl.file.Close()
	f.jnl = nil
	if len(f.pending) == 0 {
		removeOwn(name)
		return
	}
	liveFiles.Delete(name)
}

// claimJournals takes over the journals that dead processes (or closed
// Folders of this one) left beside the mailbox, and replays their flag
// changes into the pending ones (see the top of this file). The file is
// locked and the state loaded.
func (f *Folder) claimJournals() {
	var recs []journalRecord
	var claimed []string
	for _, o := range ownFiles(f.path, kindJournal) {
		if (f.jnl != nil && o.name == f.jnl.file.Name()) || !o.dead() {
			continue
		}
		name := ownPrefix(f.path, kindJournal) + strconv.Itoa(os.Getpid()) + "." + hostTag() + "." +
			strconv.FormatUint(ownSeq.Add(1), 10)
		liveFiles.Store(name, true)
		if err := os.Rename(o.name, name); err != nil {
			liveFiles.Delete(name)
			if !errors.Is(err, fs.ErrNotExist) {
				f.d.log.Warn("mbox: cannot take over a journal of flag changes", "path", o.name, "err", err)
			}
			continue
		}
		claimed = append(claimed, name)
		b, err := readRegular(name)
		if err != nil {
			f.d.log.Warn("mbox: cannot read a journal of flag changes", "path", name, "err", err)
			continue
		}
		recs = append(recs, decodeRecords(b)...)
	}
	if len(claimed) == 0 {
		return
	}
	mine := f.replay(recs)
	if err := f.journalWrite(mine); err != nil {
		// They stay in the claimed files, which a later Folder takes.
		f.d.log.Warn("mbox: cannot journal replayed flag changes", "path", f.path, "err", err)
		for _, name := range claimed {
			liveFiles.Delete(name)
		}
		return
	}
	for _, name := range claimed {
		removeOwn(name)
	}
	if len(mine) > 0 {
		f.d.log.Info("mbox: replayed flag changes a process that died had not written", "path", f.path,
			"changes", len(mine))
		f.schedule(max(f.d.flush, 0))
	}
}

// replay applies records to the pending changes, and returns the records
// of the changes it made. A message with a change of this Folder's own
// pending keeps it.
func (f *Folder) replay(recs []journalRecord) []journalRecord {
	var byHash map[uint64]int // -1: more than one message
	locate := func(r journalRecord) int {
		if r.validity == f.validity {
			if i := f.find(r.uid); i >= 0 && f.msgs[i].hash == r.hash {
				return i
			}
		}
		if byHash == nil {
			byHash = make(map[uint64]int, len(f.msgs))
			for i := range f.msgs {
				if _, dup := byHash[f.msgs[i].hash]; dup {
					byHash[f.msgs[i].hash] = -1
				} else {
					byHash[f.msgs[i].hash] = i
				}
			}
		}
		if i, ok := byHash[r.hash]; ok {
			return i
		}
		return -1
	}
	states := make(map[int]flagState)
	var order []int
	for _, r := range recs {
		i := locate(r)
		if i < 0 {
			continue
		}
		if _, own := f.pending[f.msgs[i].uid]; own {
			continue
		}
		cur, seen := states[i]
		if !seen {
			cur = f.stateOf(want{bits: f.msgs[i].bits, kw: f.msgs[i].kw})
			order = append(order, i)
		}
		if r.before == cur {
			cur = r.after
		}
		states[i] = cur
	}
	var mine []journalRecord
	for _, i := range order {
		m := &f.msgs[i]
		s := states[i]
		var kws []string
		for _, k := range strings.Fields(s.kws) {
			if validKeyword(k) {
				kws = append(kws, k)
			}
		}
		w := want{bits: s.bits&bitsIMAP | f.flagsOf(m).bits&bitOld, kw: f.kw.intern(kws)}
		if w.bits&bitsIMAP == f.flagsOf(m).bits&bitsIMAP && w.kw == f.flagsOf(m).kw {
			continue
		}
		mine = append(mine, f.record(m, w))
		f.pending[m.uid] = w
	}
	return mine
}
