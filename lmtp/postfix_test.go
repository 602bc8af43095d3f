//go:build unix

package lmtp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/lmtp"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// postfixEnv returns an environment, with INBOXes in format, for
// Postfix to deliver to: example.org and example.net are both its
// domains, and it listens on TCP (e.addr) and on the unix socket sock,
// mode 0660, group postfix. The test is skipped with -short.
func postfixEnv(t *testing.T, format string) (e *env, sock string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sockDir, err := os.MkdirTemp("", "mailgate-lmtp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	os.Chmod(sockDir, 0o755)
	sock = filepath.Join(sockDir, "lmtp.sock")
	e = newEnv(t, envConfig{format: format, opts: func(o *lmtp.Options) {
		lookup := o.Lookup
		o.Lookup = func(ctx context.Context, local, domain string) (*auth.User, error) {
			if strings.EqualFold(domain, "example.net") {
				domain = "example.org" // both domains are ours
			}
			return lookup(ctx, local, domain)
		}
	}})
	ln, err := lmtp.Listen(lmtp.ListenConfig{Address: sock, Mode: 0o660, Group: "postfix"})
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.Serve(ln)
	return e, sock
}

// TestPostfixDelivers: Debian's Postfix, on a test-only configuration,
// delivers to mailgate's LMTP over loopback TCP (example.org) and over a
// unix socket with mode 0660 and group postfix (example.net): the
// recipients get the message with Postfix's Return-Path, a detail
// address lands in its folder, an unknown user bounces with 550 5.1.1,
// and the bounce itself, from the null sender, is delivered over LMTP.
func TestPostfixDelivers(t *testing.T) {
	e, sock := postfixEnv(t, "")
	if err := e.account("carol").Create("lists"); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	p := lmtptest.StartPostfix(t, fmt.Sprintf("example.org lmtp:inet:%s\nexample.net lmtp:unix:%s\n", e.addr, sock))

	t.Logf("starting Postfix took %v", time.Since(started))
	p.Sendmail("alice@example.org", []string{"alice@example.org", "bob@example.net", "nobody@example.org"},
		"From: alice@example.org\nSubject: via postfix\n\nHello through Postfix.\n")
	p.Sendmail("alice@example.org", []string{"carol+lists@example.net"},
		"From: alice@example.org\nSubject: to a folder\n\nFiled.\n")

	want := []struct {
		user, mailbox string
		n             int
	}{{"alice", "INBOX", 2}, {"bob", "INBOX", 1}, {"carol", "lists", 1}}
	for _, w := range want {
		var got []string
		for i := 0; i < 600 && len(got) < w.n; i++ { // Postfix retries nothing within this minute
			time.Sleep(100 * time.Millisecond)
			got = e.messages(w.user, w.mailbox)
		}
		if len(got) != w.n {
			t.Fatalf("%s's %s holds %d messages; want %d\n%s", w.user, w.mailbox, len(got), w.n, p.Log())
		}
	}
	log := p.Log()
	for _, line := range []string{
		"to=<alice@example.org>, relay=127.0.0.1[127.0.0.1]:",
		"to=<bob@example.net>, relay=mx.example.org[" + sock + "]",
		"status=sent (250 2.0.0 <bob@example.net> Saved",
		"to=<nobody@example.org>",
		"status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 No such user here",
		"to=<carol+lists@example.net>",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("Postfix's log lacks %q:\n%s", line, log)
		}
	}
	var original, bounce string
	for _, m := range e.messages("alice", "INBOX") {
		if strings.HasPrefix(m, "Return-Path: <>") {
			bounce = m
		} else {
			original = m
		}
	}
	if !strings.HasPrefix(original, "Return-Path: <alice@example.org>\r\nDelivered-To: alice@example.org\r\nReceived: from mx.example.org") ||
		!strings.Contains(original, "Hello through Postfix.") {
		t.Errorf("alice's copy:\n%s", original)
	}
	if !strings.Contains(bounce, "nobody@example.org") || !strings.Contains(bounce, "550 5.1.1") {
		t.Errorf("the bounce:\n%s", bounce)
	}
	bobs := e.messages("bob", "INBOX")[0]
	if !strings.Contains(bobs, "Delivered-To: bob@example.net\r\n") || !strings.Contains(bobs, "Received: from mx.example.org (local)") {
		t.Errorf("bob's copy, over the unix socket:\n%s", bobs)
	}
}

// TestPostfixSMTPUTF8: Postfix, with SMTPUTF8 on (its default since
// compatibility level 1), hands over mail from a UTF-8 sender to a UTF-8
// recipient address over LMTP, on TCP and on a unix socket, rather than
// bouncing it (it never downgrades such mail); the copies keep the
// addresses as UTF-8 in Return-Path, Delivered-To and the mbox From_
// line.
func TestPostfixSMTPUTF8(t *testing.T) {
	e, sock := postfixEnv(t, "mbox")
	p := lmtptest.StartPostfix(t, fmt.Sprintf("example.org lmtp:inet:%s\nexample.net lmtp:unix:%s\n", e.addr, sock),
		"smtputf8_enable = yes")
	const sender = "j\u00fcrgen@b\u00fccher.example"
	p.Sendmail(sender, []string{"alice+f\u00e4cher@example.org", "bob+f\u00e4cher@example.net"},
		"From: J\u00fcrgen <"+sender+">\nSubject: Gr\u00fc\u00dfe\n\nHallo aus M\u00fcnchen.\n")
	for _, rcpt := range []struct{ user, addr string }{
		{"alice", "alice+f\u00e4cher@example.org"}, {"bob", "bob+f\u00e4cher@example.net"},
	} {
		var got []string
		for i := 0; i < 600 && len(got) < 1 && !strings.Contains(p.Log(), "status=bounced"); i++ {
			time.Sleep(100 * time.Millisecond)
			got = e.messages(rcpt.user, "INBOX")
		}
		if len(got) != 1 {
			t.Fatalf("%s's INBOX holds %d messages; want 1\n%s", rcpt.user, len(got), p.Log())
		}
		for _, want := range []string{
			"Return-Path: <" + sender + ">\r\nDelivered-To: " + rcpt.addr + "\r\n",
			" with UTF8LMTP id ",
			"Subject: Gr\u00fc\u00dfe\r\n",
			"Hallo aus M\u00fcnchen.",
		} {
			if !strings.Contains(got[0], want) {
				t.Errorf("%s's copy lacks %q:\n%s", rcpt.user, want, got[0])
			}
		}
		b, err := os.ReadFile(filepath.Join(e.root, rcpt.user, "INBOX"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "From "+sender+" ") {
			first, _, _ := strings.Cut(string(b), "\n")
			t.Errorf("%s's From_ line %q; want the UTF-8 sender", rcpt.user, first)
		}
	}
	if log := p.Log(); strings.Count(log, "status=sent (250 2.0.0") != 2 {
		t.Errorf("Postfix's log:\n%s", log)
	}
}
