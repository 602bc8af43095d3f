package main_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A flood of connections that uses up the daemon's file descriptors must
// not stop it: accept fails with EMFILE while the flood lasts, and once it
// is gone a new client is greeted. Before this was fixed, the daemon shut
// itself down on the first EMFILE, so anyone able to open enough
// connections could stop the mail service.
func TestDaemonSurvivesDescriptorExhaustion(t *testing.T) {
	d := startDaemon(t, "max-children = 1000\n", "max-connections-per-address = 1000")
	pid := d.cmd.Process.Pid
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("cannot count the daemon's descriptors: %v", err)
	}
	limit := uint64(len(fds) + 8)
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: limit, Max: limit}, nil); err != nil {
		t.Skipf("cannot lower the daemon's descriptor limit: %v", err)
	}

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := 0; i < 40; i++ {
		c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
		if err != nil {
			break // the backlog is full: flood enough
		}
		flood = append(flood, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.stderr.String(), "too many open files") {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections did not exhaust %d descriptors:\n%s", len(flood), limit, d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil

	select {
	case <-d.exited:
		t.Fatalf("the daemon exited when it ran out of descriptors:\n%s", d.stderr.String())
	case <-time.After(300 * time.Millisecond):
	}
	c, err := net.DialTimeout("tcp", d.addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial after the flood: %v\n%s", err, d.stderr.String())
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, "* OK") {
		t.Fatalf("after the flood a new client got %q, %v; want a greeting\n%s", line, err, d.stderr.String())
	}
	d.stop(15 * time.Second)
}
