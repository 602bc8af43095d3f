package storage

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Store starts work of its own that no session waits for: the
// full-text build and its StartDelay, the re-reads of a mailbox after a
// change (and their retries), the check after a quiet flag batch, the
// watch set once a SELECT is answered, the index a first SELECT leaves
// to View.Settle, polling, the watcher's loop and lingering. All of it
// goes through the Store's background, so that Close can refuse new
// work, cancel what waits on a timer and wait for what runs: nothing
// the Store started writes a file after Close returned.
//
// Rules for the work itself:
//
//   - Start it with background.start, or after a delay with
//     background.after; both refuse once Close began (false, nil), and
//     the caller then drops the work (or leaves it to the mailbox's own
//     close, as the deferred index is).
//   - A loop (polling, a long build) watches background.stopping (or
//     asks background.stopped) and ends soon after Close began, writing
//     what it has done so far whole, never half.
//   - Work never waits for Close, or for a lock that a caller of Close
//     holds: Close waits for the work.
//   - Every file the work writes is written to a temporary name and
//     renamed (cache files, maildir's index, the full-text segment), or
//     appended as checksummed records (the full-text log), so that work
//     cut short by the end of the process, when Close gave up waiting,
//     leaves the old file or the new one.

// DefaultCloseWait is how long Store.Close waits for the store's
// background work to end when Options.CloseWait is zero.
const DefaultCloseWait = 10 * time.Second

// ErrClosed means the Store was closed (the service is stopping): the
// operation was not done, and may be tried again once it has restarted.
var ErrClosed = errors.New("mail storage is shutting down; try again later")

// background tracks the work a Store runs on its own. Its zero value is
// not usable: see newBackground. mu is taken after every other lock of
// the Store (s.mu, mb.mu, the indexer's): nothing is called with it
// held.
type background struct {
	mu      sync.Mutex
	closing bool
	stop    chan struct{}         // closed when Close begins
	timers  map[*bgTimer]struct{} // waiting to run
	running map[string]int        // running work, by kind (for Close's log)
	wg      sync.WaitGroup        // one count per running work
}

func newBackground() *background {
	return &background{
		stop:    make(chan struct{}),
		timers:  make(map[*bgTimer]struct{}),
		running: make(map[string]int),
	}
}

// stopping is closed when Close begins: loops select on it.
func (b *background) stopping() <-chan struct{} { return b.stop }

// stopped reports whether Close has begun, without a lock: for loops
// that check it often.
func (b *background) stopped() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}

// enterLocked counts one running work of kind; b.mu is held and Close
// has not begun.
func (b *background) enterLocked(kind string) {
	b.wg.Add(1)
	b.running[kind]++
}

// leave ends one running work of kind.
func (b *background) leave(kind string) {
	b.mu.Lock()
	if b.running[kind]--; b.running[kind] == 0 {
		delete(b.running, kind)
	}
	b.mu.Unlock()
	b.wg.Done()
}

// start runs f in a goroutine of its own, named kind in Close's log,
// unless Close has begun; it reports whether f was started.
func (b *background) start(kind string, f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return false
	}
	b.enterLocked(kind)
	go func() {
		defer b.leave(kind)
		f()
	}()
	return true
}

// bgTimer is work waiting on a timer (background.after).
type bgTimer struct {
	b    *background
	t    *time.Timer
	kind string
}

// after runs f after d in a goroutine of its own, as start does, unless
// Close begins first or the timer is stopped; nil, and f never runs,
// when Close has begun already.
func (b *background) after(d time.Duration, kind string, f func()) *bgTimer {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return nil
	}
	bt := &bgTimer{b: b, kind: kind}
	b.timers[bt] = struct{}{}
	// The timer's function takes b.mu, held here until bt.t is set.
	bt.t = time.AfterFunc(d, func() {
		b.mu.Lock()
		if _, waiting := b.timers[bt]; !waiting {
			b.mu.Unlock()
			return // stopped, by Stop or by Close
		}
		delete(b.timers, bt)
		b.enterLocked(kind)
		b.mu.Unlock()
		defer b.leave(kind)
		f()
	})
	return bt
}

// Stop cancels the work unless it has begun, and reports whether it
// cancelled it. A nil bgTimer (after refused) stops nothing.
func (bt *bgTimer) Stop() bool {
	if bt == nil {
		return false
	}
	bt.b.mu.Lock()
	_, waiting := bt.b.timers[bt]
	delete(bt.b.timers, bt)
	bt.b.mu.Unlock()
	bt.t.Stop()
	return waiting
}

// shut refuses new work from now on and cancels the work waiting on a
// timer. It reports false when it was done before.
func (b *background) shut() bool {
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		return false
	}
	b.closing = true
	close(b.stop)
	timers := b.timers
	b.timers = make(map[*bgTimer]struct{})
	b.mu.Unlock()
	for bt := range timers {
		bt.t.Stop()
	}
	return true
}

// wait waits until no work runs, at most limit (forever when limit is
// negative). When the limit passes first, the work goes on, and the
// error names what still runs.
func (b *background) wait(limit time.Duration) error {
	done := make(chan struct{})
	go func() {
		b.wg.Wait()
		close(done)
	}()
	if limit < 0 {
		<-done
		return nil
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
	}
	b.mu.Lock()
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(b.running)) {
		kinds = append(kinds, fmt.Sprintf("%s (%d)", k, b.running[k]))
	}
	b.mu.Unlock()
	return fmt.Errorf("storage: close: background work still running after %v: %s", limit, strings.Join(kinds, ", "))
}

// count returns how much work of kind runs, and how much waits on a
// timer (for tests).
func (b *background) count(kind string) (running, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for bt := range b.timers {
		if bt.kind == kind {
			waiting++
		}
	}
	return b.running[kind], waiting
}

// The kinds of background work, as Close's log names them.
const (
	bgBuild   = "full-text build"
	bgRefresh = "re-read"
	bgSettle  = "settle"
	bgPoll    = "polling"
	bgWatch   = "file watcher"
	bgLinger  = "lingering"
	bgQuiet   = "check after a quiet batch"
)
