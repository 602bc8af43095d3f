package main_test

// LMTP delivery and IMAP sessions of system accounts whose INBOX is in a
// mail spool laid out as Debian's /var/mail: the directory root:mail
// 2775, each mailbox user:mail 0660. A root daemon delivers a system
// account's mail through a delivery process with the account's uid and
// gid, and serves its sessions from a session process likewise; only
// members of the spool's group may create files there (dot locks,
// mailgate's APPEND intent, a new mailbox), so those processes get the
// spool's group ([mailbox] mail-group, "auto"), as procmail and
// mutt_dotlock (setgid mail), Postfix's local(8) and Dovecot's LDA
// (mail_privileged_group) use it. The tests use a spool of their own,
// never /var/mail.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/lmtp/lmtptest"
)

// spoolDaemon makes a mail spool laid out as /var/mail (root:mail 2775),
// starts a root daemon delivering system accounts' INBOX there as mbox,
// with more keys of [mailbox], and returns it with the spool's path and
// group mail's gid. A busy lock is given up after about a second.
func spoolDaemon(t *testing.T, mailbox ...string) (ld *lmtpDaemon, spool string, mailGID int) {
	t.Helper()
	g, err := user.LookupGroup("mail")
	if err != nil {
		t.Skip("no group mail")
	}
	mailGID, _ = strconv.Atoi(g.Gid)
	spool = filepath.Join(socketDir(t), "mail")
	if err := os.Mkdir(spool, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(spool, 0, mailGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(spool, 0o775|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	top := systemAuth +
		fmt.Sprintf("[mailbox]\nmail-spool = %q\nmailbox-pattern = \"\"\nmailbox-type = \"mbox\"\n", spool) +
		strings.Join(mailbox, "") + "[locking]\nretry-count = 4\nretry-sleep = \"300ms\"\n"
	ld = startLMTPDaemon(t, false, top, "")
	return ld, spool, mailGID
}

// spoolMailbox creates u's mailbox in the spool as adduser, Postfix or
// procmail leave it: u's, group mail, mode 0660, empty.
func spoolMailbox(t *testing.T, spool string, u *systemUser, mailGID int) string {
	t.Helper()
	box := filepath.Join(spool, u.name)
	if err := os.WriteFile(box, nil, 0o660); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(box, u.uid, mailGID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(box, 0o660); err != nil { // without the umask
		t.Fatal(err)
	}
	return box
}

// TestSpoolDeliveryHonoursDotLock: while another program
// (procmail, mutt, imap4d, Postfix's local) holds the mailbox's dot lock,
// a delivery must wait and then answer 4xx, never write. (Without the
// spool's group, the delivery process could not create NAME.lock, and
// appended under the other program's dot lock, under kernel locks
// alone.)
func TestSpoolDeliveryHonoursDotLock(t *testing.T) {
	u := newSystemUser(t)
	ld, spool, gid := spoolDaemon(t)
	box := spoolMailbox(t, spool, u, gid)

	// A live holder: the lock names a running process, as mailutils'
	// dot locks do (procmail's say "0"; mutt's are empty).
	holder := exec.Command("sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	lock := box + ".lock"
	if err := os.WriteFile(lock, []byte(strconv.Itoa(holder.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(lock, 0, gid)

	rcpt := u.name + "@example.org"
	res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: under a lock\r\n\r\nHello.\r\n")
	fi, err := os.Stat(box)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(res.Data[rcpt], "250") || fi.Size() != 0 {
		t.Errorf("delivery while another program holds %s: reply %q, mailbox now %d bytes; want a 4xx reply and the mailbox untouched\n%s",
			lock, res.Data[rcpt], fi.Size(), ld.stderr.String())
	}
}

// TestSpoolDeliveryKilledLeavesNoTornMessage: a delivery
// process killed with SIGKILL in the middle of its append (the daemon's
// own 5-minute timeout kills it so, as does the OOM killer or systemd's
// final SIGKILL) must leave the mbox without any part of the message, at
// the latest once the mailbox is next locked. (Without the spool's
// group, the process could not write its append intent (.NAME.mgappend)
// in the spool, so nothing ever cut the partial message back: the mbox
// kept a message with the first megabytes of the body and no end, and
// the MTA, which heard 451, delivered it again.)
func TestSpoolDeliveryKilledLeavesNoTornMessage(t *testing.T) {
	u := newSystemUser(t)
	ld, spool, gid := spoolDaemon(t)
	box := spoolMailbox(t, spool, u, gid)
	rcpt := u.name + "@example.org"

	const lines = 600000 // about 40 MB: the append takes long enough to be caught
	var body bytes.Buffer
	body.WriteString("Subject: big\r\n\r\n")
	for i := range lines {
		fmt.Fprintf(&body, "line %08d of a big message xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n", i)
	}
	var wg sync.WaitGroup
	var reply string
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := lmtptest.Dial("unix", ld.sock)
		if err != nil {
			reply = err.Error()
			return
		}
		defer c.Close()
		res, err := lmtptest.Send(c, "sender@example.net", []string{rcpt}, body.String())
		if err != nil {
			reply = err.Error()
			return
		}
		reply = res.Data[rcpt]
	}()
	killed := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !killed; {
		if fi, err := os.Stat(box); err == nil && fi.Size() > 1<<20 {
			for _, pid := range deliveryProcesses(ld.cmd.Process.Pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				killed = true
			}
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	if !killed {
		t.Skipf("the append was not caught in the middle (reply %q)", reply)
	}
	if strings.HasPrefix(reply, "250") {
		t.Skipf("the message was stored whole before the kill")
	}
	// The next delivery locks the mailbox: whatever a crash cut short
	// must be gone by then at the latest.
	if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: after\r\n\r\nHello.\r\n"); res.Data[rcpt] != "250" {
		t.Fatalf("the next delivery: %+v\n%s", res, ld.stderr.String())
	}
	data, err := os.ReadFile(box)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(data, []byte("Subject: big\n")); i >= 0 {
		n := bytes.Count(data[i:], []byte("of a big message"))
		if n != lines {
			t.Errorf("the mbox keeps a message cut short by the kill: %d of its %d lines (reply to the MTA %q), mbox %d bytes",
				n, lines, reply, len(data))
		}
	}
}

// TestSpoolFirstDelivery: the first message for a system account whose
// spool mailbox does not exist yet must be stored, in a file that is the
// account's (Postfix's local(8) creates it so), of the spool's group, and
// never open to others: in Debian's setgid spool (2775) and in Red Hat's,
// which is not setgid (0775). A symbolic link planted where the mailbox
// would be is never followed.
func TestSpoolFirstDelivery(t *testing.T) {
	ld, spool, gid := spoolDaemon(t)
	for _, mode := range []os.FileMode{0o775 | os.ModeSetgid, 0o775} {
		u := newSystemUser(t)
		if err := os.Chmod(spool, mode); err != nil {
			t.Fatal(err)
		}
		rcpt := u.name + "@example.org"
		res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: first\r\n\r\nHello.\r\n")
		if res.Data[rcpt] != "250" {
			t.Fatalf("first delivery into %s (%v): %+v; want 250\n%s", spool, mode, res, ld.stderr.String())
		}
		fi, err := os.Lstat(filepath.Join(spool, u.name))
		if err != nil {
			t.Fatal(err)
		}
		// The delivery process writes the envelope sender into the
		// From_ line, as Postfix's local(8) does.
		if b, _ := os.ReadFile(filepath.Join(spool, u.name)); !bytes.HasPrefix(b, []byte("From sender@example.net ")) {
			first, _, _ := bytes.Cut(b, []byte("\n"))
			t.Errorf("From_ line %q; want the envelope sender", first)
		}
		if st := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || int(st.Uid) != u.uid || int(st.Gid) != gid || fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("spool %v: the new mailbox is %d:%d mode %v; want a file of %s's (%d), group mail (%d), no access for others",
				mode, st.Uid, st.Gid, fi.Mode(), u.name, u.uid, gid)
		}
	}
	// A planted link, dangling or not, is refused and nothing is made
	// through it.
	u := newSystemUser(t)
	target := filepath.Join(socketDir(t), "target")
	if err := os.Symlink(target, filepath.Join(spool, u.name)); err != nil {
		t.Fatal(err)
	}
	rcpt := u.name + "@example.org"
	if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, "Subject: planted\r\n\r\nHello.\r\n"); res.Data[rcpt] == "250" {
		t.Errorf("delivery through a planted link: %+v", res)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Errorf("a file was made through the planted link")
	}
}

// TestSpoolSessionWrites: the user's own IMAP session process, with the
// spool's group, stores flags and expunges in the spool INBOX (dot lock,
// STORE journal, rewrite beside the mailbox), and the daemon said at
// start which group it gives and why.
func TestSpoolSessionWrites(t *testing.T) {
	u := newSystemUser(t)
	ld, spool, gid := spoolDaemon(t)
	box := spoolMailbox(t, spool, u, gid)
	rcpt := u.name + "@example.org"
	for i := range 2 {
		if res := deliver(t, ld.lmtpClient(t), []string{rcpt}, fmt.Sprintf("Subject: m%d\r\n\r\nHello.\r\n", i)); res.Data[rcpt] != "250" {
			t.Fatalf("delivery %d: %+v\n%s", i, res, ld.stderr.String())
		}
	}
	c := greeted(t, ld.addr)
	c.login(u.name, u.password)
	for _, cmd := range []string{"SELECT INBOX", "STORE 1 +FLAGS (\\Deleted)", "STORE 2 +FLAGS (\\Flagged)", "EXPUNGE"} {
		if l := c.cmd("b", cmd); !strings.HasPrefix(l[len(l)-1], "b OK") {
			t.Fatalf("%s: %q\n%s", cmd, l, ld.stderr.String())
		}
	}
	c.cmd("z", "LOGOUT")
	data, err := os.ReadFile(box)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("Subject: m0")) || !bytes.Contains(data, []byte("Subject: m1")) {
		t.Errorf("after EXPUNGE the mailbox holds:\n%s", data)
	}
	fi, err := os.Stat(box)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != u.uid || int(st.Gid) != gid || fi.Mode().Perm() != 0o660 {
		t.Errorf("the rewritten mailbox is %d:%d %v; want %d:%d -rw-rw----", st.Uid, st.Gid, fi.Mode(), u.uid, gid)
	}
	if log := ld.stderr.String(); !strings.Contains(log, "get the mail group") || !strings.Contains(log, "group=mail") {
		t.Errorf("the daemon did not say which mail group it gives:\n%s", log)
	}
	for _, line := range strings.Split(ld.stderr.String(), "\n") {
		if strings.Contains(line, "mbox:") && (strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR")) {
			t.Errorf("mailgate logged: %s", line)
		}
	}
}

// TestSpoolWithoutMailGroup: with mail-group = "none" the delivery
// process cannot create the dot lock in the spool: the delivery is
// refused with 4xx (the MTA keeps the message) and the mailbox is left
// as it is, and the log says what to do; so is the first delivery to a
// user without a mailbox.
func TestSpoolWithoutMailGroup(t *testing.T) {
	u, fresh := newSystemUser(t), newSystemUser(t)
	ld, spool, gid := spoolDaemon(t, "mail-group = \"none\"\n")
	box := spoolMailbox(t, spool, u, gid)
	rcpt, first := u.name+"@example.org", fresh.name+"@example.org"
	res := deliver(t, ld.lmtpClient(t), []string{rcpt, first}, "Subject: refused\r\n\r\nHello.\r\n")
	for _, r := range []string{rcpt, first} {
		if !strings.HasPrefix(res.Data[r], "4") {
			t.Errorf("delivery to %s without the mail group: %q; want 4xx", r, res.Data[r])
		}
	}
	if fi, err := os.Stat(box); err != nil || fi.Size() != 0 {
		t.Errorf("the mailbox: %v, %v; want it untouched", fi, err)
	}
	if _, err := os.Lstat(filepath.Join(spool, fresh.name)); err == nil {
		t.Errorf("a mailbox was made for %s", fresh.name)
	}
	// The user's own session reads the mailbox, and is refused an
	// APPEND.
	c := greeted(t, ld.addr)
	c.login(u.name, u.password)
	if l := c.cmd("b", "SELECT INBOX"); !strings.HasPrefix(l[len(l)-1], "b OK") {
		t.Errorf("SELECT INBOX without the mail group: %q", l)
	}
	msg := "Subject: append\r\n\r\nHello.\r\n"
	if l := c.cmd("c", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(msg), msg)); !strings.HasPrefix(l[len(l)-1], "c NO [NOPERM]") {
		t.Errorf("APPEND without the mail group: %q; want NO [NOPERM]", l)
	}
	c.cmd("z", "LOGOUT")
	if fi, err := os.Stat(box); err != nil || fi.Size() != 0 {
		t.Errorf("the mailbox after APPEND: %v, %v; want it untouched", fi, err)
	}
	if log := ld.stderr.String(); !strings.Contains(log, "mail-group") {
		t.Errorf("the log does not say what to do:\n%s", log)
	}
	if log := ld.stderr.String(); !strings.Contains(log, "cannot create mailbox files here") {
		t.Errorf("the log does not say why %s's first delivery was deferred:\n%s", fresh.name, log)
	}
}
