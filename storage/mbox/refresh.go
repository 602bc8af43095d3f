package mbox

import (
	"bufio"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"os"
	"sort"
)

// tailWindow is how many bytes before the old end of the file must be
// unchanged for a grown file to count as appended to.
const tailWindow = 4096

// fullIndexAfter is how many bytes a parse may read before the sidecar
// index is written at once rather than at Close.
const fullIndexAfter = 1 << 20

// refresh brings the state in memory up to date with file, which the
// caller has locked. An unchanged file costs an fstat. A file that only
// grew is parsed from its last old message on. Otherwise the whole file
// is parsed; messages without an X-UID then find their UIDs again by
// offset and identity among what was known (from memory or the sidecar
// index).
func (f *Folder) refresh(file *os.File) error {
	fi, err := file.Stat()
	if err != nil {
		return f.errorf("stat: %w", err)
	}
	st := stampOf(fi)
	if f.loaded && st == f.stamp {
		return nil
	}
	if !f.loaded {
		f.loadIndex()
		if f.loaded && st == f.stamp {
			return nil
		}
	}
	keep, from := 0, int64(0)
	if f.loaded && len(f.msgs) > 0 && f.grewOnly(file, st) {
		keep = len(f.msgs) - 1
		from = f.msgs[keep].off
	}
	return f.parseFrom(file, st, keep, from, fi.ModTime().Unix(), false)
}

// grewOnly reports whether the file is the one last read, only longer,
// with its last bytes before the old end unchanged.
func (f *Folder) grewOnly(file *os.File, st stamp) bool {
	if st.dev != f.stamp.dev || st.ino != f.stamp.ino || st.size <= f.stamp.size {
		return false
	}
	sum, err := tailSum(file, f.stamp.size)
	return err == nil && sum == f.tailSum
}

// tailSum is the CRC of the tailWindow bytes before size.
func tailSum(file *os.File, size int64) (uint32, error) {
	n := min(size, tailWindow)
	b := make([]byte, n)
	if _, err := file.ReadAt(b, size-n); err != nil && err != io.EOF {
		return 0, err
	}
	return crc32.Checksum(b, castagnoli), nil
}

// errNoUIDs means that X-UIDs in the file leave no UID for a message.
var errNoUIDs = errors.New("no UIDs left")

// parseFrom parses file from offset from on, keeping f.msgs[:keep] (the
// messages before from) as they are. With renumber, every message gets a
// new UID from 1 on.
func (f *Folder) parseFrom(file *os.File, st stamp, keep int, from, defDate int64, renumber bool) error {
	old := f.msgs
	h := hints{old: old[keep:]}
	if renumber {
		h.old = nil
	} else if from == 0 {
		h.old = old
		f.uwValidity, f.uwNext = 0, 0
	}
	var msgs []msg
	var saved msg
	if keep > 0 {
		// A tail parse appends in place: only old[keep], parsed again
		// now, is overwritten, and put back if the parse fails.
		msgs, saved = old[:keep], old[keep]
		h.old = []msg{saved}
	} else {
		msgs = make([]msg, 0, max(len(old)+8, 64))
	}
	var last uint32
	if keep > 0 {
		last = msgs[keep-1].uid
	}
	emitted := false
	var perr error
	emit := func(r *rawMsg) error {
		first := !emitted
		emitted = true
		if first && from == 0 && r.uwData {
			// UW's pseudo-message holds folder data; it is no message.
			f.uwValidity, f.uwNext = r.uwValidity, r.uwNext
			return nil
		}
		if len(msgs) == 0 {
			f.base = baseLine{off: r.baseOff, n: r.baseLen, validity: r.baseValidity, next: r.baseNext}
			if !renumber {
				f.decideValidity(&h)
			}
		}
		if renumber {
			r.xuid = 0
		}
		uid, ok := f.pickUID(r, last, &h)
		if !ok {
			perr = errNoUIDs
			return perr
		}
		last = uid
		msgs = append(msgs, msg{
			off: r.off, start: r.start, end: r.end, date: r.date, size: r.size, hash: r.hash,
			uid: uid, kw: f.kw.internRaw(r.kw), bits: r.bits, inFile: r.xuid == uid,
		})
		return nil
	}
	// A small buffer for a small tail (a delivery), the full one for a
	// whole file.
	buf := bufio.NewReaderSize(nil, int(min(max(st.size-from, 4096), readBuffer)))
	err := parse(io.NewSectionReader(file, from, st.size-from), from, defDate, buf, emit)
	if perr != nil && !renumber {
		// A corrupt X-UID (such as 4294967295) took the last UIDs. Start
		// again under a new UIDVALIDITY, and rewrite the file soon.
		v := uint32(f.d.now().Unix())
		if v == f.validity {
			v++
		}
		f.d.log.Warn("mbox: X-UIDs leave no UID for every message; giving new UIDs",
			"path", f.path, "uidvalidity", v)
		f.validity, f.uidNext, f.mustRewrite = v, 1, true
		clear(f.pending)
		return f.parseFrom(file, st, 0, 0, defDate, true)
	}
	if err != nil {
		if keep > 0 {
			old[keep] = saved
		}
		if perr != nil {
			return f.errorf("%w", perr)
		}
		return f.errorf("read: %w", err)
	}
	if len(msgs) == 0 && !renumber {
		f.base = baseLine{off: -1}
		f.decideValidity(&h)
	}
	f.parses++
	f.parsedBytes += st.size - from
	f.msgs = msgs
	f.uidNext = max(f.uidNext, f.base.next, f.uwNext, 1)
	if last != 0 {
		f.uidNext = max(f.uidNext, last+1)
	}
	for uid := range f.pending {
		if f.find(uid) < 0 {
			delete(f.pending, uid)
		}
	}
	sum, err := tailSum(file, st.size)
	if err != nil {
		return f.errorf("read: %w", err)
	}
	f.stamp, f.tailSum, f.loaded, f.indexStale = st, sum, true, true
	if from == 0 || st.size-from > fullIndexAfter {
		f.writeIndex()
	}
	return nil
}

