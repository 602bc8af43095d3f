package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailgate/mailgate/storage/fts"
)

// FullText configures the full-text index (package fts), kept for every
// mailbox that is opened and built in the background: as messages
// arrive (APPEND, delivery, other programs' files seen by the watcher)
// and for the mail already there when a mailbox is first opened.
type FullText struct {
	// Dir holds the index files, one a mailbox (<data-dir>/fts).
	Dir string
	// Beside keeps each mailbox's index among the mailbox's own files
	// instead, beside its cache file (.mailgate-fts in a maildir or MH
	// folder, .NAME.mgfts beside an mbox), for a process that runs as
	// the mail's owner (a session process): only mailboxes that belong
	// to the process's effective user are indexed, and only index files
	// that belong to it are read (fts.OpenOwn).
	Beside bool
	// Extract reads a message as stored (Folder.Open) and returns what
	// the index learns of it. It must return the text SEARCH looks in,
	// exactly: the index answers for that text. It is called from
	// several goroutines at once.
	Extract func(r io.Reader) (*fts.Doc, error)
	// Derive, when set, is given the header, as stored, of each message
	// the indexer reads, and returns values for the shared cache
	// (View.Cached) by key; the indexer keeps each for the message unless
	// it has one already. Frontends derive their values of mail that
	// arrives (SORT's keys, say) in the reading the index makes anyway.
	// It is called from several goroutines at once.
	Derive func(header []byte) map[string][]byte
	// StartDelay, when positive, is how long the first build of the
	// process waits after the first mailbox asked for one: a process
	// that serves one short session (inetd: LOGIN, SELECT, FETCH,
	// LOGOUT) should not spend its CPU reading messages for an index it
	// leaves unfinished.
	StartDelay time.Duration
}

// flushBytes is how many bytes of new index records are written at once.
const flushBytes = 1 << 20

// indexer builds the full-text indexes of a Store's open mailboxes, one
// mailbox at a time, each by GOMAXPROCS goroutines.
type indexer struct {
	conf FullText
	s    *Store

	mu      sync.Mutex
	queue   []*mailbox
	queued  map[*mailbox]bool
	running bool
	begun   bool // run was started once (StartDelay)
}

func newIndexer(s *Store, conf *FullText) *indexer {
	if conf == nil || (conf.Dir == "" && !conf.Beside) || conf.Extract == nil {
		return nil
	}
	return &indexer{conf: *conf, s: s, queued: make(map[*mailbox]bool)}
}

