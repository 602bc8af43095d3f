package main_test

// LMTP bursts, a connection dropped in the middle of DATA and a kill -9
// during a burst, through the real binary (issue 12 section 6).

import (
	"fmt"
	"github.com/emersion/go-smtp"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// subjectsIn maps each message to its Subject, and fails on a subject
// stored twice.
func subjectsIn(t *testing.T, msgs []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range msgs {
		m = strings.ReplaceAll(m, "\r\n", "\n")
		subj := ""
		if k := strings.Index(m, "\nSubject: "); k >= 0 {
			subj, _, _ = strings.Cut(m[k+10:], "\n")
		}
		if _, dup := out[subj]; dup {
			t.Errorf("%q is stored twice", subj)
		}
		out[subj] = m
	}
	return out
}

// TestLMTPBurst: 1,000 deliveries from ten senders at once while three
// IMAP sessions idle on the INBOX: every message is stored once, the UIDs
// strictly increase, and every session heard EXISTS grow to 1,000.
func TestLMTPBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 deliveries")
	}
	const senders, perSender = 10, 100
	ld := startLMTPDaemon(t, false, "", "")
	var idlers []*lmtptest.Idler
	for range 3 {
		i, err := lmtptest.IdleOn(ld.addr, "mailgate", ld.password)
		if err != nil {
			t.Fatal(err)
		}
		defer i.Close()
		idlers = append(idlers, i)
	}
	readErrs := lmtptest.WaitAllExists(idlers, senders*perSender)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			c, err := lmtptest.Dial("unix", ld.sock)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for m := range perSender {
				res, err := lmtptest.Send(c, "s@example.net", []string{"mailgate@example.org"}, lmtpMessage(fmt.Sprintf("burst-%d-%03d", s, m)))
				if err == nil && res.Data["mailgate@example.org"] != "250" {
					err = fmt.Errorf("sender %d message %d: %v %v", s, m, res.Rcpt, res.Data)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d deliveries from %d senders in %v", senders*perSender, senders, time.Since(start))
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := lmtptest.CheckAll(idlers, readErrs, senders*perSender); err != nil {
		t.Error(err)
	}
	if got := subjectsIn(t, maildirMessages(t, ld.cfg.inbox("mailgate"))); len(got) != senders*perSender {
		t.Errorf("INBOX holds %d distinct messages; want %d", len(got), senders*perSender)
	}
}

// TestLMTPDroppedMidData: a client that goes away in the middle of DATA
// (the message's end never came) leaves nothing in the mailbox, and the
// next delivery is stored alone.
func TestLMTPDroppedMidData(t *testing.T) {
	ld := startLMTPDaemon(t, false, "", "")
	nc, err := net.Dial("unix", ld.sock)
	if err != nil {
		t.Fatal(err)
	}
	r := make([]byte, 4096)
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "LHLO mta.example.net\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<mailgate@example.org>\r\nDATA\r\n")
	var got string
	for !strings.Contains(got, "354 ") {
		n, err := nc.Read(r)
		if err != nil {
			t.Fatalf("waiting for 354: %v after %q", err, got)
		}
		got += string(r[:n])
	}
	io.WriteString(nc, "Subject: cut\r\n\r\nthe first half of a message")
	nc.Close()

	c := ld.lmtpClient(t)
	if res := deliver(t, c, []string{"mailgate@example.org"}, lmtpMessage("whole")); res.Data["mailgate@example.org"] != "250" {
		t.Fatalf("the next delivery: %v %v", res.Rcpt, res.Data)
	}
	msgs := subjectsIn(t, maildirMessages(t, ld.cfg.inbox("mailgate")))
	if len(msgs) != 1 || msgs["whole"] == "" {
		t.Errorf("INBOX after a connection dropped mid-DATA: %q", msgs)
	}
}

// TestLMTPKilledDuringBurst: mailgate is killed with SIGKILL while five
// senders deliver: after a restart (which replaces the stale socket),
// every message answered 250 is in the INBOX, whole and once, nothing is
// stored partially, and IMAP sees exactly what is on disk.
func TestLMTPKilledDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the daemon")
	}
	for round := range 2 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ld := startLMTPDaemon(t, false, "", "")
			burst := lmtptest.StartBurst(func() (*smtp.Client, error) { return lmtptest.Dial("unix", ld.sock) }, 5,
				[]string{"mailgate@example.org"})
			if err := burst.WaitAcks(5+10*round, time.Minute); err != nil { // a few acknowledged, then the kill
				t.Fatal(err)
			}
			ld.cmd.Process.Signal(syscall.SIGKILL)
			<-ld.exited
			tried, acked := burst.Wait()

			// tmp may hold what the dead process was writing.
			stored := subjectsIn(t, maildirFiles(t, ld.cfg.inbox("mailgate")))
			for subj, m := range stored {
				if !tried[subj] {
					t.Errorf("a message nobody sent is stored: %q", subj)
				} else if !strings.HasSuffix(m, strings.ReplaceAll(lmtptest.WholeMessage(subj), "\r\n", "\n")) {
					t.Errorf("%s is stored partially or mixed (%d bytes)", subj, len(m))
				}
			}
			for subj := range acked {
				if _, ok := stored[subj]; !ok {
					t.Errorf("%s was answered 250 and is lost", subj)
				}
			}
			t.Logf("%d acknowledged, %d tried, %d stored", len(acked), len(tried), len(stored))

			// The restarted daemon takes over the socket the dead one left.
			cfg := *ld.cfg
			cfg.sharedUsers = true
			d, _, err := tryStartDaemon(t, &cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			i, err := lmtptest.IdleOn(d.addr, "mailgate", ld.password)
			if err != nil {
				t.Fatal(err)
			}
			defer i.Close()
			if ex := i.Exists(); len(ex) == 0 || ex[len(ex)-1] != uint32(len(stored)) {
				t.Errorf("IMAP SELECT after the restart says EXISTS %v; %d are stored", ex, len(stored))
			}
			ld.daemon = d
			maildirMessages(t, ld.cfg.inbox("mailgate")) // tmp is clean again
			if res := deliver(t, ld.lmtpClient(t), []string{"mailgate@example.org"}, lmtpMessage("after")); res.Data["mailgate@example.org"] != "250" {
				t.Errorf("delivery after the restart: %v %v", res.Rcpt, res.Data)
			}
		})
	}
}
