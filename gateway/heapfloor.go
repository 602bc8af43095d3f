package gateway

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

// FreshStartHeapFloor is how much memory a process may use before its
// first garbage collection (see TuneForFreshStart).
const FreshStartHeapFloor = 32 << 20

// TuneForFreshStart tunes the garbage collector of a process that has just
// started serving: inetd mode (-i), the daemon's session processes, and
// the daemon itself. Such a process starts with an empty heap, and its
// first commands on a large mailbox build state that stays live (100,000
// messages take about 15 MiB): the collector's default pacing, which
// starts collecting at 4 MiB, would run two or three cycles that free
// nothing while the first answers wait, about a third of a fresh
// process's FETCH 1:* FLAGS, a fifth of a fresh daemon's first SELECT of
// 10,000 messages. So the first collection waits until the process uses
// FreshStartHeapFloor (a memory limit with GOGC off, the runtime's
// documented way to set a floor); after it, the collector paces as usual,
// GOGC=100. A process whose whole life stays below the floor never
// collects, and uses no more memory for that: it allocated what it used.
//
// It is a process-wide setting, for the mailgate binary; a program that
// embeds the gateway keeps its own. GOGC or GOMEMLIMIT in the
// environment means the administrator tuned the collector: then it
// changes nothing.
func TuneForFreshStart() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	setHeapFloor(FreshStartHeapFloor)
}

// setHeapFloor turns the collector off until the process uses floor
// bytes, and restores GOGC=100 and no limit after the first collection,
// which the limit starts. It returns a function that reports whether the
// floor is still in force, for tests.
func setHeapFloor(floor int64) (inForce func() bool) {
	debug.SetMemoryLimit(floor)
	old := debug.SetGCPercent(-1)
	restored := make(chan struct{})
	// The first collection finds the sentinel unreachable: its cleanup
	// then puts the usual pacing back. It holds a pointer so that the
	// runtime's tiny allocator, whose blocks may never be freed, does not
	// take it.
	type sentinel struct {
		_ *int
		_ [16]byte
	}
	runtime.AddCleanup(new(sentinel), func(gcPercent int) {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(math.MaxInt64)
		close(restored)
	}, old)
	return func() bool {
		select {
		case <-restored:
			return false
		default:
			return true
		}
	}
}
