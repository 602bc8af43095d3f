//go:build unix

package lmtp_test

// Delivery into mbox files that other programs share.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMboxFlockHeld: a program that locks the mbox with flock(2) alone
// (Dovecot with mbox_write_locks = flock, Exim's appendfile with
// use_flock_lockfile, qpopper, a user's script with flock(1)) keeps the
// delivery out while it holds the lock: the reply is then 4xx and the
// file is untouched. On Linux flock and fcntl locks do not see each
// other, so the fcntl lock alone would not do.
func TestMboxFlockHeld(t *testing.T) {
	e := newEnv(t, envConfig{format: "mbox"})
	c := e.client()
	if _, data := send(t, c, "s@example.net", []string{"alice@example.org"}, testMessage("first")); data["alice@example.org"] != "250" {
		t.Fatalf("first delivery: %v", data)
	}
	box := filepath.Join(e.root, "alice", "INBOX")
	f, err := os.OpenFile(box, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(box)
	_, data := send(t, c, "s@example.net", []string{"alice@example.org"}, testMessage("under-flock"))
	after, _ := os.Stat(box)
	if !strings.HasPrefix(data["alice@example.org"], "4") || after.Size() != before.Size() {
		t.Errorf("delivery under another program's flock: reply %q, mbox %d -> %d bytes; want 4xx and no change",
			data["alice@example.org"], before.Size(), after.Size())
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if _, data := send(t, c, "s@example.net", []string{"alice@example.org"}, testMessage("after-flock")); data["alice@example.org"] != "250" {
		t.Errorf("delivery once the flock is gone: %v", data)
	}
}

// TestMboxFromLineSender: the From_ line of a delivered message names
// the envelope sender, as Postfix's local(8), procmail, Dovecot's LDA
// and mail.local write it (from(1), frm, mailx's header list and mboxo
// readers show it), and MAILER-DAEMON for the null sender <>.
func TestMboxFromLineSender(t *testing.T) {
	e := newEnv(t, envConfig{format: "mbox"})
	c := e.client()
	for _, from := range []string{"someone@example.net", ""} {
		if _, data := send(t, c, from, []string{"alice@example.org"}, testMessage("fromline")); data["alice@example.org"] != "250" {
			t.Fatalf("delivery from <%s>: %v", from, data)
		}
	}
	b, err := os.ReadFile(filepath.Join(e.root, "alice", "INBOX"))
	if err != nil {
		t.Fatal(err)
	}
	var senders []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "From ") {
			senders = append(senders, strings.Fields(line)[1])
		}
	}
	if strings.Join(senders, " ") != "someone@example.net MAILER-DAEMON" {
		t.Errorf("From_ line senders %q; want someone@example.net, then MAILER-DAEMON for <>", senders)
	}
}
