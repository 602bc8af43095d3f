package lmtp_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp"
)

// TestGreetingAndLHLO: the greeting names the host; LHLO advertises
// PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME, SIZE with the limit and
// CHUNKING (go-smtp takes BDAT in LMTP mode, see TestBDAT), and neither
// STARTTLS nor AUTH; HELO and EHLO are refused (RFC 2033 4.1).
func TestGreetingAndLHLO(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.MaxMessageSize = 12345 }})
	r := e.raw()
	if r.greeting != "220 mx.example.org LMTP Service Ready" {
		t.Errorf("greeting %q", r.greeting)
	}
	r.send("EHLO client.example.org")
	r.expect("500 5.5.1")
	r.send("HELO client.example.org")
	r.expect("500 5.5.1")
	r.send("LHLO client.example.org")
	caps := map[string]bool{}
	for _, l := range r.reply()[1:] {
		caps[l[4:]] = true
	}
	for _, want := range []string{"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SIZE 12345", "CHUNKING"} {
		if !caps[want] {
			t.Errorf("LHLO lacks %s: %v", want, sortedKeys(caps))
		}
	}
	for cp := range caps {
		if strings.HasPrefix(cp, "STARTTLS") || strings.HasPrefix(cp, "AUTH") {
			t.Errorf("LHLO advertises %s", cp)
		}
	}
}

// TestDuplicateRecipients: an RCPT repeating an earlier address (the same
// local part, the domain in any case, quoted or not) is accepted and gets
// its own reply after DATA, the earlier one's (RFC 2033 4.2), while the
// message is stored once; a local part in another case or with a detail
// is another recipient, as with Dovecot 2.3.
func TestDuplicateRecipients(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	rcpts := []string{"alice@example.org", "bob@example.org", "alice@example.org", "alice@EXAMPLE.ORG",
		`"alice"@example.org`, "Alice@example.org", "alice+x@example.org"}
	r.send("MAIL FROM:<s@example.net>")
	r.expect("250 ")
	for _, rc := range rcpts {
		r.send("RCPT TO:<" + rc + ">")
		r.expect("250 ")
	}
	r.send("DATA")
	r.expect("354 ")
	r.send("Subject: dup", "", "x", ".")
	var replies []string
	for range rcpts {
		replies = append(replies, r.line())
	}
	want := []string{
		"250 2.0.0 <alice@example.org> Saved, id 1.1 (a)",
		"250 2.0.0 <bob@example.org> Saved, id 1.1 (b)",
		"250 2.0.0 <alice@example.org> Saved, id 1.1 (a)",
		"250 2.0.0 <alice@EXAMPLE.ORG> Saved, id 1.1 (a)",
		"250 2.0.0 <alice@example.org> Saved, id 1.1 (a)",
		"250 2.0.0 <Alice@example.org> Saved, id 1.1 (c)",
		"250 2.0.0 <alice+x@example.org> Saved, id 1.1 (d)",
	}
	for i, w := range want {
		w = w[:strings.LastIndex(w, " (")]
		if replies[i] != w {
			t.Errorf("reply %d: %q; want %q", i+1, replies[i], w)
		}
	}
	if n := len(e.messages("alice", "INBOX")); n != 3 {
		t.Errorf("alice's INBOX holds %d messages; want 3 (alice, Alice, alice+x)", n)
	}
	if n := len(e.messages("bob", "INBOX")); n != 1 {
		t.Errorf("bob's INBOX holds %d messages; want 1", n)
	}
}

// TestDuplicateOfAFailure: a duplicate of a recipient whose delivery
// failed gets the same failure, and storage was tried once.
func TestDuplicateOfAFailure(t *testing.T) {
	e := newEnv(t, envConfig{format: "faulty"})
	e.errs.set("bob", fmt.Errorf("full: %w", syscall.EDQUOT))
	r := e.lhlo()
	r.send("MAIL FROM:<s@example.net>", "RCPT TO:<bob@example.org>", "RCPT TO:<alice@example.org>",
		"RCPT TO:<bob@example.org>", "DATA")
	r.expect("250 ", "250 ", "250 ", "250 ", "354 ")
	r.send("Subject: dup", "", "x", ".")
	r.expect("452 4.2.2 <bob@example.org>", "250 2.0.0 <alice@example.org>", "452 4.2.2 <bob@example.org>")
	if n := e.errs.attempts("bob"); n != 1 {
		t.Errorf("bob's mailbox was tried %d times; want 1", n)
	}
}