// decideValidity settles UIDVALIDITY once the first message (if any) is
// read: the file's X-IMAPbase (or UW's X-IMAP) wins; without one the
// known value stays; a new mailbox gets the current time. When the file
// says another value than the one known, every UID known is void.
func (f *Folder) decideValidity(h *hints) {
	v := f.base.validity
	if v == 0 {
		v = f.uwValidity
	}
	if v != 0 && v != f.validity {
		if f.validity != 0 {
			f.d.log.Warn("mbox: the file has another UIDVALIDITY; clients must resync",
				"path", f.path, "was", f.validity, "now", v)
		}
		f.validity, f.uidNext = v, 0
		h.old = nil
		clear(f.pending)
	}
	if f.validity == 0 {
		f.validity = uint32(f.d.now().Unix())
	}
}

// pickUID chooses the UID of a message found after one with UID last: its
// X-UID if that is above last; else the UID it had before, found by
// offset and identity; else the next free one. 4294967295 is never a UID,
// so that UIDNEXT stays above every UID.
func (f *Folder) pickUID(r *rawMsg, last uint32, h *hints) (uint32, bool) {
	if r.xuid > last && r.xuid < math.MaxUint32 {
		return r.xuid, true
	}
	if uid, ok := h.find(r.off, r.hash, last); ok && uid < math.MaxUint32 {
		return uid, true
	}
	uid := uint64(max(f.uidNext, last)) + 1
	if f.uidNext > last {
		uid = uint64(f.uidNext)
	}
	if uid >= math.MaxUint32 {
		return 0, false
	}
	f.uidNext = uint32(uid) + 1
	return uint32(uid), true
}

// hints are the messages known before a parse, by offset.
type hints struct {
	old    []msg
	byHash map[uint64][]uint32
}

// find returns a known UID above after for a message at off with identity
// hash: the one at the same offset, or else one of the same identity.
func (h *hints) find(off int64, hash uint64, after uint32) (uint32, bool) {
	if len(h.old) == 0 {
		return 0, false
	}
	i := sort.Search(len(h.old), func(i int) bool { return h.old[i].off >= off })
	if i < len(h.old) && h.old[i].off == off && h.old[i].hash == hash && h.old[i].uid > after {
		return h.old[i].uid, true
	}
	if h.byHash == nil {
		h.byHash = make(map[uint64][]uint32, len(h.old))
		for _, m := range h.old {
			h.byHash[m.hash] = append(h.byHash[m.hash], m.uid)
		}
	}
	for _, uid := range h.byHash[hash] {
		if uid > after {
			return uid, true
		}
	}
	return 0, false
}
