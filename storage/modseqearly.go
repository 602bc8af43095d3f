package storage

import (
	"errors"
	"io/fs"
	"os"
)

// The first read of a mailbox that has no modseq file yet (its first
// SELECT) must reserve a block of modseqs and sync it before the answer
// tells HIGHESTMODSEQ. That fsync used to come after the scan, on the
// answer's path; reserveEarlyLocked makes the reservation before the
// scan instead, and syncs it in the background while the scan reads the
// directories, so that the answer usually finds it done. The figures
// are the ones loadModSeqsLocked would have chosen for a new file: above
// the clock (timeCeiling), so above whatever a modseq file lost in a
// crash could have handed out. Nothing is handed out under the block
// before its sync has succeeded (takeEarlyLocked), and the file stays
// locked from the reservation to the end of loadModSeqsLocked, so that
// no other process takes a modseq from it meanwhile.

// earlyModSeq is a modseq file whose first block was reserved before
// the scan, and the result of its sync.
type earlyModSeq struct {
	mf     *modseqFile
	synced chan error // receives the fsync's result once
}

// reserveEarlyLocked reserves the first block of a missing or empty
// modseq file and starts its sync (see above). It does nothing when the
// file holds anything, or cannot be opened: loadModSeqsLocked then does
// as it always did. mb.mu is held.
func (mb *mailbox) reserveEarlyLocked() {
	path := mb.modseqPath()
	if path == "" || mb.early != nil {
		return
	}
	if fi, err := os.Lstat(path); err == nil && fi.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return // the usual case: one stat, no open
	}
	mf, err := openModSeqFile(path, mb.perm)
	if err != nil {
		return
	}
	if !mf.empty {
		mf.close() // written meanwhile by another process
		return
	}
	t := mf.t
	t.counter = timeCeiling()
	t.ceiling = t.counter + modseqBlock
	if err := mf.writeHeader(); err != nil {
		mf.close()
		return
	}
	e := &earlyModSeq{mf: mf, synced: make(chan error, 1)}
	go func() { e.synced <- mf.sync() }()
	mb.early = e
	if earlyModSeqHook != nil {
		earlyModSeqHook(path)
	}
}

// earlyModSeqHook, when set (by tests), runs once reserveEarlyLocked has
// written its reservation, before the scan.
var earlyModSeqHook func(path string)

// takeEarlyLocked hands loadModSeqsLocked the file reserveEarlyLocked
// opened, once its sync is done: nil when there is none, and an error
// (the file closed) when the sync failed, since a second fsync after a
// failed one proves nothing. mb.mu is held.
func (mb *mailbox) takeEarlyLocked() (*modseqFile, bool, error) {
	e := mb.early
	if e == nil {
		return nil, false, nil
	}
	mb.early = nil
	if err := <-e.synced; err != nil {
		e.mf.close()
		return nil, false, err
	}
	return e.mf, true, nil
}

// dropEarlyLocked closes the file reserveEarlyLocked opened when the scan
// failed: the header it wrote holds no table, so the next open reserves
// above its ceiling. mb.mu is held.
func (mb *mailbox) dropEarlyLocked() {
	if e := mb.early; e != nil {
		mb.early = nil
		<-e.synced
		e.mf.close()
	}
}