// wake asks for mb's index to be brought up to date. It may be called
// with mb.mu held: it takes no mailbox lock.
func (ix *indexer) wake(mb *mailbox) {
	if ix == nil {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.queued[mb] {
		ix.queued[mb] = true
		ix.queue = append(ix.queue, mb)
	}
	if !ix.running {
		// Refused once the store is closing: no build starts then.
		if !ix.begun && ix.conf.StartDelay > 0 {
			ix.running = ix.s.bg.after(ix.conf.StartDelay, bgBuild, ix.run) != nil
		} else {
			ix.running = ix.s.bg.start(bgBuild, ix.run)
		}
		ix.begun = true
	}
}

func (ix *indexer) run() {
	for {
		ix.mu.Lock()
		if len(ix.queue) == 0 {
			ix.running = false
			ix.mu.Unlock()
			return
		}
		mb := ix.queue[0]
		ix.queue = ix.queue[1:]
		delete(ix.queued, mb)
		ix.mu.Unlock()
		ix.update(mb)
	}
}

// DerivesHeaders reports whether the full-text index build derives
// FullText.Derive's values from every message of the view's mailbox, in
// the background, as it reads them: a frontend need not derive those
// too on its way (a first FETCH ENVELOPE leaves SORT's keys to it).
func (v *View) DerivesHeaders() bool {
	ix := v.mb.store.indexer
	return ix != nil && ix.conf.Derive != nil && ix.path(v.mb) != ""
}

// path returns the index file of mb; "" when it has none.
func (ix *indexer) path(mb *mailbox) string {
	if !ix.conf.Beside {
		sum := sha256.Sum256([]byte(mb.path))
		return filepath.Join(ix.conf.Dir, hex.EncodeToString(sum[:12])+".fts")
	}
	if !ownedByProcess(mb.path) {
		return ""
	}
	return besideIndex(mb)
}

// untoldIndexLocked removes mb's full-text index, whose UIDs may name
// other messages now (see Snapshot.Untold), before the scan's answer is
// used: a process that ends before its indexer ran leaves none behind
// for the next, which the folder then vouches for. When it cannot be
// removed, the indexer empties it when it opens it. mb.mu is held.
func (mb *mailbox) untoldIndexLocked() {
	ix := mb.store.indexer
	if ix == nil {
		return
	}
	path := ix.path(mb)
	if path == "" {
		return
	}
	if err := fts.Remove(path); err != nil {
		mb.store.log.Debug("storage: cannot remove a full-text index of renumbered messages", "path", path, "err", err)
		mb.ftsUntold = true
	}
}

// besideIndex returns where FullText.Beside keeps mb's index: its cache
// file's name with "cache" at its end made "fts"; "" for a folder
// without a cache file.
func besideIndex(mb *mailbox) string {
	cf, ok := mb.folder.(CacheFiler)
	if !ok || !strings.HasSuffix(cf.CacheFile(), "cache") {
		return ""
	}
	return strings.TrimSuffix(cf.CacheFile(), "cache") + "fts"
}

// update opens mb's index when it has none yet and adds the messages it
// lacks, removing those expunged. The mailbox lock is held only to look
// at the mailbox and to open each message.
func (ix *indexer) update(mb *mailbox) {
	// The mailbox stays open until its index is up to date, even when
	// every session left it meanwhile: a build is finished.
	if !ix.s.hold(mb) {
		return
	}
	defer ix.s.release(mb)
	// Opening reads the index's UID tables and log: after the commands
	// waiting now (foreground.go).
	var y yielder
	y.yield(ix.s.bg.stopped)
	idx, validity := ix.open(mb)
	if idx == nil {
		return
	}
	if st := idx.Stats(); idx.UIDValidity() != validity || (st.Removed > 1000 && st.Removed > st.Messages) {
		// Another UIDVALIDITY, or mostly expunged messages: rebuilt.
		if err := idx.Reset(validity); err != nil {
			ix.s.log.Debug("storage: full-text index", "path", mb.path, "err", err)
			return
		}
	}
	mb.mu.Lock()
	uids := mb.uidsLocked()
	mb.mu.Unlock()
	var gone []uint32
	for _, uid := range idx.UIDs() {
		if _, found := slicesBinarySearch(uids, uid); !found {
			gone = append(gone, uid)
		}
	}
	idx.Remove(gone...)
	var todo []uint32
	for _, uid := range uids {
		if !idx.Known(uid) {
			todo = append(todo, uid)
		}
	}
	// Reading and extracting a message costs more than adding it, and
	// Add collects its trigrams before it locks the index: several
	// workers share the messages.
	workers := min(runtime.GOMAXPROCS(0), max(1, len(todo)/16))
	var next, added atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var y yielder
			// The store's Close waits for the build: it stops
			// after the message it reads.
			stopped := func() bool { return stop.Load() || ix.s.bg.stopped() }
			for !stopped() {
				y.yield(stopped)
				i := next.Add(1) - 1
				if i >= int64(len(todo)) || ix.s.bg.stopped() {
					return
				}
				if !ix.addOne(mb, idx, validity, todo[i]) {
					stop.Store(true)
					return
				}
				added.Add(1)
				if idx.Pending() >= flushBytes {
					ix.flush(mb, idx)
				}
			}
		}()
	}
	wg.Wait()
	ix.flush(mb, idx)
	// The log's messages, not only this build's: builds cut short (a
	// process that ended first, as inetd sessions do) leave theirs in
	// the log, which every open reads and inverts again (46 MB of
	// allocations for 10,000 messages) until a merge.
	if (added.Load() >= mergeAfter || idx.Stats().TailMessages >= mergeAfter) && !ix.s.bg.stopped() {
		// A build: merged now, the next process opens it at once,
		// and finds what Derive made in the cache file. Not while the
		// store closes, which waits for this: the log holds it all,
		// and the mailbox's close writes the cache file.
		if err := idx.Merge(); err != nil {
			ix.s.log.Debug("storage: merging full-text index", "path", mb.path, "err", err)
		}
		if ix.conf.Derive != nil {
			mb.saveCache()
		}
	}
}

