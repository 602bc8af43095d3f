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

// CPUTime is the CPU time of a set of processes at one moment, as CPU
// read it: every thread's, from /proc/PID/task/TID/schedstat.
type CPUTime struct {
	// Total is the CPU time all the threads have used so far.
	Total time.Duration
	// threads is every thread read, by "PID/TID".
	threads map[string]bool
}

// CPU adds up the CPU time the given processes' threads have used so far
// (the first field of /proc/PID/task/TID/schedstat, in nanoseconds: finer
// than the clock ticks of /proc/PID/stat). It fails when it cannot read
// one of them (a process that ended, another user's process, a kernel
// without schedstat): a total without it would be too low, and a lower
// CPU time scores as a better server.
func CPU(pids []int) (CPUTime, error) {
	t := CPUTime{threads: map[string]bool{}}
	if len(pids) == 0 {
		return t, errors.New("server CPU time: no process to read")
	}
	for _, p := range pids {
		dir := "/proc/" + strconv.Itoa(p) + "/task"
		tasks, err := os.ReadDir(dir)
		if err != nil {
			return t, fmt.Errorf("server CPU time of process %d: %w", p, err)
		}
		for _, task := range tasks {
			name := dir + "/" + task.Name() + "/schedstat"
			n, err := readSchedstat(name)
			if err != nil {
				return t, fmt.Errorf("server CPU time of process %d: %w", p, err)
			}
			t.Total += n
			t.threads[strconv.Itoa(p)+"/"+task.Name()] = true
		}
	}
	return t, nil
}

// readSchedstat reads the CPU time in a schedstat file.
func readSchedstat(name string) (time.Duration, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, fmt.Errorf("%s: empty", name)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: not a CPU time: %q", name, f[0])
	}
	return time.Duration(n), nil
}

// Since returns the CPU time used between an earlier reading of the same
// processes and t. It fails when a thread of the earlier reading is gone
// (a thread that ends takes its time out of the total, so the difference
// would be too low) or when no time was used at all (nothing was
// counted: no server does work for nothing).
func (t CPUTime) Since(earlier CPUTime) (time.Duration, error) {
	for th := range earlier.threads {
		if !t.threads[th] {
			return 0, fmt.Errorf("server CPU time: thread %s ended during the measurement, taking its time with it", th)
		}
	}
	d := t.Total - earlier.Total
	if d <= 0 {
		return 0, fmt.Errorf("server CPU time: %v used by %d threads; nothing was counted", d, len(t.threads))
	}
	return d, nil
}
