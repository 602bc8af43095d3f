package lmtp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/lmtp"
)

// TestDeliveryInEveryFormat: a message for two users lands in each INBOX,
// in each of the three formats, as sent (dot-stuffing undone, a line
// starting "From " kept), under Return-Path, Delivered-To and Received.
func TestDeliveryInEveryFormat(t *testing.T) {
	msg := "From: sender@example.net\r\nSubject: formats\r\n\r\n.leading dot\r\nFrom the start of a line\r\n..two dots\r\nend\r\n"
	for _, format := range []string{"maildir", "mbox", "mh"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, envConfig{format: format})
			c := e.client()
			_, data := send(t, c, "sender@example.net", []string{"alice@example.org", "bob+news@example.org"}, msg)
			if data["alice@example.org"] != "250" || data["bob+news@example.org"] != "250" {
				t.Fatalf("DATA replies %v", data)
			}
			for _, tc := range []struct{ user, rcpt string }{{"alice", "alice@example.org"}, {"bob", "bob+news@example.org"}} {
				got := e.messages(tc.user, "INBOX")
				if len(got) != 1 {
					t.Fatalf("%s: %d messages", tc.user, len(got))
				}
				checkTrace(t, got[0], "sender@example.net", tc.rcpt)
				if body := bodyOf(t, got[0]); body != strings.ReplaceAll(msg, "\r\n", "\n") {
					t.Errorf("%s: stored %q; want %q", tc.user, body, msg)
				}
			}
		})
	}
}

// traceRE is the trace header an MDA puts on top (RFC 5321 4.4).
var traceRE = regexp.MustCompile(`^Return-Path: <(.*)>\nDelivered-To: (.*)\n` +
	`Received: from client\.example\.org \(\[127\.0\.0\.1\]\)\n\tby mx\.example\.org \(mailgate\) with LMTP id [0-9]+\.[0-9]+\n` +
	`\t\(envelope-from <(.*)>\)\n\tfor <(.*)>; [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}\n`)

func checkTrace(t *testing.T, stored, from, rcpt string) {
	t.Helper()
	m := traceRE.FindStringSubmatch(strings.ReplaceAll(stored, "\r\n", "\n"))
	if m == nil {
		t.Fatalf("trace header fields missing or malformed:\n%s", stored)
	}
	if m[1] != from || m[3] != from || m[2] != rcpt || m[4] != rcpt {
		t.Errorf("trace fields %q; want from %q, rcpt %q", m[1:], from, rcpt)
	}
}

// TestNullSenderAndOmitReceived: MAIL FROM:<> gives "Return-Path: <>";
// OmitReceived leaves the Received line out.
func TestNullSenderAndOmitReceived(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.OmitReceived = true }})
	_, data := send(t, e.client(), "", []string{"alice@example.org"}, "Subject: bounce\r\n\r\nx\r\n")
	if data["alice@example.org"] != "250" {
		t.Fatalf("DATA %v", data)
	}
	got := strings.ReplaceAll(e.messages("alice", "INBOX")[0], "\r\n", "\n")
	if want := "Return-Path: <>\nDelivered-To: alice@example.org\nSubject: bounce\n\nx\n"; got != want {
		t.Errorf("stored %q; want %q", got, want)
	}
}

// TestQuotedAddresses: local parts that need quotes get them back in the
// header fields (go-smtp hands them over unquoted).
func TestQuotedAddresses(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.OmitReceived = true }})
	r := e.lhlo()
	r.send(`MAIL FROM:<"john doe"@example.net>`, "RCPT TO:<alice@example.org>", "DATA")
	r.expect("250 ", "250 ", "354 ")
	r.send("Subject: q", "", "x", ".")
	r.expect("250 ")
	got := e.messages("alice", "INBOX")[0]
	if !strings.HasPrefix(got, "Return-Path: <\"john doe\"@example.net>\r\n") {
		t.Errorf("stored %q", got)
	}
}

