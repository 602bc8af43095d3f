package lmtp_test

import (
	"bufio"
	"fmt"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/lmtp"
)

// TestLiveUpdateSameProcess: an IMAP session idling on INBOX hears
// EXISTS for a delivery through the same Store.
func TestLiveUpdateSameProcess(t *testing.T) {
	for _, format := range []string{"maildir", "mbox", "mh"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, envConfig{format: format})
			deliverAndHear(t, e.client(), idleOn(t, startIMAP(t, e.users, e.store, e.layout), "alice"), format+", same process")
		})
	}
}

// deliverAndHear delivers three messages to alice through c, and after
// each 250 waits for the idling session i to hear of it.
func deliverAndHear(t *testing.T, c *smtp.Client, i *lmtptest.Idler, what string) {
	t.Helper()
	for n := uint32(1); n <= 3; n++ {
		_, data := send(t, c, "s@example.net", []string{"alice@example.org"}, testMessage(fmt.Sprint("live", n)))
		acked := time.Now()
		if data["alice@example.org"] != "250" {
			t.Fatalf("DATA %v", data)
		}
		if err := i.WaitExists(n, 0); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: EXISTS %d heard %v after the 250", what, n, time.Since(acked))
	}
}

// childEnv makes the test binary an LMTP server over the users and
// storage in the directory it names, for TestLiveUpdateOtherProcess and
// TestKilledDuringBurst.
const (
	childEnv       = "MAILGATE_LMTP_TEST_CHILD"
	childFormatEnv = "MAILGATE_LMTP_TEST_CHILD_FORMAT"
)

// TestChildServer is the child's body: it serves until it is killed.
func TestChildServer(t *testing.T) {
	root := os.Getenv(childEnv)
	if root == "" {
		t.Skip("runs only as another test's child process")
	}
	e := newEnv(t, envConfig{root: root, format: os.Getenv(childFormatEnv), opts: func(o *lmtp.Options) {
		o.SpoolDir = filepath.Join(root, "spool")
		os.MkdirAll(o.SpoolDir, 0o700)
	}})
	fmt.Printf("ready %s\n", e.addr)
	select {}
}

// startChild starts an LMTP server process over root; it returns its
// address and the process, which the test's end kills.
func startChild(t *testing.T, root, format string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$")
	// The child is killed, so its own t.TempDir is never removed: keep
	// its temporary files under root, which this test removes.
	tmp := filepath.Join(root, "child-tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+root, childFormatEnv+"="+format, "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if err != nil || !ok {
		t.Fatalf("child: %q, %v", line, err)
	}
	return addr, cmd
}

// other is an LMTP server in a child process, and this process's IMAP
// session idling on alice's INBOX over the same files.
type other struct {
	root, addr string
	child      *exec.Cmd
	watcher    *lmtptest.Idler
}

func startOther(t *testing.T, format string) *other {
	t.Helper()
	root := t.TempDir()
	writeUsers(t, root)
	addr, child := startChild(t, root, format)
	users, store, layout, _ := openEnvStore(t, root, format)
	t.Cleanup(func() { store.Close() })
	return &other{root: root, addr: addr, child: child, watcher: idleOn(t, startIMAP(t, users, store, layout), "alice")}
}

// TestLiveUpdateOtherProcess: an IMAP session in this process hears
// EXISTS for a delivery by an LMTP server in another process writing the
// same files (the storage core watches them).
func TestLiveUpdateOtherProcess(t *testing.T) {
	for _, format := range []string{"maildir", "mbox", "mh"} {
		t.Run(format, func(t *testing.T) {
			o := startOther(t, format)
			deliverAndHear(t, dialLMTP(t, "tcp", o.addr), o.watcher, format+", another process")
		})
	}
}

// TestBurstWhileIdling: 1,000 deliveries from 10 concurrent senders while
// three IMAP sessions idle on the INBOX: every message is stored once,
// each sender's messages get increasing UIDs in the order they were
// acknowledged, the UIDs strictly increase, and every session's EXISTS
// only grow and reach 1,000 (a session may hear several deliveries as
// one EXISTS).
func TestBurstWhileIdling(t *testing.T) {
	formats := []string{"maildir", "mbox", "mh"}
	if testing.Short() {
		formats = formats[:1]
	}
	const senders, perSender = 10, 100
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, envConfig{format: format})
			imapAddr := startIMAP(t, e.users, e.store, e.layout)
			var idlers []*lmtptest.Idler
			for range 3 {
				idlers = append(idlers, idleOn(t, imapAddr, "alice"))
			}
			readErrs := lmtptest.WaitAllExists(idlers, senders*perSender)
			start := time.Now()
			var wg sync.WaitGroup
			sendErrs := make(chan error, senders)
			for s := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sendErrs <- sendBurst(e.addr, s, perSender)
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			close(sendErrs)
			for err := range sendErrs {
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: %d deliveries from %d senders in %v (%.0f messages/s)", format, senders*perSender, senders,
				elapsed, float64(senders*perSender)/elapsed.Seconds())
			if err := lmtptest.CheckAll(idlers, readErrs, senders*perSender); err != nil {
				t.Error(err)
			}
			bySubject, _ := uidsBySubject(t, e.account("alice"), "INBOX")
			if len(bySubject) != senders*perSender {
				t.Errorf("%d distinct messages stored; want %d", len(bySubject), senders*perSender)
			}
			for s := range senders {
				var prev uint32
				for m := range perSender {
					uid, ok := bySubject[burstSubject(s, m)]
					if !ok {
						t.Fatalf("%s is missing", burstSubject(s, m))
					}
					if uid <= prev {
						t.Errorf("%s has UID %d, after UID %d of the sender's previous message", burstSubject(s, m), uid, prev)
					}
					prev = uid
				}
			}
		})
	}
}

func burstSubject(sender, n int) string { return fmt.Sprintf("burst-s%02d-m%03d", sender, n) }

// sendBurst delivers n messages to alice over one connection.
func sendBurst(addr string, sender, n int) error {
	c, err := dialClient(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for m := range n {
		if err := sendOne(c, []string{"alice@example.org"}, testMessage(burstSubject(sender, m))); err != nil {
			return fmt.Errorf("%s: %w", burstSubject(sender, m), err)
		}
	}
	return c.Quit()
}
