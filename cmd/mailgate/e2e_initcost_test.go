package main_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// initCostBudget bounds what the package initialisation of the mailgate
// binary allocates, all packages together. Every process pays it before
// main, and under inetd (mailgate -i) every session is a new process: at
// the time of writing it was about 250 KB, after internal/stringprep took
// 136 KB of case-folding maps out of it.
const initCostBudget = 300 << 10

// costlyInits are packages whose init is too costly for a process that
// serves one session, and that the build replaces or avoids: each name
// with what it cost when it was linked.
var costlyInits = map[string]string{
	// go.mod replaces it with internal/cpuid; its detection ran about
	// 0.6 ms of CPUID instructions, each a trap on a virtual machine.
	"github.com/klauspost/cpuid/v2": "0.6 ms of CPUID (see internal/cpuid)",
}

// initLine is one line of GODEBUG=inittrace=1:
// "init PKG @T ms, C ms clock, B bytes, N allocs".
var initLine = regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs`)

// TestPackageInitCost runs the binary with GODEBUG=inittrace=1 and checks
// that no costly package's init runs and that the inits together stay
// within initCostBudget: a new dependency that builds big tables at init
// shows up here rather than as slower inetd sessions.
func TestPackageInitCost(t *testing.T) {
	cmd := exec.Command(mailgateBin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mailgate --version: %v\n%s", err, stderr.Bytes())
	}
	var total, inits int
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		inits++
		if why, ok := costlyInits[m[1]]; ok {
			t.Errorf("the binary runs the init of %s (%s)", m[1], why)
		}
		b, _ := strconv.Atoi(m[2])
		total += b
	}
	if inits == 0 {
		t.Fatalf("no inittrace lines on standard error:\n%s", stderr.Bytes())
	}
	t.Logf("%d package inits allocate %d bytes", inits, total)
	if total > initCostBudget {
		t.Errorf("package inits allocate %d bytes, over the budget of %d: run mailgate --version with GODEBUG=inittrace=1 to see which", total, initCostBudget)
	}
}
