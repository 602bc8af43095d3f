package server

import (
	"bytes"
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

// CPU adds up the CPU time the given processes' threads have used so far
// (the first field of /proc/PID/task/TID/schedstat, in nanoseconds: finer
// than the clock ticks of /proc/PID/stat). A thread that ends takes its
// time with it.
func CPU(pids []int) time.Duration {
	var total int64
	for _, p := range pids {
		dir := "/proc/" + strconv.Itoa(p) + "/task"
		tasks, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, t := range tasks {
			data, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
			if err != nil {
				continue
			}
			if f := strings.Fields(string(data)); len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				total += n
			}
		}
	}
	return time.Duration(total)
}
