package gateway

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// collectorSettings reads GOGC and the memory limit without changing them.
func collectorSettings() (gcPercent int, limit int64) {
	gcPercent = debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)
	return gcPercent, debug.SetMemoryLimit(-1)
}

// restoreCollector puts the collector back as the test found it.
func restoreCollector(t *testing.T) {
	gcPercent, limit := collectorSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(limit)
	})
}

var sink []byte

func TestHeapFloor(t *testing.T) {
	restoreCollector(t)
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	runtime.GC()

	inForce := setHeapFloor(256 << 20)
	if gc, limit := collectorSettings(); gc != -1 || limit != 256<<20 {
		t.Fatalf("with the floor: GOGC %d, limit %d; want off and 256 MiB", gc, limit)
	}
	// Below the floor, allocating what the default pacing would collect
	// several times over starts no collection.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 40 {
		sink = make([]byte, 1<<20)
	}
	runtime.ReadMemStats(&after)
	if after.NumGC != before.NumGC {
		t.Errorf("%d collections below the floor", after.NumGC-before.NumGC)
	}
	if !inForce() {
		t.Fatal("floor gone before any collection")
	}

	// The first collection puts the usual pacing back.
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for inForce() {
		if time.Now().After(deadline) {
			t.Fatal("floor still in force 10s after a collection")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if gc, limit := collectorSettings(); gc != 100 || limit != math.MaxInt64 {
		t.Errorf("after the first collection: GOGC %d, limit %d; want 100 and none", gc, limit)
	}
}

func TestTuneForFreshStartLeavesAdministratorsSettings(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			restoreCollector(t)
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			t.Setenv(env, "200")
			TuneForFreshStart()
			if gc, limit := collectorSettings(); gc != 100 || limit != math.MaxInt64 {
				t.Errorf("with %s set: GOGC %d, limit %d; want them untouched", env, gc, limit)
			}
		})
	}
}