// TestBDAT: CHUNKING (RFC 3030) works over LMTP: chunks, then one reply
// per recipient after BDAT LAST, and the message stored as sent.
func TestBDAT(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.OmitReceived = true }})
	r := e.lhlo()
	part1 := "Subject: chunks\r\n\r\n"
	part2 := "line one\r\n.line two\r\n"
	r.send("MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "RCPT TO:<nobody@example.org>",
		"RCPT TO:<bob@example.org>")
	r.expect("250 ", "250 ", "550 5.1.1", "250 ")
	fmt.Fprintf(r.conn, "BDAT %d\r\n%s", len(part1), part1)
	r.expect("250 2.0.0 Continue")
	fmt.Fprintf(r.conn, "BDAT %d LAST\r\n%s", len(part2), part2)
	r.expect("250 2.0.0 <alice@example.org>", "250 2.0.0 <bob@example.org>")
	for _, u := range []string{"alice", "bob"} {
		got := e.messages(u, "INBOX")
		if len(got) != 1 || bodyOf(t, got[0]) != strings.ReplaceAll(part1+part2, "\r\n", "\n") {
			t.Errorf("%s: %q", u, got)
		}
	}
	// A second transaction on the same connection.
	r.send("MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "BDAT 0 LAST")
	r.expect("250 ", "250 ", "250 2.0.0 <alice@example.org>")
	if n := len(e.messages("alice", "INBOX")); n != 2 {
		t.Errorf("alice's INBOX holds %d messages; want 2", n)
	}
}

// TestDroppedMidData: a client that goes away in the middle of a message
// (DATA or BDAT, small or spooled to a file) leaves nothing in any
// mailbox and nothing in the spool directory, in every format.
func TestDroppedMidData(t *testing.T) {
	big := "Subject: big\r\n\r\n" + strings.Repeat("a line of a message that is cut short\r\n", 20000)
	for _, format := range []string{"maildir", "mbox", "mh"} {
		for _, tc := range []struct {
			name string
			send func(r *raw)
		}{
			{"DATA", func(r *raw) {
				r.send("DATA")
				r.expect("354 ")
				io.WriteString(r.conn, "Subject: cut\r\n\r\nhalf a mess")
			}},
			{"DATA spooled", func(r *raw) {
				r.send("DATA")
				r.expect("354 ")
				io.WriteString(r.conn, big)
			}},
			{"DATA without the final dot line", func(r *raw) {
				r.send("DATA")
				r.expect("354 ")
				io.WriteString(r.conn, "Subject: cut\r\n\r\nwhole lines\r\n")
			}},
			{"BDAT", func(r *raw) {
				fmt.Fprintf(r.conn, "BDAT 10\r\n0123456789")
				r.expect("250 ")
				fmt.Fprintf(r.conn, "BDAT 100 LAST\r\nonly part of it")
			}},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				spoolDir := t.TempDir()
				e := newEnv(t, envConfig{format: format, opts: func(o *lmtp.Options) { o.SpoolDir = spoolDir }})
				r := e.lhlo()
				r.send("MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>")
				r.expect("250 ", "250 ", "250 ")
				tc.send(r)
				r.conn.Close()
				// Close waits for the session and its delivery to end.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := e.srv.Close(ctx); err != nil {
					t.Fatal(err)
				}
				for _, u := range []string{"alice", "bob"} {
					if got := e.messages(u, "INBOX"); len(got) != 0 {
						t.Errorf("%s's INBOX holds %q", u, got)
					}
				}
				if left := dirEntries(t, spoolDir); len(left) != 0 {
					t.Errorf("spool directory holds %v", left)
				}
			})
		}
	}
}
