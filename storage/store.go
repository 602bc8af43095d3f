package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options configure a Store. The zero value is usable once Drivers is set.
type Options struct {
	// Drivers are the formats the store can read, by Driver.Name.
	Drivers []Driver
	// Logger receives the store's logs; slog.Default() when nil.
	Logger *slog.Logger
	// PollInterval is how often a mailbox whose files cannot be watched
	// is re-read; 500ms when zero.
	PollInterval time.Duration
	// Linger is how long a mailbox stays open, watched and up to date,
	// after its last user left, so that the next SELECT finds it warm;
	// 2 minutes when zero, never when negative.
	Linger time.Duration
	// MaxLingering bounds how many unused mailboxes linger; 32 when zero.
	MaxLingering int
	// GoneLookEvery is how often, at most, the start of a command
	// (View.Check) looks, for every session of a mailbox at once,
	// whether its directory or file is still at its path (gone.go);
	// 1 second when zero, at every command when negative.
	GoneLookEvery time.Duration
	// SpoolDir is where an APPEND'ed message is copied while it arrives,
	// for drivers that cannot stage it themselves (Stager), so that the
	// mailbox is locked only once the whole message is in; os.TempDir()
	// when empty. Spool files are unlinked as soon as they are made.
	SpoolDir string
	// MaxListEntries bounds the directory entries one LIST reads below
	// one namespace prefix's directory, so that a prefix mapped to a
	// real home (thousands of entries, a Go module cache) costs a bounded
	// walk; past it the listing of that prefix stops and a warning names
	// the directory, once per account. DefaultMaxListEntries when zero.
	MaxListEntries int
	// FullText, when set, keeps a full-text index of every open mailbox
	// for SEARCH (View.TextFilter).
	FullText *FullText
	// CloseWait bounds how long Close waits for the store's background
	// work (a full-text build, a re-read, an index write) to end, so
	// that a stuck disk cannot hold a daemon's shutdown forever;
	// DefaultCloseWait when zero, no bound when negative.
	CloseWait time.Duration
}

// Store opens mailboxes and shares each open mailbox's state among every
// session and frontend that uses it.
type Store struct {
	drivers  map[string]Driver
	order    []Driver
	log      *slog.Logger
	poll     time.Duration
	linger   time.Duration
	goneLook time.Duration // Options.GoneLookEvery
	maxIdle  int
	spoolDir string
	// maxListEntries is Options.MaxListEntries or its default.
	maxListEntries int

	// specialUseMu serialises the read-change-write of users'
	// special-use files (Account.updateSpecialUses).
	specialUseMu sync.Mutex
	// mailboxIDMu serialises the read-change-write of users' mailbox
	// identifier files (Account.updateMailboxIDs).
	mailboxIDMu sync.Mutex
	// mailboxIDs holds the identifier files last read (idFiles).
	mailboxIDs idFiles
	// usages are the quota usages of the users seen, by name and home;
	// usageMu guards the map and is taken before any usage's own lock.
	usageMu sync.Mutex
	usages  map[string]*usage

	// rescans counts the re-reads of open mailboxes (Rescans).
	rescans atomic.Uint64

	mu   sync.Mutex
	open map[string]*mailbox // by path
	idle []*mailbox          // open with no user, oldest first
	// watcher is made when the first path is watched (addWatch), not
	// with the Store: a short session (inetd) may never watch, and
	// making it costs an inotify instance and a thread waiting on it
	// before the greeting. Written with mu and quietMu held. noWatcher:
	// it could not be made, so mailboxes are polled.
	watcher   *fsnotify.Watcher
	noWatcher bool
	// watched maps each watched file or directory to the mailboxes that
	// asked for it: several mbox files share their directory.
	watched map[string]map[*mailbox]struct{}
	closed  bool // Close was called: no new watches, no new mailboxes

	// bg is the work the store runs on its own (background.go);
	// closeWait is Options.CloseWait or its default.
	bg        *background
	closeWait time.Duration

	indexer *indexer // nil without Options.FullText

	// Watches lifted during a large batch of a mailbox's own changes
	// (quiet.go); quietMu is taken after s.mu or a mailbox's mu, never
	// before.
	quietMu sync.Mutex
	live    map[string]bool // paths the watcher should watch
	quieted map[string]int  // paths whose watch is lifted, by how many batches
}

