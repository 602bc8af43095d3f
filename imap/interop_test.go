package imap_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
	"github.com/mailgate/mailgate/storage"
)

// imap4dMbox is an INBOX as GNU imap4d 3.15 leaves it: X-IMAPbase padded
// in the first message, X-UID and Status in each (facts.md).
const imap4dMbox = "From alice@example.org Mon Nov  6 10:00:00 2023\n" +
	"X-IMAPbase:           1795729968                    5\n" +
	"From: Alice <alice@example.org>\nSubject: one\nStatus: RO\nX-UID: 1\n\nfirst body\n>From the quoted line\n\n" +
	"From bob@example.org Mon Nov  6 11:00:00 2023\n" +
	"From: Bob <bob@example.org>\nSubject: two\nStatus: ROAF\nX-UID: 3\n\nsecond body\n\n"

func mboxInbox(root string, l *storage.Layout) { l.Inbox = "mbox:$home/mbox" }

// A user switching from imap4d keeps UIDVALIDITY, UIDs and flags, and
// never sees imap4d's bookkeeping headers.
func TestImap4dMboxServedWithSameUIDs(t *testing.T) {
	e := startServerLayout(t, mboxInbox, nil)
	os.MkdirAll(filepath.Join(e.root, "alice"), 0o700)
	if err := os.WriteFile(filepath.Join(e.root, "alice", "mbox"), []byte(imap4dMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	c := e.raw()
	c.login("alice")
	u := c.ok("s SELECT INBOX")
	for _, want := range []string{"* 2 EXISTS", "[UIDVALIDITY 1795729968]", "[UIDNEXT 5]"} {
		if !contains(u, want) {
			t.Errorf("SELECT lacks %q: %q", want, u)
		}
	}
	u = c.ok("f UID FETCH 1:* (FLAGS BODY.PEEK[])")
	joined := strings.Join(u, "\n")
	for _, want := range []string{"UID 1 ", "UID 3 ", `\Answered \Flagged \Seen`, "From the quoted line"} {
		if !strings.Contains(joined, want) {
			t.Errorf("FETCH lacks %q:\n%s", want, joined)
		}
	}
	for _, hidden := range []string{"X-IMAPbase", "X-UID", "Status:", ">From the"} {
		if strings.Contains(joined, hidden) {
			t.Errorf("FETCH shows %q:\n%s", hidden, joined)
		}
	}
}

// procmail delivers into the mbox, with its own locking, while a session
// has it selected: the session hears EXISTS, and nothing is lost.
func TestProcmailDeliversWhileSelected(t *testing.T) {
	procmail, err := exec.LookPath("procmail")
	if err != nil {
		needs.Missing(t, "procmail is not installed (Debian package procmail)")
	}
	e := startServerLayout(t, mboxInbox, nil)
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("ours", "appended over IMAP"))
	c.ok("s SELECT INBOX")
	c.send("i IDLE")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	mbox := filepath.Join(e.root, "alice", "mbox")
	rc := filepath.Join(e.root, "procmailrc")
	// procmail locks the mailbox as it delivers (mbox.lock and fcntl).
	os.WriteFile(rc, []byte("DEFAULT="+mbox+"\n"), 0o600)
	for i := 0; i < 3; i++ {
		cmd := exec.Command(procmail, "-m", rc)
		cmd.Stdin = strings.NewReader("From procmail@example.org Thu Nov 26 10:00:00 2026\n" +
			"From: procmail@example.org\nSubject: delivered " + strconvItoa(i) + "\n\nbody\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("procmail: %v: %s", err, out)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		l := c.line()
		if l == "* 4 EXISTS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no * 4 EXISTS after three deliveries; last line %q", l)
		}
	}
	c.send("DONE")
	for l := c.line(); !strings.HasPrefix(l, "i OK"); l = c.line() {
	}
	u := c.ok("f FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	joined := strings.Join(u, "\n")
	for _, want := range []string{"ours", "delivered 0", "delivered 1", "delivered 2", "UID 1 ", "UID 4 "} {
		if !strings.Contains(joined, want) {
			t.Errorf("after deliveries, FETCH lacks %q:\n%s", want, joined)
		}
	}
}
