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
// delivery-processes delivery processes at once; a delivery (for another
// user) that finds none free within delivery-wait gets 451 4.3.0 (the
// MTA tries again) and starts no process. Here the one delivery process
// hangs on the INBOX's lock, which the test holds, until the test lets
// go: then its message is stored, once, and its sender hears 250.
func TestDeliveryProcessesBounded(t *testing.T) {
	u, other := newSystemUser(t), newSystemUser(t)
	ld := startLMTPDaemon(t, false, systemAuth, "delivery-processes = 1\ndelivery-wait = \"2s\"\n")
	rcpt := u.name + "@example.org"
	inbox, unlock := ld.lockedInbox(t, u)
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
	orcpt := other.name + "@example.org"
	if res := deliver(t, ld.lmtpClient(t), []string{orcpt}, "Subject: turned away\r\n\r\nNo process free.\r\n"); res.Data[orcpt] != "451 4.3.0" {
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
	n := countMessages(inbox)
	if n != 2 {
		t.Errorf("INBOX holds %d messages; want 2 (first, stuck)", n)
	}
}

// TestDeliveriesShareAProcess: copies for one system user that arrive
// while the user's delivery process runs wait for it to end, then go
// into one process together, which counts the user's quota once and
// keeps it up to date from message to message: of eight copies queued
// behind a stuck one, with room for five more messages, four are stored
// and four hear 452 4.2.2. Each copy hears its own reply.
func TestDeliveriesShareAProcess(t *testing.T) {
	u := newSystemUser(t)
	ld := startLMTPDaemon(t, false, systemAuth+"[mailbox]\nquota-messages = 6\n[logging]\nlevel = \"debug\"\n", "")
	rcpt := u.name + "@example.org"
	inbox, unlock := ld.lockedInbox(t, u)
	defer unlock()

	send := func(subject string, replies chan<- string) {
		c, err := lmtptest.Dial("unix", ld.sock)
		if err != nil {
			replies <- err.Error()
			return
		}
		defer c.Close()
		res, err := lmtptest.Send(c, "sender@example.net", []string{rcpt}, "Subject: "+subject+"\r\n\r\nHi.\r\n")
		if err != nil {
			replies <- err.Error()
			return
		}
		replies <- res.Data[rcpt]
	}
	replies := make(chan string, 9)
	go send("stuck", replies)
	pid := ld.cmd.Process.Pid
	for i := 0; len(deliveryProcesses(pid)) == 0; i++ {
		if i == 500 {
			t.Fatal("no delivery process started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 8 {
		go send("queued "+strconv.Itoa(i), replies)
	}
	// Let the stuck process go once all eight copies wait for it.
	for i := 0; !strings.Contains(ld.stderr.String(), "queued=8"); i++ {
		if i == 3000 {
			t.Fatalf("the eight copies never all waited:\n%s", ld.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := deliveryProcesses(pid); len(n) != 1 {
		t.Errorf("delivery processes while the user's one is stuck: %v; want that one", n)
	}
	unlock()
	counts := map[string]int{}
	for range 9 {
		select {
		case r := <-replies:
			counts[r]++
		case <-time.After(60 * time.Second):
			t.Fatalf("replies so far: %v", counts)
		}
	}
	if counts["250"] != 5 || counts["452 4.2.2"] != 4 {
		t.Errorf("replies %v; want 5 × 250 (stuck and four queued) and 4 × 452 4.2.2", counts)
	}
	if n := countMessages(inbox); n != 6 {
		t.Errorf("INBOX holds %d messages; want 6, the quota", n)
	}
	if !strings.Contains(ld.stderr.String(), "messages=8") {
		t.Errorf("the eight queued copies did not go into one delivery process:\n%s", ld.stderr.String())
	}
}

// lockedInbox waits for the LMTP socket, delivers a first message to u
// (which makes u's INBOX), and holds the INBOX's lock, so that the next
// delivery process waits for unlock.
func (ld *lmtpDaemon) lockedInbox(t *testing.T, u *systemUser) (inbox string, unlock func()) {
	t.Helper()
	ld.waitSocket(t)
	rcpt := u.name + "@example.org"
	if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: first\r\n\r\nHello.\r\n"); res.Data[rcpt] != "250" {
		t.Fatalf("first delivery: %+v\n%s", res, ld.stderr.String())
	}
	inbox = findInbox(t, u.home)
	return inbox, lockDir(t, inbox)
}

// waitSocket waits until the daemon's LMTP unix socket exists.
func (ld *lmtpDaemon) waitSocket(t testing.TB) {
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(ld.sock); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no LMTP socket %s", ld.sock)
}

// findInbox returns the INBOX maildir under home.
func findInbox(t *testing.T, home string) string {
	t.Helper()
	var inbox string
	filepath.Walk(home, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() && info.Name() == "INBOX" {
			inbox = path
		}
		return nil
	})
	if inbox == "" {
		t.Fatalf("no INBOX under %s", home)
	}
	return inbox
}

// lockDir takes the flock that mailgate's maildir takes to give out UIDs,
// so that a delivery waits, and returns its release (which may be called
// again).
func lockDir(t *testing.T, dir string) (unlock func()) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return func() {
		if d != nil {
			syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
			d.Close()
			d = nil
		}
	}
}

// countMessages counts the messages of a maildir.
func countMessages(dir string) int {
	n := 0
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		n += len(ents)
	}
	return n
}
