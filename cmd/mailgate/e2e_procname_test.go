package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSessionProcessIsNamedAfterTheProgram: session processes are
// started from /proc/self/exe (TestSessionProcessAfterUpgrade), which the
// kernel would name them after ("exe"); they carry the program's name,
// which ps -e, top, pgrep -x and the OOM killer's lines show.
func TestSessionProcessIsNamedAfterTheProgram(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, systemAuth, "")
	c := greeted(t, d.addr)
	c.login(u.name, u.password)
	if l := c.cmd("s", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "s OK") {
		t.Fatalf("SELECT: %q", l)
	}
	kids := waitChildren(t, d.cmd.Process.Pid, 1)
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", kids[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Base(mailgateBin)
	if got := strings.TrimSpace(string(comm)); got != want {
		t.Errorf("the session process is named %q (ps -e, pgrep); want %q, the program's name", got, want)
	}
	c.cmd("z", "LOGOUT")
}
