//go:build unix

package lmtp_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/lmtp"
)

// postfixMain is a test-only Postfix configuration: no listener, no
// local delivery; example.org goes to mailgate over loopback TCP and
// example.net over a unix socket, through the transport map; anything
// else fails at once.
const postfixMain = `compatibility_level = 3.6
queue_directory = {{dir}}/queue
data_directory = {{dir}}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.org
mydomain = example.org
myorigin = example.org
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
transport_maps = texthash:{{dir}}/transport
default_transport = error:this test delivers nowhere else
maillog_file = {{dir}}/maillog
maillog_file_prefixes = {{dir}}
biff = no
smtputf8_enable = no
`

// postfixMaster runs only what a message injected with sendmail needs to
// reach an LMTP server, unchrooted.
const postfixMaster = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// postfix is a running test instance of Debian's Postfix.
type postfix struct {
	t   *testing.T
	dir string
}

// startPostfix starts Postfix on a test-only configuration whose
// transport map is transport, or skips the test saying why it cannot.
func startPostfix(t *testing.T, transport string) *postfix {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/postfix"); err != nil {
		t.Skip("Postfix is not installed: apt-get install postfix (with \"No configuration\")")
	}
	if os.Geteuid() != 0 {
		t.Skip("starting Postfix needs root (its daemons then run as the postfix user)")
	}
	if _, err := user.Lookup("postfix"); err != nil {
		t.Skip("there is no postfix user; reinstall the postfix package")
	}
	// Postfix's daemons run as postfix and must reach the queue: a
	// directory of our own, world-searchable, not t.TempDir's 0700 ones.
	dir, err := os.MkdirTemp("", "mailgate-postfix")
	if err != nil {
		t.Fatal(err)
	}
	p := &postfix{t: t, dir: dir}
	t.Cleanup(p.stop)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(postfixMain, "{{dir}}", dir)
	for name, content := range map[string]string{"main.cf": conf, "master.cf": postfixMaster, "transport": transport} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v: %s", err, out)
	}
	if out, err := exec.Command("/usr/sbin/postfix", "-c", dir, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix start: %v: %s\n%s", err, out, p.log())
	}
	return p
}

// log returns Postfix's log so far.
func (p *postfix) log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "maillog"))
	return string(b)
}

// stop stops Postfix and removes its directory.
func (p *postfix) stop() {
	defer func(start time.Time) { p.t.Logf("stopping Postfix took %v", time.Since(start)) }(time.Now())
	if out, err := exec.Command("/usr/sbin/postfix", "-c", p.dir, "stop").CombinedOutput(); err != nil {
		p.t.Logf("postfix stop: %v: %s", err, out)
	}
	// The master exits once its children have.
	b, _ := os.ReadFile(filepath.Join(p.dir, "queue", "pid", "master.pid"))
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	os.RemoveAll(p.dir)
}

// sendmail injects a message as Postfix's sendmail(1) does.
func (p *postfix) sendmail(from string, rcpts []string, msg string) {
	p.t.Helper()
	cmd := exec.Command("/usr/sbin/sendmail", append([]string{"-C", p.dir, "-f", from}, rcpts...)...)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		p.t.Fatalf("sendmail: %v: %s\n%s", err, out, p.log())
	}
}

// TestPostfixDelivers: Debian's Postfix, on a test-only configuration,
// delivers to mailgate's LMTP over loopback TCP (example.org) and over a
// unix socket with mode 0660 and group postfix (example.net): the
// recipients get the message with Postfix's Return-Path, a detail
// address lands in its folder, an unknown user bounces with 550 5.1.1,
// and the bounce itself, from the null sender, is delivered over LMTP.
func TestPostfixDelivers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sockDir, err := os.MkdirTemp("", "mailgate-lmtp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	os.Chmod(sockDir, 0o755)
	sock := filepath.Join(sockDir, "lmtp.sock")
	e := newEnv(t, envConfig{opts: func(o *lmtp.Options) {
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
	if err := e.account("carol").Create("lists"); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	p := startPostfix(t, fmt.Sprintf("example.org lmtp:inet:%s\nexample.net lmtp:unix:%s\n", e.addr, sock))

	t.Logf("starting Postfix took %v", time.Since(started))
	p.sendmail("alice@example.org", []string{"alice@example.org", "bob@example.net", "nobody@example.org"},
		"From: alice@example.org\nSubject: via postfix\n\nHello through Postfix.\n")
	p.sendmail("alice@example.org", []string{"carol+lists@example.net"},
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
			t.Fatalf("%s's %s holds %d messages; want %d\n%s", w.user, w.mailbox, len(got), w.n, p.log())
		}
	}
	log := p.log()
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
