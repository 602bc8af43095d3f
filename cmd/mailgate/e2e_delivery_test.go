package main_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// deliveryProcesses returns the delivery processes among pid's
// children.
func deliveryProcesses(pid int) []int {
	var out []int
	for _, k := range children(pid) {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(k) + "/cmdline")
		if strings.Contains(string(cmdline), "--delivery-process") {
			out = append(out, k)
		}
	}
	return out
}

// TestDeliveryProcessesBounded: a root daemon runs at most [lmtp]
// delivery-processes delivery processes at once; a delivery that finds
// none free within delivery-wait gets 451 4.3.0 (the MTA tries again)
// and starts no process. Here the one delivery process hangs on the
// INBOX's lock, which the test holds, until the test lets go: then its
// message is stored, once, and its sender hears 250.
func TestDeliveryProcessesBounded(t *testing.T) {
	u := newSystemUser(t)
	ld := startLMTPDaemon(t, false, systemAuth, "delivery-processes = 1\ndelivery-wait = \"2s\"\n")
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(ld.sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rcpt := u.name + "@example.org"
	if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: first\r\n\r\nHello.\r\n"); res.Data[rcpt] != "250" {
		t.Fatalf("first delivery: %+v\n%s", res, ld.stderr.String())
	}
	var inbox string
	filepath.Walk(u.home, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() && info.Name() == "INBOX" {
			inbox = path
		}
		return nil
	})
	if inbox == "" {
		t.Fatalf("no INBOX under %s", u.home)
	}
	d, err := os.Open(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	locked := true
	unlock := func() {
		if locked {
			syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
			locked = false
		}
	}
	defer unlock()

	stuck := make(chan string, 1)
	c1 := ld.lmtpClient(t)
	go func() {
		res, err := lmtptest.Send(c1, "sender@example.net", []string{rcpt}, "Subject: stuck\r\n\r\nWaits for the lock.\r\n")
		if err != nil {
			stuck <- err.Error()
			return
		}
		stuck <- res.Data[rcpt]
	}()
	pid := ld.cmd.Process.Pid
	for i := 0; len(deliveryProcesses(pid)) == 0; i++ {
		if i == 500 {
			t.Fatal("no delivery process started for the second message")
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: turned away\r\n\r\nNo process free.\r\n"); res.Data[rcpt] != "451 4.3.0" {
		t.Errorf("delivery while the only delivery process is busy: %+v; want 451 4.3.0", res)
	}
	t.Logf("turned away after %v", time.Since(start).Round(time.Millisecond))
	if n := deliveryProcesses(pid); len(n) != 1 {
		t.Errorf("delivery processes running: %v; want the one", n)
	}
	unlock()
	select {
	case r := <-stuck:
		if r != "250" {
			t.Errorf("the delivery that waited for the lock: %q, want 250", r)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the delivery that waited for the lock never finished")
	}
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(inbox, sub))
		n += len(ents)
	}
	if n != 2 {
		t.Errorf("INBOX holds %d messages; want 2 (first, stuck)", n)
	}
}
