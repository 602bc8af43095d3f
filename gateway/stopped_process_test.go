package gateway

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"golang.org/x/sys/unix"
)

// A session process runs as the user from its identity on, and the user
// may stop it (SIGSTOP) before it reads the rest of the handover. The
// daemon's writes and reads then end at the handover's timeout; the
// caller discards the process. Here nothing reads the child's end after
// it said it runs as the user, and the state is far over the socket's
// buffer.
func TestWakeEndsWhenTheProcessStopsReading(t *testing.T) {
	for _, tc := range []struct {
		name       string
		identified bool // the process says 'I', then stops reading
	}{
		{"stopped before it answers", false},
		{"stopped after it answers", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctl, child, err := controlSocket()
			if err != nil {
				t.Fatal(err)
			}
			defer ctl.Close()
			defer child.Close()
			if tc.identified {
				go func() {
					buf := make([]byte, maxIdentityLine)
					n, _ := child.Read(buf)
					if strings.Contains(string(buf[:n]), "\n") {
						child.Write([]byte{warmIdentified})
					}
				}()
			}
			client, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			w := &warmProcess{ctl: ctl, timeout: 300 * time.Millisecond}
			st := &imap.SessionState{Pending: make([]byte, 8<<20)}
			done := make(chan error, 1)
			go func() { done <- w.wake(identity{uid: 65534, gid: 65534}, nil, 0, st, client, time.Now()) }()
			select {
			case err := <-done:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("wake: %v; want the handover's deadline", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("wake is still waiting for a process that stopped reading")
			}
		})
	}
}

// A delivery process runs as the user once it has its identity, before it
// reads its request from the pipe; the user may stop it. A request over
// the pipe's buffer (many recipients, long mailbox names) then held the
// daemon's write, and with it a delivery slot, for ever: the delivery's
// time was armed only after the write. Now the write ends with that
// time, the process is killed and the delivery fails (the MTA hears 4xx
// and tries again).
func TestDeliveryRequestToAStoppedProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starts a delivery process as another user: needs root")
	}
	g := newTestGateway(t, "")
	// The process may run as nobody from exec (where capabilities
	// cannot be bounded): its program and directory are everyone's.
	dir, err := os.MkdirTemp("", "mailgate-stopped-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "mailgate")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho $$ > "+pidFile+"\nkill -STOP $$\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	g.opts.Executable = script
	t.Cleanup(func() { // should the test fail: leave no stopped process behind
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	u := &auth.User{Name: "nobody", UID: 65534, GID: 65534}
	req := deliveryRequest{Op: "report", Mailbox: strings.Repeat("x", 1<<20)}
	done := make(chan error, 1)
	go func() {
		_, err := g.runUserProcess(ctx, u, identity{uid: 65534, gid: 65534}, req, strings.NewReader(""))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a process that never read its request delivered")
		}
		t.Logf("the delivery failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon is still writing to a stopped delivery process")
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the process did not start: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the stopped process %d is still there (%v)", pid, err)
	}
}

// The daemon's end of a control socket takes deadlines (a blocking
// descriptor given to os.NewFile does not, and SetDeadline failed
// silently where it was called); the child's end stays blocking.
func TestControlSocketTakesDeadlines(t *testing.T) {
	mine, child, err := controlSocket()
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	defer child.Close()
	if err := mine.SetDeadline(time.Now().Add(time.Millisecond)); err != nil {
		t.Fatalf("the daemon's end: %v", err)
	}
	if _, err := mine.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v", err)
	}
	var nonblock bool
	rc, err := child.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		fl, _ := unix.FcntlInt(fd, unix.F_GETFL, 0)
		nonblock = fl&unix.O_NONBLOCK != 0
	})
	if nonblock {
		t.Error("the child's end is non-blocking")
	}
}
