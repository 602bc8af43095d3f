package storage

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync/atomic"
)

// The first read of a mailbox that has no modseq file yet (its first
// SELECT) reserves the file's first block before the scan
// (reserveEarlyLocked) and starts its fsync, and that of the directory,
// at once. The figures are above the clock (timeCeiling, microseconds),
// as loadModSeqsLocked chooses for a file found missing or empty while
// the mailbox has messages.
//
// The answer does not wait for that sync, because there is nothing it
// would protect that the clock does not already: before the first block
// no modseq of the mailbox was handed out by anyone (or the file was lost,
// and the clock covers those), and the answer tells only the block's
// first modseq, the clock's time of the reservation plus one. Only a
// machine crash or a power cut loses an unsynced file (a killed process
// leaves it in the page cache), and then the next open finds it missing,
// empty or with a damaged header, and numbers above the clock of its
// restart, seconds or more later: above every modseq told. What is left
// is a clock set back across the reboot by more than the reboot took,
// which the lost-file path trusts as well.
//
// Whatever takes a modseq from the block's figures waits for the sync,
// as it did before the answer: in this process the next change
// (mb.earlySync, awaitEarlySyncLocked, from writeChangeLocked); in
// another one the file's lock, held until the sync has returned
// (earlyModSeq.holders), and that process starts above the ceiling and
// syncs its own block in any case. When the sync fails, nothing more is taken from the block:
// the next change reserves a block of its own above its ceiling and
// syncs it before the modseq is used (a fresh reservation), so that a
// client that saw the first HIGHESTMODSEQ sees modseqs go on upwards,
// past a gap of a block.

// earlyModSeq is a modseq file whose first block was reserved before
// the scan, and its sync.
type earlyModSeq struct {
	mf   *modseqFile
	path string        // for the log and earlyModSeqSyncHook
	log  *slog.Logger  // the store's
	done chan struct{} // closed once the fsync has returned
	err  error         // the fsync's result, read once done is closed
	// holders counts who uses mf, the mailbox and the sync: the last to
	// let go closes it, so that its lock is held until both are done.
	holders atomic.Int32
}

// release lets go of the file; the last holder closes it.
func (e *earlyModSeq) release() {
	if e.holders.Add(-1) == 0 {
		e.mf.close()
	}
}

// runSync syncs the file, notes the result and lets go of it. A failure
// is logged here, where it happens: a mailbox closed before any change
// never asks for the result.
func (e *earlyModSeq) runSync() {
	err := e.mf.sync()
	if earlyModSeqSyncHook != nil {
		err = earlyModSeqSyncHook(e.path, err)
	}
	if err != nil {
		e.log.Warn("storage: modseq file not synced; the next change takes its modseqs above the reservation", "path", e.path, "err", err)
	}
	e.err = err
	close(e.done)
	e.release()
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
	e := &earlyModSeq{mf: mf, path: path, log: mb.store.log, done: make(chan struct{})}
	e.holders.Store(2)
	if !mb.store.bg.start("modseq sync", e.runSync) {
		e.runSync() // the store is closing: no work of its own any more
	}
	mb.early = e
	if earlyModSeqHook != nil {
		earlyModSeqHook(path)
	}
}

// earlyModSeqHook, when set (by tests), runs once reserveEarlyLocked has
// written its reservation, before the scan.
var earlyModSeqHook func(path string)

// earlyModSeqSyncHook, when set (by tests), runs once the first block's
// sync has returned err, and its result is what the hook returns.
var earlyModSeqSyncHook func(path string, err error) error

// takeEarlyLocked hands loadModSeqsLocked the file reserveEarlyLocked
// opened, nil when there is none; the caller releases it. Its sync is
// left running (mb.earlySync until a change waits for it), unless the
// mailbox is empty: its file is then written as for any empty mailbox,
// with a sync of its own, which must not run beside this one. An error
// (the file released) means that sync failed. mb.mu is held.
func (mb *mailbox) takeEarlyLocked() (*earlyModSeq, error) {
	e := mb.early
	if e == nil {
		return nil, nil
	}
	mb.early = nil
	if len(mb.msgs) > 0 {
		mb.earlySync = e
		return e, nil
	}
	<-e.done
	if e.err != nil {
		e.release()
		return nil, e.err
	}
	return e, nil
}

// earlySyncedLocked waits for the sync of the first block when it is
// still pending, and returns its error. mb.mu is held.
func (mb *mailbox) earlySyncedLocked() error {
	e := mb.earlySync
	if e == nil {
		return nil
	}
	mb.earlySync = nil
	<-e.done
	return e.err
}

// awaitEarlySyncLocked waits for the sync of the first block when it is
// still pending, before a modseq is taken from the file (see above).
// After a failed sync the next modseq is taken above the file's ceiling,
// in a block synced before use. mb.mu is held.
func (mb *mailbox) awaitEarlySyncLocked() {
	if err := mb.earlySyncedLocked(); err != nil {
		mb.modseqReserved = false // runSync logged it
	}
}

// dropEarlyLocked lets go of the file reserveEarlyLocked opened when the
// scan failed: the header it wrote holds no table, so the next open
// reserves above its ceiling. mb.mu is held.
func (mb *mailbox) dropEarlyLocked() {
	if e := mb.early; e != nil {
		mb.early = nil
		e.release()
	}
}
