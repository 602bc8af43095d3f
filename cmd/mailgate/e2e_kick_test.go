package main_test

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/gateway"
)

// TestKickWhileStarting: "mailgate kick" sent the moment a system user
// has logged in, while the session process is still starting, ends the
// session all the same, with the kick's BYE. Before, the process either
// died of the signal it could not catch yet (no BYE), or caught it before
// its session had begun and kicked nothing, leaving the session to run
// until the daemon killed it at shutdown-grace (60 s here). A session
// kicked in its running process hears one BYE, not two.
func TestKickWhileStarting(t *testing.T) {
	u := newSystemUser(t)
	d := startDaemon(t, "shutdown-grace = \"60s\"\n"+systemAuth, "")
	var ctl net.Conn
	var err error
	for range 250 { // the control socket comes up after the listeners
		if ctl, err = net.Dial("unix", filepath.Join(d.cfg.dataDir, gateway.ControlSocketName)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	replies := bufio.NewReader(ctl)
	for i := range 6 {
		c := greeted(t, d.addr)
		c.send("a LOGIN " + quoted(u.name) + " " + quoted(u.password) + "\r\n")
		if l, err := c.tagged("a"); err != nil || !strings.HasPrefix(l, "a OK") {
			t.Fatalf("LOGIN: %q, %v", l, err)
		}
		if i == 5 {
			// The last one kicked once its process serves it: one BYE
			// too (the daemon's session once said a second).
			if l := c.cmd("n", "NOOP"); !strings.HasPrefix(l[len(l)-1], "n OK") {
				t.Fatalf("NOOP: %q", l)
			}
		}
		// At once: the session process is being started.
		if _, err := ctl.Write([]byte("kick\t" + u.name + "\n")); err != nil {
			t.Fatal(err)
		}
		for {
			l, err := replies.ReadString('\n')
			if err != nil {
				t.Fatalf("kick: %v", err)
			}
			if !strings.HasPrefix(l, "*") {
				if !strings.HasPrefix(l, "OK") {
					t.Fatalf("kick %d: %q", i, l)
				}
				break
			}
		}
		start := time.Now()
		if l, err := c.line(10 * time.Second); l != "* BYE "+gateway.KickReason {
			t.Fatalf("session %d kicked while its process started: %q, %v after %v; want BYE %s",
				i, l, err, time.Since(start).Round(time.Millisecond), gateway.KickReason)
		}
		if l, err := c.line(10 * time.Second); err == nil {
			t.Errorf("session %d: after the kick's BYE: %q", i, l)
		}
		c.conn.Close()
	}
	waitChildren(t, d.cmd.Process.Pid, 0)
	d.stop(10 * time.Second)
}
