package server

import (
	"os"
	"os/exec"
	"strings"
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
// that lost a thread or counted nothing is an error.
func TestCPUSince(t *testing.T) {
	pids := []int{os.Getpid()}
	before, err := CPU(pids)
	if err != nil {
		t.Fatalf("CPU of the test itself: %v", err)
	}
	for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); {
	}
	after, err := CPU(pids)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := after.Since(before); err != nil || d <= 0 {
		t.Errorf("Since = %v, %v after 20 ms of work", d, err)
	}

	for _, c := range []struct {
		name          string
		before, after CPUTime
		want          string
	}{
		{"a thread ended",
			CPUTime{Total: 5, threads: map[string]bool{"7/7": true, "7/8": true}},
			CPUTime{Total: 9, threads: map[string]bool{"7/7": true}},
			"thread 7/8 ended"},
		{"nothing counted",
			CPUTime{Total: 5, threads: map[string]bool{"7/7": true}},
			CPUTime{Total: 5, threads: map[string]bool{"7/7": true}},
			"nothing was counted"},
		{"less than before",
			CPUTime{Total: 5, threads: map[string]bool{"7/7": true}},
			CPUTime{Total: 4, threads: map[string]bool{"7/7": true}},
			"nothing was counted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.after.Since(c.before)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Since = %v, %v; want an error with %q", d, err, c.want)
			}
		})
	}
	// A thread that started meanwhile counts whole: too much, never too
	// little.
	grew := CPUTime{Total: 12, threads: map[string]bool{"7/7": true, "7/9": true}}
	if d, err := grew.Since(CPUTime{Total: 5, threads: map[string]bool{"7/7": true}}); err != nil || d != 7 {
		t.Errorf("a new thread: Since = %v, %v; want 7ns", d, err)
	}
}
