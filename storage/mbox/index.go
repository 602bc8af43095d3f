package mbox

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// The sidecar index, .NAME.mgidx beside the mbox file, lets a new Folder
// skip parsing a large file that has not changed (or only grew) since the
// last Folder on it read it. It is a cache: it holds what the file held
// at one stamp, plus the UIDs given to messages that carry no X-UID yet.
// Delete it, or damage it, and the next Scan parses the file again; only
// UIDs not yet written into the file can change then.
//
// The index counts for a file only when it describes it: the same stamp
// (inode, size, times), or the same file grown (its old end unchanged),
// and the X-IMAPbase field where the index says it is, with the index's
// UIDVALIDITY. Otherwise it only helps the parse to find UIDs again, and
// only when the file's X-IMAPbase has the index's UIDVALIDITY (see pass).
//
// Layout, little-endian: the magic, the stamp, the tail CRC, UIDVALIDITY,
// UIDNEXT, the X-IMAPbase line, UW's data, the keyword sets, (since
// version 2) the highest UID known and the vanished messages, the
// messages (idxMsgSize bytes each), and a CRC-32C of everything before it.

const (
	idxMagic   = "MGMBOX2\n"
	idxMagicV1 = "MGMBOX1\n"
	idxMsgSize = 6*8 + 4 + 4 + 1 + 1
	// idxMaxSets bounds the keyword sets an index may hold.
	idxMaxSets = 1 << 20
)

// writeIndex stores the state in memory in the sidecar index; failure
// costs only speed, and is logged at debug level. A state that left out
// a half-written message is not stored: it is read again when it
// settles.
func (f *Folder) writeIndex() {
	if f.partial {
		return
	}
	if f.saveIndex(f.encodeIndex()) {
		f.indexStale = false
	}
}

// saveIndex writes an encoded index. It uses nothing of f that changes,
// so it may run without f.mu. It does not sync: a torn index fails its
// checksum and is ignored.
func (f *Folder) saveIndex(b []byte) bool {
	if err := fsutil.WriteCache(indexPath(f.path), b, f.perm); err != nil {
		f.d.log.Debug("mbox: cannot write the sidecar index", "path", f.path, "err", err)
		return false
	}
	return true
}

// encodeIndex returns the sidecar index of the state in memory.
func (f *Folder) encodeIndex() []byte {
	b := make([]byte, 0, 128+len(f.msgs)*idxMsgSize)
	le := binary.LittleEndian
	b = append(b, idxMagic...)
	for _, v := range []uint64{f.stamp.dev, f.stamp.ino, uint64(f.stamp.size), uint64(f.stamp.mtime), uint64(f.stamp.ctime)} {
		b = le.AppendUint64(b, v)
	}
	for _, v := range []uint32{f.tailSum, f.validity, f.uidNext} {
		b = le.AppendUint32(b, v)
	}
	b = le.AppendUint64(b, uint64(f.base.off))
	for _, v := range []uint32{uint32(f.base.n), f.base.validity, f.base.next, f.uwValidity, f.uwNext} {
		b = le.AppendUint32(b, v)
	}
	b = le.AppendUint32(b, uint32(len(f.kw.sets)))
	for _, s := range f.kw.sets {
		j := strings.Join(s, " ")
		b = le.AppendUint32(b, uint32(len(j)))
		b = append(b, j...)
	}
	b = le.AppendUint32(b, f.uidTop)
	b = le.AppendUint32(b, uint32(len(f.vanished)))
	for _, v := range f.vanished {
		b = le.AppendUint32(b, v.uid)
		b = le.AppendUint64(b, v.hash)
	}
	b = le.AppendUint32(b, uint32(len(f.msgs)))
	for i := range f.msgs {
		m := &f.msgs[i]
		for _, v := range [...]uint64{uint64(m.off), uint64(m.start), uint64(m.end), uint64(m.date), uint64(m.size), m.hash} {
			b = le.AppendUint64(b, v)
		}
		b = le.AppendUint32(b, m.uid)
		b = le.AppendUint32(b, m.kw)
		in := byte(0)
		if m.inFile {
			in = 1
		}
		b = append(b, m.bits, in)
	}
	return le.AppendUint32(b, crc32.Checksum(b, fsutil.Castagnoli()))
}

// errBadIndex means the sidecar index cannot be used.
var errBadIndex = errors.New("bad sidecar index")

// loadIndex takes the state from the sidecar index when it is sound, and
// marks it untrusted unless it describes file (st): see the top of this
// file.
func (f *Folder) loadIndex(file *os.File, st stamp) {
	b, err := readRegular(indexPath(f.path))
	if err != nil {
		return
	}
	if err := f.decodeIndex(b); err != nil {
		f.d.log.Debug("mbox: ignoring the sidecar index", "path", f.path, "err", err)
		f.msgs, f.kw, f.loaded = nil, kwTable{}, false
		f.validity, f.uidNext, f.uwValidity, f.uwNext, f.uidTop = 0, 0, 0, 0, 0
		f.vanished = nil
		return
	}
	same := st == f.stamp || f.grewOnly(file, st)
	f.untrusted = !same || !f.baseInFile(file)
}

