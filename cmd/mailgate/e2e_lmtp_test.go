package main_test

// LMTP through the real binary (issue 12): [lmtp] listen on a unix socket
// and TCP beside the IMAP [[server]], every reply an MTA can hear, and
// deliveries that IMAP sessions of this daemon or of another one hear.

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// lmtpDaemon is a mailgate daemon that serves LMTP on a unix socket (and
// on TCP when asked) beside IMAP.
type lmtpDaemon struct {
	*daemon
	sock string // the LMTP unix socket
	tcp  string // the LMTP TCP address, or ""
}

// socketDir returns a new directory with a short path (a unix socket's
// path has room for 107 bytes) that others may search, for Postfix.
func socketDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mg-lmtp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startLMTPDaemon starts a daemon whose [lmtp] listens on a new unix
// socket, and on a loopback TCP port too when tcp is set; lmtpLines are
// more keys of [lmtp], top more top-level configuration.
func startLMTPDaemon(t testing.TB, tcp bool, top, lmtpLines string) *lmtpDaemon {
	t.Helper()
	ld := &lmtpDaemon{sock: filepath.Join(socketDir(t), "lmtp.sock")}
	listen := fmt.Sprintf("%q", ld.sock)
	if tcp {
		ld.tcp = freeAddr(t)
		listen += fmt.Sprintf(", %q", ld.tcp)
	}
	ld.daemon = startDaemon(t, fmt.Sprintf("%s\n[lmtp]\nlisten = [%s]\n%s\n", top, listen, lmtpLines), "")
	ld.waitLMTP(t)
	return ld
}

