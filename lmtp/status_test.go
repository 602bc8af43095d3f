package lmtp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/lmtp"
	"github.com/mailgate/mailgate/storage"
)

// TestRecipientReplies: RCPT answers 550 5.1.1 for users that do not
// exist, 451 4.3.0 when the lookup or the account fails (the MTA tries
// again), and 250 otherwise, whatever the case of the domain.
func TestRecipientReplies(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) {
		lookup := o.Lookup
		o.Lookup = func(ctx context.Context, local, domain string) (*auth.User, error) {
			if local == "broken" {
				return nil, errors.New("directory unreachable")
			}
			return lookup(ctx, local, domain)
		}
		account := o.Account
		o.Account = func(ctx context.Context, u *auth.User) (*storage.Account, error) {
			if u.Name == "carol" {
				return nil, errors.New("home directory missing")
			}
			return account(ctx, u)
		}
	}})
	c := e.client()
	if err := c.Mail("sender@example.net", nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ rcpt, want string }{
		{"alice@example.org", "<nil>"},
		{"alice@EXAMPLE.ORG", "<nil>"},
		{"Alice@example.org", "<nil>"}, // lower-cased as Dovecot's %Lu
		{"Postmaster", "550 5.1.1"},    // no domain (RFC 5321 4.1.1.3); Lookup knows no such user
		{"nobody@example.org", "550 5.1.1"},
		{"alice@elsewhere.net", "550 5.1.1"}, // Lookup says: not a local domain
		{"broken@example.org", "451 4.3.0"},
		{"carol@example.org", "451 4.2.1"},
		{"+alice@example.org", "550 5.1.1"}, // no user before the delimiter
	} {
		if got := code(c.Rcpt(tc.rcpt, nil)); got != tc.want {
			t.Errorf("RCPT %s: %s; want %s", tc.rcpt, got, tc.want)
		}
	}
}

// TestBadRecipientSyntax: a control character in a quoted local part is
// refused with 501 5.1.3 rather than carried into a header field.
func TestBadRecipientSyntax(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	r.send("MAIL FROM:<a@example.net>", "RCPT TO:<\"al\x01ice\"@example.org>", "RCPT TO:<\"al ice\"@example.org>")
	r.expect("250 ", "501 5.1.3", "550 5.1.1")
	r.send("RSET", "MAIL FROM:<\"x\x02\"@example.net>")
	r.expect("250 ", "501 5.1.7")
}

// TestTooLarge: a message above MaxMessageSize is refused at MAIL FROM
// when SIZE= says so, and otherwise after DATA for every recipient, with
// 552 5.3.4 (RFC 1870 6.1, RFC 3463 X.3.4); nothing is stored.
func TestTooLarge(t *testing.T) {
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) { o.MaxMessageSize = 1000 }})
	c := e.client()
	if got := code(c.Mail("sender@example.net", &smtp.MailOptions{Size: 1001})); got != "552 5.3.4" {
		t.Errorf("MAIL FROM with SIZE=1001: %s; want 552 5.3.4", got)
	}
	big := testMessage("big") + strings.Repeat("0123456789abcdef\r\n", 100)
	_, data := send(t, c, "sender@example.net", []string{"alice@example.org", "bob@example.org"}, big)
	for _, r := range []string{"alice@example.org", "bob@example.org"} {
		if data[r] != "552 5.3.4" {
			t.Errorf("DATA for %s: %q; want 552 5.3.4", r, data[r])
		}
	}
	// The session goes on: a message that fits is delivered.
	_, data = send(t, c, "sender@example.net", []string{"alice@example.org"}, testMessage("small"))
	if data["alice@example.org"] != "250" {
		t.Errorf("small message after a large one: %q", data["alice@example.org"])
	}
	if got := e.messages("alice", "INBOX"); len(got) != 1 || !strings.Contains(got[0], "Subject: small") {
		t.Errorf("alice's INBOX: %q", got)
	}
	if got := e.messages("bob", "INBOX"); len(got) != 0 {
		t.Errorf("bob's INBOX: %d messages; want none", len(got))
	}
}

// TestStorageErrorReplies: each recipient's reply after DATA follows what
// storage said for that recipient, in RCPT order: over quota 452 4.2.2,
// disk full 452 4.3.1, a mailbox another program kept locked 451 4.2.0,
// another error 451 4.3.0 (the MTA keeps the mail), and a refusal storage
// calls final 550 5.2.0.
func TestStorageErrorReplies(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"quota", fmt.Errorf("writing: %w", syscall.EDQUOT), "452 4.2.2"},
		{"mailgate quota", fmt.Errorf("append: %w", storage.ErrOverQuota), "452 4.2.2"},
		{"disk full", fmt.Errorf("writing: %w", syscall.ENOSPC), "452 4.3.1"},
		{"i/o error", fmt.Errorf("writing: %w", syscall.EIO), "451 4.3.0"},
		{"unknown", errors.New("mbox: something else"), "451 4.3.0"},
		{"lock timeout", fmt.Errorf("mbox /var/mail/bob: lock: held by pid 7: %w", storage.ErrInUse), "451 4.2.0"},
		{"permanent", fmt.Errorf("append: %w", storage.ErrPermission), "550 5.2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envConfig{format: "faulty"})
			e.errs.set("bob", tc.err)
			r := e.lhlo()
			r.send("MAIL FROM:<sender@example.net>", "RCPT TO:<alice@example.org>", "RCPT TO:<bob@example.org>",
				"RCPT TO:<carol@example.org>", "DATA")
			r.expect("250 ", "250 ", "250 ", "250 ", "354 ")
			r.send("Subject: x", "", "body", ".")
			r.expect("250 2.0.0 <alice@example.org>", tc.want+" <bob@example.org>", "250 2.0.0 <carol@example.org>")
		})
	}
}

// TestRepliesNameTheRecipient: go-smtp writes "<rcpt>" before the text,
// and the text carries the transaction id of the logs.
func TestRepliesNameTheRecipient(t *testing.T) {
	e := newEnv(t, envConfig{})
	r := e.lhlo()
	r.send("MAIL FROM:<>", "RCPT TO:<alice@example.org>", "DATA")
	r.expect("250 ", "250 ", "354 ")
	r.send("Subject: x", "", "body", ".")
	if got := r.line(); !strings.HasPrefix(got, "250 2.0.0 <alice@example.org> Saved, id ") {
		t.Errorf("reply %q", got)
	}
}
