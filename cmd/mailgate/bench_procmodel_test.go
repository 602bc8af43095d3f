package main_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkProcessModel measures the process model (issue 11 section 1)
// through the binary, as root with a system user: the memory one idle
// IDLE connection costs (the daemon's RSS growth plus its session
// processes' RSS, per connection) with a process per session, with
// hibernation, and in the daemon's process (a virtual user); how long a
// hibernated IDLE takes to answer DONE (the session processes started
// ahead for wake-ups are reported apart: their cost is fixed); and LOGIN
// plus SELECT of a
// MG_BENCH_MESSAGES-message INBOX (1,000 unless set) in a process of its
// own and in the daemon. MG_BENCH_CONNS sets the idle connections (10),
// MG_BENCH_MODE picks modes by name.
//
//	go test -run XXX -bench ProcessModel -benchtime 1x ./cmd/mailgate
func BenchmarkProcessModel(b *testing.B) {
	b.Run("idle", benchIdle)
	b.Run("select", benchSelect)
}

// kib returns a process's resident memory in KiB.
func kib(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// treeKiB is the RSS of pid and its children.
func treeKiB(pid int) int {
	total := kib(pid)
	for _, k := range children(pid) {
		total += kib(k)
	}
	return total
}

// benchConns is how many connections benchIdle opens: MG_BENCH_CONNS,
// or 10 (the daemon's fixed growth then dominates its per-connection
// figure; quote figures at 200 or more).
func benchConns() int {
	if n, err := strconv.Atoi(os.Getenv("MG_BENCH_CONNS")); err == nil && n > 0 {
		return n
	}
	return 10
}

func benchIdle(b *testing.B) {
	conns := benchConns()
	for _, mode := range []struct {
		name, top string
		system    bool
		tls       bool // implicit TLS: the daemon holds the TLS state
	}{
		{"process", "hibernate-after = \"0s\"\n", true, false},
		{"hibernated", "hibernate-after = \"100ms\"\n", true, false},
		{"hibernated-tls", "hibernate-after = \"100ms\"\n", true, true},
		{"in-daemon", "", false, false},
	} {
		if m := os.Getenv("MG_BENCH_MODE"); m != "" && !strings.Contains(m, mode.name) {
			continue
		}
		b.Run(mode.name, func(b *testing.B) {
			u := newSystemUser(b)
			top := mode.top + fmt.Sprintf("max-children = %d\n", conns+10) + systemAuth + os.Getenv("MG_BENCH_EXTRA")
			server := fmt.Sprintf("max-connections-per-address = %d\n", 2*conns+10)
			var d *daemon
			dial := func() *imapConn { return greeted(b, d.addr) }
			if mode.tls {
				var tlsTop, tlsServer string
				tlsTop, tlsServer, dial = implicitTLS(b, func() string { return d.addr })
				top, server = top+tlsTop, server+tlsServer
			}
			d = startDaemon(b, top, server)
			pid := d.cmd.Process.Pid
			name, password := u.name, u.password
			if !mode.system {
				name, password = "mailgate", d.password
			}
			time.Sleep(300 * time.Millisecond)
			before := treeKiB(pid)
			var cs []*imapConn
			for i := 0; i < conns; i++ {
				c := dial()
				c.login(name, password)
				c.cmd("s", "SELECT INBOX")
				c.send("i IDLE\r\n")
				c.line(5 * time.Second)
				cs = append(cs, c)
			}
			if strings.HasPrefix(mode.name, "hibernated") {
				for i := 0; i < 3000 && len(sessions(pid)) > 0; i++ {
					time.Sleep(20 * time.Millisecond)
				}
			} else {
				time.Sleep(500 * time.Millisecond)
			}
			after := treeKiB(pid)
			// The session processes started ahead for wake-ups cost the
			// same for 10 connections or 10,000: reported apart.
			warm := 0
			for _, k := range children(pid) {
				if isWarm(k) {
					warm += kib(k)
				}
			}
			b.ReportMetric(float64(after-warm-before)/float64(conns), "KiB/idle-conn")
			b.ReportMetric(float64(warm)/1024, "MiB/started-ahead")
			if strings.HasPrefix(mode.name, "hibernated") {
				var lat []time.Duration
				for i, c := range cs {
					start := time.Now()
					c.send("DONE\r\n")
					if l, err := c.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "i OK") {
						b.Fatalf("DONE on connection %d of %d: %q, %v", i, len(cs), l, err)
					}
					lat = append(lat, time.Since(start))
				}
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms/wake-median")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "ms/wake-max")
			}
			for _, c := range cs {
				c.conn.Close()
			}
			d.cmd.Process.Kill()
			<-d.exited
		})
	}
}

// benchMessages is how many messages benchSelect's INBOX holds:
// MG_BENCH_MESSAGES, or 1,000.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("MG_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 1000
}

func benchSelect(b *testing.B) {
	messages := benchMessages()
	for _, mode := range []struct {
		name   string
		system bool
	}{{"process", true}, {"in-daemon", false}} {
		if m := os.Getenv("MG_BENCH_MODE"); m != "" && !strings.Contains(m, mode.name) {
			continue
		}
		b.Run(mode.name, func(b *testing.B) {
			u := newSystemUser(b)
			d := startDaemon(b, systemAuth, "")
			name, password := u.name, u.password
			if !mode.system {
				name, password = "mailgate", d.password
			}
			c := greeted(b, d.addr)
			c.login(name, password)
			msg := "Subject: m\r\n\r\nbody\r\n"
			const batch = 500
			for i := 0; i < messages; i += batch {
				n := min(batch, messages-i)
				var w strings.Builder
				for j := 0; j < n; j++ {
					fmt.Fprintf(&w, "a APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg)
				}
				c.send(w.String())
				for j := 0; j < n; j++ {
					if l, err := c.tagged("a"); err != nil || !strings.HasPrefix(l, "a OK") {
						b.Fatalf("APPEND: %q, %v", l, err)
					}
				}
			}
			c.cmd("z", "LOGOUT")
			var both, sel []time.Duration
			const rounds = 20
			for i := 0; i < rounds; i++ {
				start := time.Now()
				c := greeted(b, d.addr)
				c.login(name, password)
				selStart := time.Now()
				if l := c.cmd("s", "SELECT INBOX"); !strings.Contains(l[len(l)-1], "s OK") {
					b.Fatalf("SELECT: %q", l)
				}
				sel = append(sel, time.Since(selStart))
				both = append(both, time.Since(start))
				c.cmd("z", "LOGOUT")
			}
			slices.Sort(sel)
			slices.Sort(both)
			median := func(ds []time.Duration) float64 {
				return float64(ds[len(ds)/2].Microseconds()) / 1000
			}
			b.ReportMetric(float64(sel[0].Microseconds())/1000, "ms/select-min")
			b.ReportMetric(median(sel), "ms/select-median")
			b.ReportMetric(float64(sel[len(sel)-1].Microseconds())/1000, "ms/select-max")
			b.ReportMetric(median(both), "ms/login+select-median")
			d.cmd.Process.Kill()
			<-d.exited
		})
	}
}