// New returns a Store.
func New(opts Options) *Store {
	s := &Store{
		drivers: make(map[string]Driver),
		log:     opts.Logger,
		poll:    opts.PollInterval,
		open:    make(map[string]*mailbox),
		usages:  make(map[string]*usage),
		watched: make(map[string]map[*mailbox]struct{}),
		live:    make(map[string]bool),
		quieted: make(map[string]int),
		bg:      newBackground(),
	}
	s.closeWait = opts.CloseWait
	if s.closeWait == 0 {
		s.closeWait = DefaultCloseWait
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.poll == 0 {
		s.poll = 500 * time.Millisecond
	}
	s.linger, s.maxIdle = opts.Linger, opts.MaxLingering
	s.spoolDir = opts.SpoolDir
	if s.spoolDir == "" {
		s.spoolDir = os.TempDir()
	}
	s.maxListEntries = opts.MaxListEntries
	if s.maxListEntries <= 0 {
		s.maxListEntries = DefaultMaxListEntries
	}
	switch s.goneLook = opts.GoneLookEvery; {
	case s.goneLook == 0:
		s.goneLook = time.Second
	case s.goneLook < 0:
		s.goneLook = 0
	}
	if s.linger == 0 {
		s.linger = 2 * time.Minute
	}
	if s.maxIdle == 0 {
		s.maxIdle = 32
	}
	s.indexer = newIndexer(s, opts.FullText)
	for _, d := range opts.Drivers {
		s.drivers[d.Name()] = d
		s.order = append(s.order, d)
	}
	return s
}

// startWatcher makes s.watcher, once; s.mu and s.quietMu are held. It
// reports whether there is one.
func (s *Store) startWatcher() bool {
	if s.watcher == nil && !s.noWatcher && !s.closed {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			s.log.Warn("storage: file watching unavailable; polling instead", "err", err)
			s.noWatcher = true
			return false
		}
		s.watcher = w
		if !s.bg.start(bgWatch, func() { s.watchLoop(w) }) {
			// Not closed (checked above), so never: but a watcher
			// without its loop must not stay.
			w.Close()
			s.watcher, s.noWatcher = nil, true
		}
	}
	return s.watcher != nil
}

// Close stops the store: it refuses new mailboxes (ErrClosed), cancels
// the background work that waits on a timer (a full-text build's
// StartDelay, a re-read, a watch set after an answer), closes the
// mailboxes nobody uses (writing their caches), stops watching and
// polling files, and waits for the background work that runs to end: a
// full-text build stops after the message it reads, and writes what it
// has indexed so far. It waits at most Options.CloseWait; when that
// passes first, it returns an error that names the work still running,
// which goes on (every file it writes is replaced whole, or appended in
// checksummed records: a process that exits meanwhile leaves no
// half-written file). Views still open keep working, without change
// notification, until they are closed. Calling Close again waits for
// the background work again, and closes nothing more.
func (s *Store) Close() error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	s.bg.shut()
	idle := s.idle
	s.idle = nil
	for _, mb := range idle {
		s.unidleLocked(mb)
		s.dropLocked(mb)
	}
	s.mu.Unlock()
	if !first {
		return s.bg.wait(s.closeWait)
	}
	for _, mb := range idle {
		mb.close()
	}
	s.quietMu.Lock()
	w := s.watcher
	s.quietMu.Unlock()
	var werr error
	if w != nil {
		werr = w.Close()
	}
	err := s.bg.wait(s.closeWait)
	if err != nil {
		s.log.Warn("storage: closing while background work still runs", "err", err)
	}
	return errors.Join(err, werr)
}

// Driver returns the driver for a format name.
func (s *Store) Driver(name string) (Driver, bool) {
	d, ok := s.drivers[name]
	return d, ok
}

// detect returns the driver whose format is at path, trying only typ when
// it is set.
func (s *Store) detect(path, typ string) (Driver, bool) {
	if typ != "" {
		d, ok := s.drivers[typ]
		if ok && d.Is(path) {
			return d, true
		}
		return nil, false
	}
	for _, d := range s.order {
		if d.Is(path) {
			return d, true
		}
	}
	return nil, false
}

