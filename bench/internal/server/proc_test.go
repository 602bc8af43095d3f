package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCPUUnreadable: a CPU time that cannot be read is an error, never a
// total of 0 (which the CPU rows would score as a perfect server).
func TestCPUUnreadable(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		pids []int
		want string
	}{
		{"no process", nil, "no process"},
		{"a process that ended", []int{gone.Process.Pid}, "process"},
		{"one of two processes ended", []int{os.Getpid(), gone.Process.Pid}, "process"},
		{"no such pid", []int{-1}, "process -1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CPU(c.pids)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CPU(%v) = %v, %v; want an error with %q", c.pids, got.Total, err, c.want)
			}
		})
	}
}

// TestCPUSince: the CPU time of a live process grows, and a reading
// that counted nothing is an error.
func TestCPUSince(t *testing.T) {
	pids := []int{os.Getpid()}
	before, err := CPU(pids)
	if err != nil {
		t.Fatalf("CPU of the test itself: %v", err)
	}
	// More than a clock tick of /proc/PID/stat.
	spin(50 * time.Millisecond)
	after, err := CPU(pids)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := after.Since(before); err != nil || d <= 0 {
		t.Errorf("Since = %v, %v after 50 ms of work", d, err)
	}

	for _, c := range []struct {
		name          string
		before, after CPUTime
	}{
		{"nothing counted", CPUTime{Total: 5, procs: 1}, CPUTime{Total: 5, procs: 1}},
		{"less than before", CPUTime{Total: 5, procs: 1}, CPUTime{Total: 4, procs: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.after.Since(c.before)
			if err == nil || !strings.Contains(err.Error(), "nothing was counted") {
				t.Errorf("Since = %v, %v; want an error with %q", d, err, "nothing was counted")
			}
		})
	}
}

// spin uses d of the calling thread's CPU time, or gives up after ten
// times d of wall time on a busy machine.
func spin(d time.Duration) {
	var ru syscall.Rusage
	start := threadCPU(&ru)
	for end := time.Now().Add(10 * d); time.Now().Before(end) && threadCPU(&ru)-start < d; {
	}
}

// threadCPU is the calling thread's CPU time so far.
func threadCPU(ru *syscall.Rusage) time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPUThreadEnded: a thread that ends between two readings keeps its
// CPU time in the second (mailgate's mbox rewrite runs on a thread that
// ends when done), so the reading neither fails nor comes out too low.
func TestCPUThreadEnded(t *testing.T) {
	const work = 100 * time.Millisecond
	tid := make(chan int)
	start, done := make(chan struct{}), make(chan time.Duration)
	release := make(chan struct{})
	defer close(release)
	worker := func() {
		runtime.LockOSThread()
		if syscall.Gettid() == os.Getpid() {
			// Go does not end the process's first thread: hold it and
			// let the caller try again on another.
			tid <- 0
			<-release
			runtime.UnlockOSThread()
			return
		}
		// Locked and never unlocked: the thread ends with the goroutine.
		tid <- syscall.Gettid()
		<-start
		var ru syscall.Rusage
		from := threadCPU(&ru)
		spin(work)
		done <- threadCPU(&ru) - from
	}
	go worker()
	id := <-tid
	for id == 0 {
		go worker()
		id = <-tid
	}
	task := fmt.Sprintf("/proc/self/task/%d", id)
	before, err := CPU([]int{os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	close(start)
	used := <-done
	if used < work {
		t.Skipf("the thread had %v of CPU in 1 s of wall time; the machine is too busy", used)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still there 10 s after its goroutine ended", task)
		}
	}
	after, err := CPU([]int{os.Getpid()})
	if err != nil {
		t.Fatalf("CPU after a thread ended: %v", err)
	}
	d, err := after.Since(before)
	// Each of utime and stime is rounded down to a 10 ms tick.
	if err != nil || d < used-2*time.Second/userHZ {
		t.Errorf("Since = %v, %v after a thread that ended used %v meanwhile; want at least that, less two clock ticks", d, err, used)
	}
}

// TestReadStatCPU: utime+stime are found after the command name, whatever
// it holds, and a file that is not a stat line is an error.
func TestReadStatCPU(t *testing.T) {
	rest := " S 1 1 1 0 -1 4194560 100 0 0 0 %s %s 0 0 20 0 1 0 5 1000 10 0\n"
	for _, c := range []struct {
		name string
		stat string
		want time.Duration // -1 for an error
	}{
		{"plain", "7 (mailgate)" + fmt.Sprintf(rest, "12", "3"), 150 * time.Millisecond},
		{"name with spaces and parentheses", "7 (a) (b c) 9)" + fmt.Sprintf(rest, "1", "0"), 10 * time.Millisecond},
		{"none used", "7 (x)" + fmt.Sprintf(rest, "0", "0"), 0},
		{"negative", "7 (x)" + fmt.Sprintf(rest, "-1", "0"), -1},
		{"not a number", "7 (x)" + fmt.Sprintf(rest, "1", "z"), -1},
		{"too short", "7 (x) S 1 1 1 0 -1 4194560 100 0 0 0 12\n", -1},
		{"no command name", "7 x S 1", -1},
		{"empty", "", -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "stat")
			if err := os.WriteFile(name, []byte(c.stat), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readStatCPU(name)
			switch {
			case c.want < 0 && err == nil:
				t.Errorf("readStatCPU(%q) = %v; want an error", c.stat, got)
			case c.want >= 0 && (err != nil || got != c.want):
				t.Errorf("readStatCPU(%q) = %v, %v; want %v", c.stat, got, err, c.want)
			}
		})
	}
	if _, err := readStatCPU(filepath.Join(t.TempDir(), "gone")); err == nil {
		t.Error("readStatCPU of a missing file: no error")
	}
}

// TestCPUClockPrecise: the CPU time comes from the process's CPU clock in
// nanoseconds, not in 10 ms clock ticks, so a few milliseconds of work
// are measured as such.
func TestCPUClockPrecise(t *testing.T) {
	before, err := processClock(os.Getpid())
	if err != nil {
		t.Fatalf("processClock: %v", err)
	}
	for start := time.Now(); time.Since(start) < 3*time.Millisecond; {
	}
	after, err := processClock(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	d := after - before
	if d <= 0 || d%(10*time.Millisecond) == 0 {
		t.Errorf("3 ms of work measured as %v: not the process's CPU clock", d)
	}
	if _, err := processClock(1 << 30); err == nil {
		t.Error("processClock of a pid that does not exist: no error")
	}
}