// addOne reads the message uid of mb and adds it to idx (and keeps what
// FullText.Derive makes of its header); false when the mailbox was
// closed or started again meanwhile. A message expunged meanwhile, or
// unreadable, is left out (a search scans it).
func (ix *indexer) addOne(mb *mailbox, idx *fts.Index, validity, uid uint32) bool {
	mb.mu.Lock()
	if mb.closed || mb.gone || mb.uidValidity != validity {
		mb.mu.Unlock()
		return false
	}
	epoch := mb.cacheEpoch
	var rc io.ReadCloser
	var err error
	if mb.index(uid) >= 0 {
		rc, err = mb.folder.Open(uid)
	} else {
		err = ErrNoMessage
	}
	mb.mu.Unlock()
	if err != nil {
		return true
	}
	var tee *headerTee
	r := io.Reader(rc)
	if ix.conf.Derive != nil {
		tee = &headerTee{r: rc}
		r = tee
	}
	doc, err := ix.conf.Extract(r)
	rc.Close()
	if err != nil {
		return true
	}
	if tee != nil && tee.done {
		mb.setDerived(epoch, uid, ix.conf.Derive(tee.header))
	}
	idx.Add(uid, doc)
	return true
}

// setDerived keeps the values FullText.Derive returned for message uid
// that it lacks, in this process or in the cache file: a rebuild of the
// index would otherwise keep a second copy of every value the file
// holds, and write the file again for nothing. Nothing is kept when the
// cached values were dropped since the file was opened at epoch (see
// View.SetCachedSince).
func (mb *mailbox) setDerived(epoch uint64, uid uint32, vals map[string][]byte) {
	if len(vals) == 0 {
		return
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.cacheEpoch != epoch {
		return
	}
	var m map[string]any
	for k, v := range vals {
		if _, ok := mb.cachedLocked(uid, k); ok {
			continue
		}
		if m == nil {
			if m = mb.cacheEntryLocked(uid, len(vals)); m == nil {
				return
			}
		}
		m[k] = v
		mb.markCacheDirtyLocked()
	}
}

// mergeAfter is how many messages added in one go, or waiting in the
// index's log, make the indexer merge the log into its segment at the
// end of an update.
const mergeAfter = 1000

// open returns mb's index, opening it first when needed, and the
// mailbox's UIDVALIDITY; nil when the mailbox is not open or the index
// cannot be opened. Opening reads the segment's UID tables and the log's
// records; the first search reads the rest (fts.Index.Filter).
func (ix *indexer) open(mb *mailbox) (*fts.Index, uint32) {
	if ix == nil {
		return nil, 0
	}
	mb.mu.Lock()
	if mb.closed || mb.gone || !mb.loaded {
		mb.mu.Unlock()
		return nil, 0
	}
	validity, idx, untold := mb.uidValidity, mb.fts, mb.ftsUntold
	mb.mu.Unlock()
	if idx != nil {
		return idx, validity
	}
	// Opened outside the mailbox lock; two may race, one is kept.
	path := ix.path(mb)
	if path == "" {
		return nil, 0
	}
	open := fts.Open
	if ix.conf.Beside {
		open = fts.OpenOwn
	}
	idx, err := open(path, validity)
	if err == nil && untold {
		// Its UIDs may name other messages now: emptied before any
		// search reads it.
		if err = idx.Reset(validity); err != nil {
			idx.Close()
		}
	}
	if err != nil {
		ix.s.log.Debug("storage: no full-text index", "path", mb.path, "err", err)
		return nil, 0
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.closed {
		idx.Close()
		return nil, 0
	}
	if mb.fts != nil {
		idx.Close()
		return mb.fts, validity
	}
	mb.fts, mb.ftsUntold = idx, false
	return idx, validity
}

func (ix *indexer) flush(mb *mailbox, idx *fts.Index) {
	if err := idx.Flush(); err != nil {
		ix.s.log.Debug("storage: writing full-text index", "path", mb.path, "err", err)
	}
}

// TextFilter returns the full-text index's answer to which messages may
// contain needle in zone z, or nil when the mailbox has no index yet.
// Messages the index does not know are candidates: a nil or partial
// answer only costs reading more messages.
func (v *View) TextFilter(needle string, z fts.Zone) *fts.Filter {
	mb := v.mb
	if v.mb.store.indexer == nil {
		return nil
	}
	// A mailbox just opened (a restart): its index is opened now, not
	// when the indexer comes to it.
	v.mb.store.indexer.open(mb)
	mb.mu.Lock()
	idx := mb.fts
	ok := idx != nil && idx.UIDValidity() == mb.uidValidity
	if !ok || idx.Len() < mb.countLocked() {
		// Not built yet, or started again after damage.
		mb.store.indexer.wake(mb)
	}
	mb.mu.Unlock()
	if !ok {
		return nil
	}
	return idx.Filter(needle, z)
}

// slicesBinarySearch finds uid in the ascending uids.
func slicesBinarySearch(uids []uint32, uid uint32) (int, bool) {
	return slices.BinarySearch(uids, uid)
}
