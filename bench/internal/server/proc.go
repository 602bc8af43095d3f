package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Tree returns pid and all its descendants, from /proc.
func Tree(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// Mem is the memory of a process tree, in bytes.
type Mem struct {
	RSS   int64 // sum of VmRSS
	HWM   int64 // sum of VmHWM (each process's own peak)
	PSS   int64 // sum of Pss (shared pages divided among their users); with pss only
	Procs int
}

// TreeMem adds up the memory of pid's process tree. PSS is read only when
// pss is set (smaps_rollup is slower than status).
func TreeMem(pid int, pss bool) Mem {
	var m Mem
	for _, p := range Tree(pid) {
		dir := filepath.Join("/proc", strconv.Itoa(p))
		st, err := os.ReadFile(filepath.Join(dir, "status"))
		if err != nil {
			continue
		}
		m.Procs++
		m.RSS += kbField(st, "VmRSS:")
		m.HWM += kbField(st, "VmHWM:")
		if pss {
			if sm, err := os.ReadFile(filepath.Join(dir, "smaps_rollup")); err == nil {
				m.PSS += kbField(sm, "Pss:")
			}
		}
	}
	return m
}

// RSS adds up the resident memory of the given processes quickly (statm).
func RSS(pids []int) int64 {
	var total int64
	page := int64(os.Getpagesize())
	for _, p := range pids {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/statm")
		if err != nil {
			continue
		}
		f := strings.Fields(string(data))
		if len(f) > 1 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			total += n * page
		}
	}
	return total
}

// kbField reads a "Name:   123 kB" line and returns bytes.
func kbField(data []byte, name string) int64 {
	i := bytes.Index(data, []byte("\n"+name))
	if i < 0 {
		if !bytes.HasPrefix(data, []byte(name)) {
			return 0
		}
		i = -1
	}
	rest := data[i+1+len(name):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n << 10
}

// Sessions counts the session processes in pid's tree: Dovecot's "imap"
// and a forking imap4d's children. A server that serves every session in
// one process (mailgate) has none.
func Sessions(pid int) int {
	n := 0
	for _, p := range Tree(pid) {
		if p == pid {
			continue
		}
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/comm")
		if err != nil {
			continue
		}
		switch strings.TrimSpace(string(comm)) {
		case "imap", "imap4d":
			n++
		}
	}
	return n
}

// userHZ is the unit of the CPU times in /proc/PID/stat: clock ticks of
// USER_HZ, which Linux fixes at 100 a second on every architecture Go
// runs on (sysconf(_SC_CLK_TCK), out of reach without cgo).
const userHZ = 100

// CPUTime is the CPU time of a set of processes at one moment, from
// /proc/PID/stat.
type CPUTime struct {
	// Total is the CPU time the processes have used so far, in every
	// thread they have had, ended ones included.
	Total time.Duration
	// procs is how many processes were read.
	procs int
}

// CPU adds up the CPU time the given processes have used so far, from
// each process's CPU-time clock (clock_gettime on the clock of the whole
// process, in nanoseconds), or, where that cannot be read, user and
// system time, fields 14 and 15 of /proc/PID/stat, in clock ticks (10 ms:
// too coarse for a command of a few milliseconds). Both include the time
// of the process's threads that have already ended, so a thread that
// ends between two readings (mailgate's mbox rewrite runs on one) keeps
// its time in the total, which summing /proc/PID/task/TID/* would not.
// CPU fails when it cannot read one of the processes (a process that
// ended, a pid that does not exist): a total without it would be too
// low, and a lower CPU time scores as a better server.
func CPU(pids []int) (CPUTime, error) {
	var t CPUTime
	if len(pids) == 0 {
		return t, errors.New("server CPU time: no process to read")
	}
	for _, p := range pids {
		n, err := processClock(p)
		if err != nil {
			n, err = readStatCPU("/proc/" + strconv.Itoa(p) + "/stat")
		}
		if err != nil {
			return t, fmt.Errorf("server CPU time of process %d: %w", p, err)
		}
		t.Total += n
		t.procs++
	}
	return t, nil
}

// processClock reads the CPU-time clock of process pid: the time all its
// threads, ended ones included, have run (Linux's
// MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)).
func processClock(pid int) (time.Duration, error) {
	const cpuClockSched = 2
	if pid <= 0 || pid > 1<<22 {
		// Not a pid (Linux's are at most 2^22): ^pid<<3 would name
		// another clock, the caller's own for -1.
		return 0, fmt.Errorf("no such process: %d", pid)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(^pid<<3|cpuClockSched), &ts); err != nil {
		return 0, fmt.Errorf("clock_gettime: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}

// readStatCPU reads utime+stime from a /proc/PID/stat file.
func readStatCPU(name string) (time.Duration, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses, so
	// the fields are counted from the last ')', which ends field 2.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", name)
	}
	f := strings.Fields(string(data[i+1:]))
	const utime, stime = 14 - 3, 15 - 3 // f[0] is field 3, the state
	if len(f) <= stime {
		return 0, fmt.Errorf("%s: %d fields, want at least 15", name, len(f)+2)
	}
	var ticks int64
	for _, field := range []string{f[utime], f[stime]} {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: not a CPU time: %q", name, field)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// Since returns the CPU time used between an earlier reading of the same
// processes and t. It fails when no time was used at all (nothing was
// counted: no server does work for nothing, though a command that takes
// less than a clock tick of CPU may show none).
func (t CPUTime) Since(earlier CPUTime) (time.Duration, error) {
	d := t.Total - earlier.Total
	if d <= 0 {
		return 0, fmt.Errorf("server CPU time: %v used by %d processes; nothing was counted", d, t.procs)
	}
	return d, nil
}