// acquire returns the shared state of the mailbox at path, opening it if
// needed; inbox tells that it is the user's INBOX (see SpoolFolder). The
// caller must call release.
func (s *Store) acquire(d Driver, path string, perm os.FileMode, inbox bool) (*mailbox, error) {
	var stale *mailbox
	defer func() {
		if stale != nil {
			stale.close()
		}
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("opening %s: %w", path, ErrClosed)
	}
	if mb, ok := s.open[path]; ok && !mb.isGone() {
		if mb.refs == 0 {
			s.unidleLocked(mb)
		}
		mb.refs++
		return mb, nil
	} else if ok {
		// Removed by another program (gone.go): what is at the path
		// now, if anything, is another mailbox. The views still on
		// the old one close it as they go (release).
		s.dropLocked(mb)
		if mb.refs == 0 {
			s.unidleLocked(mb)
			stale = mb
		}
	}
	f, err := d.Open(path, perm)
	if err != nil {
		return nil, err
	}
	mb := newMailbox(s, d, path, f, perm)
	mb.refs = 1
	if sf, ok := f.(SpoolFolder); ok && inbox {
		sf.ReadMissingAsEmpty()
		mb.spool = true
	}
	s.open[path] = mb
	if _, ok := f.(Unchanger); ok && !s.noWatcher {
		// Only once it is needed: see unwatched.go. Its own changes
		// meanwhile are not recorded as notifications to come.
		mb.watchPending.Store(true)
		if n, ok := f.(WatchNoter); ok {
			n.NoteWatched(false)
		}
	} else {
		s.watch(mb)
	}
	s.bg.after(watchDelay, bgSettle, func() { s.watchLater(mb) })
	return mb, nil
}

// hold takes a reference to mb, as acquire does, while mb is still the
// open mailbox of its path; false when it is not. The caller calls
// release.
func (s *Store) hold(mb *mailbox) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.open[mb.path] != mb {
		return false
	}
	if mb.refs == 0 {
		s.unidleLocked(mb)
	}
	mb.refs++
	return true
}

// watchDelay is how long after its opening a mailbox settles at the
// latest (see watchLater), when no View.Settle came first.
const watchDelay = 200 * time.Millisecond

// watchLater settles mb once the command that opened it has been
// answered: it wakes the full-text indexer, which reads the mailbox's
// index and perhaps many messages, and, for a mailbox not watched yet
// (Unchanger), asks its folder whether its files are as they were read.
// When they are, mb stays unwatched until a session waits for news of it
// or the folder cannot vouch for them any more (unwatched.go); when
// they are not (changed since, or too recently for their times to
// prove anything), mb is watched now and read again.
func (s *Store) watchLater(mb *mailbox) {
	mb.mu.Lock()
	stale := mb.watchPending.Load() && mb.unvouchedLocked()
	if !mb.settled && !mb.closed {
		mb.settled = true
		mb.wakeIndexerLocked()
	}
	mb.mu.Unlock()
	if stale && s.watchNow(mb) {
		mb.changed()
	}
}

// Rescans returns how many times open mailboxes were read again, after
// a change that a notification or polling found, or a resync (for the
// metrics).
func (s *Store) Rescans() uint64 { return s.rescans.Load() }

// release drops a reference taken by acquire. The last one leaves the
// mailbox lingering for a while, unless lingering is off: still watched
// if it was, else checked when it is opened again (syncUnwatched).
func (s *Store) release(mb *mailbox) {
	s.mu.Lock()
	mb.refs--
	if mb.refs > 0 {
		s.mu.Unlock()
		return
	}
	var closeNow []*mailbox
	if s.linger < 0 || mb.isGone() || s.closed {
		s.dropLocked(mb)
		closeNow = append(closeNow, mb)
	} else {
		s.idle = append(s.idle, mb)
		mb.lingerTimer = s.bg.after(s.linger, bgLinger, func() { s.expire(mb) })
		for len(s.idle) > s.maxIdle {
			oldest := s.idle[0]
			s.unidleLocked(oldest)
			s.dropLocked(oldest)
			closeNow = append(closeNow, oldest)
		}
	}
	s.mu.Unlock()
	for _, m := range closeNow {
		m.close()
	}
}

// expire closes a mailbox that lingered long enough unused.
func (s *Store) expire(mb *mailbox) {
	s.mu.Lock()
	if mb.refs > 0 || !slices.Contains(s.idle, mb) {
		s.mu.Unlock()
		return
	}
	s.unidleLocked(mb)
	s.dropLocked(mb)
	s.mu.Unlock()
	mb.close()
}

// unidleLocked takes mb off the lingering list; s.mu is held.
func (s *Store) unidleLocked(mb *mailbox) {
	if mb.lingerTimer != nil {
		mb.lingerTimer.Stop()
		mb.lingerTimer = nil
	}
	if i := slices.Index(s.idle, mb); i >= 0 {
		s.idle = slices.Delete(s.idle, i, i+1)
	}
}

// dropLocked removes mb from the open table and stops watching it; the
// caller closes it after unlocking. s.mu is held.
func (s *Store) dropLocked(mb *mailbox) {
	if s.open[mb.path] == mb {
		delete(s.open, mb.path)
	}
	s.unwatch(mb)
}