// TestDetailMailbox: user+folder goes into folder when it exists in the
// personal namespace and DetailMailbox is on; otherwise into INBOX, with
// Delivered-To naming the address as sent.
func TestDetailMailbox(t *testing.T) {
	for _, tc := range []struct {
		name    string
		detail  bool   // DetailMailbox
		delim   string // RecipientDelimiter
		rcpt    string
		mailbox string // where it must land
	}{
		{"existing folder", true, "+", "alice+lists@example.org", "lists"},
		{"nested folder", true, "+", "alice+lists/go@example.org", "lists/go"},
		{"missing folder", true, "+", "alice+nothere@example.org", "INBOX"},
		{"option off", false, "+", "alice+lists@example.org", "INBOX"},
		{"inbox in any case", true, "+", "alice+inbox@example.org", "INBOX"},
		{"second delimiter", true, "+-", "alice-lists@example.org", "lists"},
		{"shared namespace refused", true, "+", "alice+#shared/team@example.org", "INBOX"},
		{"other users refused", true, "+", "alice+~bob/lists@example.org", "INBOX"},
		{"dot-dot refused", true, "+", "alice+../bob/lists@example.org", "INBOX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envConfig{opts: func(o *lmtp.Options) {
				o.DetailMailbox, o.RecipientDelimiter = tc.detail, tc.delim
			}})
			for _, user := range []string{"alice", "bob"} {
				a := e.account(user)
				for _, mb := range []string{"lists", "lists/go"} {
					if err := a.Create(mb); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := e.account("alice").Create("#shared/team"); err != nil {
				t.Fatal(err)
			}
			_, data := send(t, e.client(), "s@example.net", []string{tc.rcpt}, testMessage("detail"))
			if data[tc.rcpt] != "250" {
				t.Fatalf("DATA %v", data)
			}
			for _, mb := range []string{"INBOX", "lists", "lists/go", "#shared/team"} {
				n := len(e.messages("alice", mb))
				if want := map[bool]int{true: 1}[mb == tc.mailbox]; n != want {
					t.Errorf("alice's %s holds %d messages; want %d", mb, n, want)
				}
			}
			if n := len(e.messages("bob", "lists")); n != 0 {
				t.Errorf("bob's lists holds %d messages", n)
			}
			got := e.messages("alice", tc.mailbox)
			local, domain, _ := strings.Cut(tc.rcpt, "@")
			if strings.Contains(local, "..") {
				local = `"` + local + `"` // not a dot-string: quoted (RFC 5321 4.1.2)
			}
			if len(got) == 1 && !strings.Contains(got[0], "Delivered-To: "+local+"@"+domain+"\r\n") {
				t.Errorf("Delivered-To missing:\n%s", got[0])
			}
		})
	}
}

// TestUserWithDelimiterInName: a user whose name holds the delimiter is
// found by the whole local part first, as Postfix's local(8) does.
func TestUserWithDelimiterInName(t *testing.T) {
	e := newEnv(t, envConfig{})
	f, err := os.OpenFile(e.users.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "dave+ops:{PLAIN}secret:::%s::\n", filepath.Join(e.root, "dave"))
	f.Close()
	if err := e.users.Reload(); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if err := c.Mail("s@example.net", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("dave+ops@example.org", nil); err != nil {
		t.Errorf("RCPT dave+ops: %v", err)
	}
	if got := code(c.Rcpt("dave+other@example.org", nil)); got != "550 5.1.1" {
		t.Errorf("RCPT dave+other: %s; want 550 5.1.1 (no user dave)", got)
	}
}

// TestLargeMessageManyRecipients: a message above the in-memory spool
// goes through a temporary file, is received once and arrives whole at
// every recipient; the spool directory is left empty.
func TestLargeMessageManyRecipients(t *testing.T) {
	spoolDir := t.TempDir()
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.SpoolDir = spoolDir }})
	var b strings.Builder
	b.WriteString("Subject: large\r\n\r\n")
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "line %07d of a large message, long enough to be counted in megabytes\r\n", i)
	}
	msg := b.String()
	rcpts := []string{"alice@example.org", "bob@example.org", "carol@example.org"}
	_, data := send(t, e.client(), "s@example.net", rcpts, msg)
	for _, r := range rcpts {
		if data[r] != "250" {
			t.Fatalf("DATA %v", data)
		}
	}
	for _, u := range testUsers {
		got := e.messages(u, "INBOX")
		if len(got) != 1 || bodyOf(t, got[0]) != strings.ReplaceAll(msg, "\r\n", "\n") {
			t.Errorf("%s: %d messages, or the content differs", u, len(got))
		}
	}
	if left := dirEntries(t, spoolDir); len(left) != 0 {
		t.Errorf("spool directory holds %v", left)
	}
}