// waitLMTP waits until the LMTP socket accepts connections: startDaemon
// waits only for the IMAP listener, and on a loaded machine the LMTP
// socket may come a little later.
func (ld *lmtpDaemon) waitLMTP(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("unix", ld.sock, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the LMTP socket %s did not accept within 10s: %v\n%s", ld.sock, err, ld.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lmtpClient connects to the daemon's LMTP socket and says LHLO.
func (ld *lmtpDaemon) lmtpClient(t *testing.T) *smtp.Client {
	t.Helper()
	c, err := lmtptest.Dial("unix", ld.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// deliver runs one transaction on c and fails the test if the session
// breaks.
func deliver(t *testing.T, c *smtp.Client, rcpts []string, msg string) *lmtptest.Result {
	t.Helper()
	res, err := lmtptest.Send(c, "sender@example.net", rcpts, msg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// addUser adds a user with password "pw" (and home, when not ""), and
// waits for the daemon to see it: it looks at the users file at most
// once a second.
func (ld *lmtpDaemon) addUser(t *testing.T, name, home string) {
	t.Helper()
	args := []string{"--config", ld.cfg.path, "user", "add", name, "--password-stdin"}
	if home != "" {
		args = append(args, "--home", home)
	}
	if r := runMailgate(t, 30*time.Second, "pw\n", args...); r.code != 0 || r.err != nil {
		t.Fatalf("user add %s: %d %v\n%s", name, r.code, r.err, r.stderr)
	}
	time.Sleep(1100 * time.Millisecond)
}

// maildirMessages returns the messages of the maildir at dir (new and
// cur), and fails if its tmp holds anything.
func maildirMessages(t *testing.T, dir string) []string {
	t.Helper()
	out := maildirFiles(t, dir)
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) > 0 {
		t.Errorf("%s/tmp holds %d files after the deliveries", dir, len(tmp))
	}
	return out
}

// maildirFiles returns the messages of the maildir at dir (new and cur).
func maildirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	return out
}

// runCommand runs a program and returns its combined output.
func runCommand(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// lmtpMessage is a small message with a subject of its own.
func lmtpMessage(subject string) string {
	return "From: sender@example.net\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.net>\r\n\r\nHello.\r\n"
}

// TestLMTPReplies: the binary's LMTP, on a unix socket (mode 0660) and on
// TCP, answers LHLO with what it supports and gives each recipient its
// own reply: 550 5.1.1 for an unknown user or a domain not in [lmtp]
// domains, 552 5.3.4 above max-message-size, one copy and two 250s for a
// recipient named twice, a detail address into its folder, and 250 only
// for what is on disk with Return-Path and Delivered-To.
func TestLMTPReplies(t *testing.T) {
	ld := startLMTPDaemon(t, true, "", "max-message-size = \"16KiB\"\ndomains = [\"example.org\"]\ndetail-mailbox = true")
	ld.addUser(t, "bob", "")

	fi, err := os.Lstat(ld.sock)
	if err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Fatalf("the LMTP socket: %v %v; want a socket with mode 0660", fi, err)
	}

	// LHLO over TCP, as a raw client sees it (RFC 2033 4.1).
	raw := dialIMAP(t, ld.tcp) // a line reader; the protocol does not matter
	if l, err := raw.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "220 ") || !strings.Contains(l, "LMTP") {
		t.Fatalf("greeting %q %v", l, err)
	}
	raw.send("LHLO mta.example.net\r\n")
	var lhlo []string
	for {
		l, err := raw.line(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		lhlo = append(lhlo, l[4:])
		if l[3] == ' ' {
			break
		}
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 16384"} {
		if !strings.Contains(strings.Join(lhlo, "|"), ext) {
			t.Errorf("LHLO reply %q lacks %s", lhlo, ext)
		}
	}
	raw.send("MAIL FROM:<s@example.net>\r\nRCPT TO:<bob@example.org>\r\nQUIT\r\n")

	// Over the unix socket.
	c := ld.lmtpClient(t)
	res := deliver(t, c, []string{"mailgate@example.org", "nobody@example.org", "bob@elsewhere.test",
		"bob@example.org", "mailgate@EXAMPLE.org"}, lmtpMessage("first"))
	wantRcpt := map[string]string{"nobody@example.org": "550 5.1.1", "bob@elsewhere.test": "550 5.1.1"}
	wantData := map[string]string{"mailgate@example.org": "250", "bob@example.org": "250", "mailgate@EXAMPLE.org": "250"}
	if fmt.Sprint(res.Rcpt) != fmt.Sprint(wantRcpt) || fmt.Sprint(res.Data) != fmt.Sprint(wantData) {
		t.Errorf("RCPT replies %v, DATA replies %v; want %v and %v", res.Rcpt, res.Data, wantRcpt, wantData)
	}
	big := lmtpMessage("big") + strings.Repeat("a line to make the message larger than sixteen KiB\r\n", 400)
	res = deliver(t, c, []string{"mailgate@example.org", "bob@example.org"}, big)
	if res.Data["mailgate@example.org"] != "552 5.3.4" || res.Data["bob@example.org"] != "552 5.3.4" {
		t.Errorf("a message above max-message-size: %v; want 552 5.3.4 for each", res.Data)
	}

	// A detail address goes into the folder that exists, else INBOX.
	imap := dialIMAP(t, ld.addr)
	imap.line(5 * time.Second)
	imap.cmd("a", "LOGIN bob pw")
	if r := imap.cmd("b", "CREATE lists"); !strings.HasPrefix(r[len(r)-1], "b OK") {
		t.Fatalf("CREATE: %q", r)
	}
	res = deliver(t, c, []string{"bob+lists@example.org", "bob+nofolder@example.org"}, lmtpMessage("detail"))
	if res.Data["bob+lists@example.org"] != "250" || res.Data["bob+nofolder@example.org"] != "250" {
		t.Errorf("detail addresses: %v %v", res.Rcpt, res.Data)
	}

	mine := maildirMessages(t, ld.cfg.inbox("mailgate"))
	if len(mine) != 1 {
		t.Fatalf("mailgate's INBOX holds %d messages; want the one, delivered once for two RCPTs", len(mine))
	}
	lf := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	if !strings.HasPrefix(lf(mine[0]), "Return-Path: <sender@example.net>\nDelivered-To: mailgate@example.org\nReceived: from client.example.org (local)") ||
		!strings.HasSuffix(lf(mine[0]), lf(lmtpMessage("first"))) {
		t.Errorf("the stored copy:\n%s", mine[0])
	}
	if n := len(maildirMessages(t, ld.cfg.inbox("bob"))); n != 2 {
		t.Errorf("bob's INBOX holds %d messages; want 2 (first, and detail for a folder that does not exist)", n)
	}
	if lists := maildirMessages(t, filepath.Join(ld.cfg.dataDir, "bob", "lists")); len(lists) != 1 || !strings.Contains(lf(lists[0]), "Delivered-To: bob+lists@example.org\n") {
		t.Errorf("bob's lists: %q", lists)
	}
	ld.stop(10 * time.Second)
	if _, err := os.Lstat(ld.sock); !os.IsNotExist(err) {
		t.Errorf("the socket file is still there after the daemon stopped: %v", err)
	}
	if !strings.Contains(ld.stderr.String(), "lmtp: delivered") || !strings.Contains(ld.stderr.String(), " conn=") {
		t.Errorf("the log lacks deliveries with their conn=:\n%s", ld.stderr.String())
	}
}

// TestLMTPDiskFull: a delivery into a home on a full file system gets
// 452 4.3.1 (the MTA keeps the message and tries again), leaves no
// partial file behind, and succeeds once there is room. The file system is
// a small tmpfs, which needs root.
func TestLMTPDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := runCommand("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { runCommand("umount", "-l", mnt) })
	ld := startLMTPDaemon(t, false, "", "")
	home := filepath.Join(mnt, "carol")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	ld.addUser(t, "carol", home)
	c := ld.lmtpClient(t)
	if res := deliver(t, c, []string{"carol@example.org"}, lmtpMessage("room")); res.Data["carol@example.org"] != "250" {
		t.Fatalf("first delivery: %v %v", res.Rcpt, res.Data)
	}
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !strings.Contains(err.Error(), syscall.ENOSPC.Error()) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	big := lmtpMessage("full") + strings.Repeat("x", 64<<10) + "\r\n"
	if res := deliver(t, c, []string{"carol@example.org"}, big); res.Data["carol@example.org"] != "452 4.3.1" {
		t.Errorf("delivery to a full disk: %v %v; want 452 4.3.1", res.Rcpt, res.Data)
	}
	os.Remove(filler)
	if res := deliver(t, c, []string{"carol@example.org"}, big); res.Data["carol@example.org"] != "250" {
		t.Errorf("delivery once there is room again: %v %v", res.Rcpt, res.Data)
	}
	if got := maildirMessages(t, filepath.Join(home, "INBOX")); len(got) != 2 {
		t.Errorf("carol's INBOX holds %d messages; want 2", len(got))
	}
}

// TestLMTPLiveUpdate: an IMAP session idling on INBOX hears EXISTS within
// a second of the 250, for a delivery through the LMTP of its own daemon
// and through that of another mailgate process on the same files.
func TestLMTPLiveUpdate(t *testing.T) {
	a := startLMTPDaemon(t, false, "", "")
	// The second daemon: the same data directory (users, homes) with
	// ports of its own; the first keeps the control socket.
	b := &lmtpDaemon{sock: filepath.Join(socketDir(t), "lmtp.sock")}
	dir := t.TempDir()
	cfg := &testConfig{dir: dir, path: filepath.Join(dir, "b.toml"), dataDir: a.cfg.dataDir, addr: freeAddr(t), sharedUsers: true}
	text := fmt.Sprintf("data-dir = %q\n[lmtp]\nlisten = [%q]\n[[server]]\naddress = %q\n", cfg.dataDir, b.sock, cfg.addr)
	if err := writeFile(cfg.path, text); err != nil {
		t.Fatal(err)
	}
	d, _, err := tryStartDaemon(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.daemon = d

	idler, err := lmtptest.IdleOn(a.addr, "mailgate", a.password)
	if err != nil {
		t.Fatal(err)
	}
	defer idler.Close()
	for n, via := range []*lmtpDaemon{a, b, a, b} {
		res := deliver(t, via.lmtpClient(t), []string{"mailgate@example.org"}, lmtpMessage(fmt.Sprint("live", n)))
		acked := time.Now()
		if res.Data["mailgate@example.org"] != "250" {
			t.Fatalf("delivery %d: %v %v", n, res.Rcpt, res.Data)
		}
		if err := idler.WaitExists(uint32(n+1), time.Second); err != nil {
			t.Fatalf("delivery %d (through the %s process): %v", n, map[bool]string{true: "same", false: "other"}[via == a], err)
		}
		t.Logf("EXISTS %d heard %v after the 250", n+1, time.Since(acked))
	}
}

// TestLMTPPostfix: Debian's Postfix, on a test-only configuration,
// delivers to the binary's LMTP over its unix socket (mode 0660, group
// postfix) and over loopback TCP; an unknown user bounces with 550 5.1.1
// and the bounce, from the null sender, comes back over LMTP.
func TestLMTPPostfix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	ld := startLMTPDaemon(t, true, "", "socket-group = \"postfix\"")
	p := lmtptest.StartPostfix(t, fmt.Sprintf("example.org lmtp:unix:%s\nexample.net lmtp:inet:%s\n", ld.sock, ld.tcp))
	p.Sendmail("mailgate@example.org", []string{"mailgate@example.org", "mailgate@example.net", "nobody@example.org"},
		"From: mailgate@example.org\nSubject: via postfix\n\nHello through Postfix.\n")
	var got []string
	for i := 0; i < 600 && len(got) < 3; i++ {
		time.Sleep(100 * time.Millisecond)
		got = maildirFiles(t, ld.cfg.inbox("mailgate")) // tmp is busy meanwhile
	}
	got = maildirMessages(t, ld.cfg.inbox("mailgate"))
	if len(got) != 3 {
		t.Fatalf("INBOX holds %d messages; want two copies and a bounce\n%s", len(got), p.Log())
	}
	log := p.Log()
	for _, line := range []string{
		"to=<mailgate@example.org>, relay=mx.example.org[" + ld.sock + "]",
		"status=sent (250 2.0.0 <mailgate@example.org> Saved",
		"to=<mailgate@example.net>, relay=127.0.0.1[127.0.0.1]:",
		"to=<nobody@example.org>, relay=mx.example.org[" + ld.sock + "]",
		"status=bounced (host mx.example.org[" + ld.sock + "] said: 550 5.1.1 No such user here",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("Postfix's log lacks %q:\n%s", line, log)
		}
	}
	bounces := 0
	for _, m := range got {
		if strings.HasPrefix(m, "Return-Path: <>") {
			bounces++
		} else if !strings.HasPrefix(m, "Return-Path: <mailgate@example.org>") || !strings.Contains(m, "Hello through Postfix.") {
			t.Errorf("a copy:\n%s", m)
		}
	}
	if bounces != 1 {
		t.Errorf("%d bounces in INBOX; want 1", bounces)
	}
}