// forget drops path, and with below everything below it, from the
// open-mailbox table, so that a renamed or deleted mailbox is read afresh
// next time; why tells their views what happened. A RENAME moves the
// mailboxes below (below is set); a DELETE leaves them where they are,
// still the same mailboxes, whose sessions go on. It returns the
// mailboxes it marked gone, whose views the caller wakes once their
// files are changed (wakeGone).
func (s *Store) forget(path string, below bool, why GoneReason) []*mailbox {
	s.mu.Lock()
	var gone, closeNow []*mailbox
	for p, mb := range s.open {
		if p == path || below && isBelow(p, path) {
			s.dropLocked(mb)
			mb.markGone(why)
			gone = append(gone, mb)
			if mb.refs == 0 {
				s.unidleLocked(mb)
				closeNow = append(closeNow, mb)
			}
		}
	}
	s.mu.Unlock()
	for _, mb := range closeNow {
		mb.close()
	}
	// A cache save that began before markGone would write the file
	// again after the caller removed or moved it: wait it out (a save
	// that begins now sees the mailbox gone and writes nothing).
	for _, mb := range gone {
		mb.cacheSaving.Lock()
		mb.cacheSaving.Unlock()
	}
	return gone
}

func isBelow(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !filepath.IsAbs(rel) && len(rel) > 0 && rel[0] != '.'
}

// watch starts change notification for mb; s.mu is held.
func (s *Store) watch(mb *mailbox) {
	if !s.noWatcher {
		ok := true
		paths := mb.folder.WatchPaths()
		for _, p := range paths {
			if s.watched[p] == nil {
				if err := s.addWatch(p); err != nil {
					s.log.Debug("storage: cannot watch; polling", "path", p, "err", err)
					ok = false
					continue
				}
				s.watched[p] = make(map[*mailbox]struct{})
			}
			s.watched[p][mb] = struct{}{}
		}
		if ok {
			// After the watch, so that an own change never waits for
			// a notification that does not come; while a batch has
			// the watch lifted, after it is back (afterQuiet).
			s.noteWatchedLocked(mb, paths)
			return
		}
	}
	mb.startPolling(s.poll)
}

// unwatch stops change notification for mb; s.mu is held.
func (s *Store) unwatch(mb *mailbox) {
	for p, set := range s.watched {
		if _, ok := set[mb]; !ok {
			continue
		}
		delete(set, mb)
		if len(set) == 0 {
			delete(s.watched, p)
			s.removeWatch(p)
		}
	}
	mb.stopPolling()
}

func (s *Store) watchLoop(w *fsnotify.Watcher) {
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			// An event names the entry that changed: a watched file
			// itself (an mbox), or something in a watched directory.
			s.mu.Lock()
			set := s.watched[ev.Name]
			if len(set) == 0 {
				set = s.watched[filepath.Dir(ev.Name)]
			}
			var mbs []*mailbox
			for mb := range set {
				mbs = append(mbs, mb)
			}
			s.mu.Unlock()
			for _, mb := range mbs {
				if ev.Name == mb.modseqPath() {
					continue // the core's own bookkeeping
				}
				if s.indexer != nil && s.indexer.conf.Beside {
					if p := besideIndex(mb); p != "" && strings.HasPrefix(ev.Name, p) {
						continue // the full-text index's files
					}
				}
				if own, ok := mb.folder.(OwnChanges); ok && !own.Foreign(ev.Name) {
					continue // our own write, already known
				}
				mb.changed()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			s.logWatchError(err)
			// Events may have been lost: re-read every open mailbox.
			s.mu.Lock()
			for _, mb := range s.open {
				mb.changed()
			}
			s.mu.Unlock()
		}
	}
}

// logWatchError logs an error of the file watcher, at a level that says
// whether an administrator can do anything about it. Either way the open
// mailboxes are read again, so nothing is missed.
func (s *Store) logWatchError(err error) {
	switch {
	case errors.Is(err, syscall.EINVAL):
		// fsnotify removing the watch of a file that was renamed
		// away (IN_MOVE_SELF) after the kernel had dropped it: seen
		// under load when mbox rewrites of other processes rename a
		// new file over the watched one. Nothing was lost.
		s.log.Debug("storage: file watcher: a watch that was already gone", "err", err)
	case errors.Is(err, fsnotify.ErrEventOverflow):
		s.log.Warn("storage: file watcher: the kernel's event queue overflowed; every open mailbox is read again"+
			" (raise the sysctl fs.inotify.max_queued_events if this is frequent)", "err", err)
	default:
		s.log.Warn("storage: file watcher", "err", err)
	}
}

// Stats counts what the store has open, for logs and tests.
func (s *Store) Stats() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d open mailboxes, %d watched paths", len(s.open), len(s.watched))
}