// baseInFile reports whether file has the X-IMAPbase field that the state
// says, with the UIDVALIDITY it says. (The state's own UIDVALIDITY
// differs from it when the Folder numbered the file afresh and has not
// rewritten it yet.)
func (f *Folder) baseInFile(file *os.File) bool {
	return f.base.off < 0 || baseNextIn(file, f.base, f.base.validity) != 0
}

// idxReader reads fixed-size fields, remembering the first overrun.
type idxReader struct {
	b    []byte
	bad  bool
	zero [8]byte
}

// next returns the next n bytes; past the end, zeros (for n <= 8) or
// nothing.
func (r *idxReader) next(n int) []byte {
	if r.bad || n < 0 || len(r.b) < n {
		r.bad = true
		if n >= 0 && n <= len(r.zero) {
			return r.zero[:n]
		}
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *idxReader) u64() uint64 { return binary.LittleEndian.Uint64(r.next(8)) }
func (r *idxReader) u32() uint32 { return binary.LittleEndian.Uint32(r.next(4)) }

func (f *Folder) decodeIndex(b []byte) error {
	if len(b) < len(idxMagic)+4 {
		return errBadIndex
	}
	v2 := string(b[:len(idxMagic)]) == idxMagic
	if !v2 && string(b[:len(idxMagicV1)]) != idxMagicV1 {
		return errBadIndex
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, fsutil.Castagnoli()) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return errBadIndex
	}
	r := &idxReader{b: body[len(idxMagic):]}
	var st stamp
	st.dev, st.ino, st.size = r.u64(), r.u64(), int64(r.u64())
	st.mtime, st.ctime = int64(r.u64()), int64(r.u64())
	tail, validity, next := r.u32(), r.u32(), r.u32()
	base := baseLine{off: int64(r.u64()), n: int(r.u32()), validity: r.u32(), next: r.u32()}
	uwValidity, uwNext := r.u32(), r.u32()
	nsets := r.u32()
	if nsets > idxMaxSets || validity == 0 {
		return errBadIndex
	}
	var kw kwTable
	for i := uint32(0); i < nsets && !r.bad; i++ {
		s := string(r.next(int(r.u32())))
		if i == 0 {
			continue
		}
		if id := kw.intern(strings.Fields(s)); id != i {
			return errBadIndex
		}
	}
	var top uint32
	var vanished []vanishedMsg
	if v2 {
		top = r.u32()
		nv := r.u32()
		if nv > maxVanished {
			return errBadIndex
		}
		for i := uint32(0); i < nv && !r.bad; i++ {
			vanished = append(vanished, vanishedMsg{uid: r.u32(), hash: r.u64()})
		}
	}
	n := r.u32()
	if r.bad || uint64(len(r.b)) != uint64(n)*idxMsgSize {
		return errBadIndex
	}
	msgs := make([]msg, n)
	var last uint32
	for i := range msgs {
		m := &msgs[i]
		m.off, m.start, m.end = int64(r.u64()), int64(r.u64()), int64(r.u64())
		m.date, m.size, m.hash = int64(r.u64()), int64(r.u64()), r.u64()
		m.uid, m.kw = r.u32(), r.u32()
		fl := r.next(2)
		m.bits, m.inFile = fl[0], fl[1] == 1
		if m.uid <= last || m.kw >= max(nsets, 1) || m.off < 0 || m.start < m.off || m.end < m.start || m.end > st.size {
			return errBadIndex
		}
		last = m.uid
	}
	if r.bad {
		return errBadIndex
	}
	f.msgs, f.kw, f.stamp, f.tailSum = msgs, kw, st, tail
	f.validity, f.uidNext, f.base = validity, next, base
	f.uwValidity, f.uwNext = uwValidity, uwNext
	f.uidTop, f.vanished, f.vanishedSet = max(top, last), vanished, nil
	f.loaded = true
	return nil
}

// cachePath is where the storage core keeps what frontends derived from
// the messages (storage.CacheFiler): .NAME.mgcache beside the file.
func cachePath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+name+".mgcache")
}

// CacheFile implements storage.CacheFiler.
func (f *Folder) CacheFile() string { return cachePath(f.path) }

// modseqPath is where the storage core keeps the mailbox's modification
// sequences (storage.ModSeqFiler): .NAME.mgmodseq beside the file.
func modseqPath(path string) string {
	dir, name := filepath.Split(path)
	return filepath.Join(dir, "."+name+".mgmodseq")
}

// ModSeqFile implements storage.ModSeqFiler.
func (f *Folder) ModSeqFile() string { return modseqPath(f.path) }

// Reindex implements storage.Reindexer: the next Scan parses the whole
// file, as after a change by another program, finding each message's UID
// again by its X-UID or its identity. The sidecar index stays: it holds
// UIDs not yet written into the file and the messages that vanished,
// which are not caches; the parse writes it anew.
func (f *Folder) Reindex() error {
	if err := f.lock(); err != nil {
		return err
	}
	defer f.mu.Unlock()
	f.stamp, f.unsettled = stamp{}, stamp{}
	f.indexStale = true
	return nil
}
