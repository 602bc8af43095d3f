package storage

import (
	"sync/atomic"
	"time"
)

// Background work (the full-text index build, and the cache values it
// derives on the way) runs on the same CPUs as the sessions. On a
// mailbox's first SELECT it starts while the client's next commands
// (FETCH 1:* ENVELOPE, say) are waiting for their answers, and took
// about half of the machine from them. So it yields: a worker of the
// build waits, before each message, until no command has been in
// progress for foregroundQuiet. A process counts its own commands: the
// CPUs are the process's, whatever the mailbox.
//
// A build is never starved: one wait lasts at most yieldMax, after which
// the worker goes on for yieldBurst without waiting, so that under
// constant load the build still gets about a sixth of a CPU. The bursts
// are the process's, not each worker's: one worker at a time, and
// yieldMax between the end of one and the start of the next. When each
// worker had its own, the build's two workers (one per CPU) took a third
// of a CPU from a long command, such as a FETCH of many message bodies,
// often both at once.
//
// Nor does a burst start in the first busyGrace of a busy period (from
// the moment a command began with none in progress, and none ended for
// foregroundQuiet, until no command has been in progress for
// foregroundQuiet again): the first commands on a new mailbox (SELECT,
// FETCH 1:* (FLAGS), then FETCH 1:* (ENVELOPE), which reads every
// message's header) are over by then even at 100,000 messages, and
// bursts took a tenth of the CPU that FETCH got. Only load that lasts
// longer than that waits for the build's share.

// foregroundQuiet is how long no command must have been in progress
// for background work to go on; yieldMax bounds one wait, and
// yieldBurst is how long a worker then works without waiting.
// busyGrace is how long a busy period goes without bursts.
const (
	foregroundQuiet = 20 * time.Millisecond
	yieldMax        = 250 * time.Millisecond
	yieldBurst      = 50 * time.Millisecond
	yieldPoll       = 2 * time.Millisecond
	busyGrace       = 2 * time.Second
)

// foregroundState counts the commands in progress, and when the last
// one ended (Unix nanoseconds); busySince is when the busy period began
// (Unix nanoseconds; see above); burstEnd is when the last burst of
// background work ends or ended (Unix nanoseconds).
type foregroundState struct {
	active    atomic.Int64
	ended     atomic.Int64
	busySince atomic.Int64
	burstEnd  atomic.Int64
}

// foreground is the process's: every session's commands count.
var foreground foregroundState

// Foreground marks a client's command as in progress until the returned
// function is called: background work yields to it meanwhile.
func Foreground() (done func()) {
	foreground.begin(time.Now())
	return endForeground
}

func endForeground() { foreground.end(time.Now()) }

// begin notes that a command began at now: a busy period begins when
// none was in progress and none ended for foregroundQuiet.
func (f *foregroundState) begin(now time.Time) {
	if f.active.Add(1) == 1 && now.UnixNano()-f.ended.Load() >= int64(foregroundQuiet) {
		f.busySince.Store(now.UnixNano())
	}
}

// end notes that a command ended at now.
func (f *foregroundState) end(now time.Time) {
	f.ended.Store(now.UnixNano())
	f.active.Add(-1)
}

// quietSince reports whether no command has been in progress since
// foregroundQuiet before now.
func (f *foregroundState) quietSince(now time.Time) bool {
	return f.active.Load() == 0 &&
		now.UnixNano()-f.ended.Load() >= int64(foregroundQuiet)
}

// yielder lets one background worker yield to commands in progress.
// Its zero value is ready, and yields to the process's commands on the
// real clock; it is not shared between goroutines.
type yielder struct {
	burstUntil time.Time // no waiting before this
	// fg, now and sleep stand for foreground, time.Now and time.Sleep
	// when set (tests).
	fg    *foregroundState
	now   func() time.Time
	sleep func(time.Duration)
}

// yield waits until commands leave the CPUs to background work (see
// above), at most yieldMax; stop, checked while waiting, ends the wait
// early.
func (y *yielder) yield(stop func() bool) {
	fg, clock, sleep := y.fg, y.now, y.sleep
	if fg == nil {
		fg = &foreground
	}
	if clock == nil {
		clock = time.Now
	}
	if sleep == nil {
		sleep = time.Sleep
	}
	now := clock()
	if fg.quietSince(now) || now.Before(y.burstUntil) {
		return
	}
	deadline := now.Add(yieldMax)
	for !fg.quietSince(now) {
		if !now.Before(deadline) && fg.claimBurst(now) {
			y.burstUntil = now.Add(yieldBurst)
			return
		}
		if stop != nil && stop() {
			return
		}
		sleep(yieldPoll)
		now = clock()
	}
}

// claimBurst lets a worker whose wait ran out work for yieldBurst, when
// no other worker does and none has for yieldMax, and the busy period
// has lasted busyGrace.
func (f *foregroundState) claimBurst(now time.Time) bool {
	if now.UnixNano()-f.busySince.Load() < int64(busyGrace) {
		return false
	}
	end := f.burstEnd.Load()
	if now.UnixNano() < end+int64(yieldMax) {
		return false
	}
	return f.burstEnd.CompareAndSwap(end, now.Add(yieldBurst).UnixNano())
}
