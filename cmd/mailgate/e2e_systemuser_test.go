package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/fts"
)

// A system account, the kind imap4d serves, is a user for every way in
// that proves identity without a password, not only for LOGIN: a preauth
// program names it (imap4d's "preauth prog://"), and the local MTA
// delivers to it over LMTP. Before, both looked the name up in the users
// file alone and refused every system account. The delivered message must
// be the user's own, readable by the session that runs under the user's
// uid.
func TestSystemUserPreauthAndLMTP(t *testing.T) {
	u := newSystemUser(t)
	dir := socketDir(t)
	prog := filepath.Join(dir, "preauth.sh")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho "+u.name+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	top := fmt.Sprintf("preauth = %q\n[mailbox]\nquota-messages = 1\n", "prog://"+prog) + systemAuth
	ld := startLMTPDaemon(t, false, top, "")
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(ld.sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	c := ld.lmtpClient(t)
	rcpt := u.name + "@example.org"
	res := deliver(t, c, []string{rcpt}, "Subject: for a system account\r\n\r\nHello.\r\n")
	if res.Data[rcpt] != "250" {
		t.Fatalf("LMTP delivery to system account %s: %+v\n%s", u.name, res, ld.stderr.String())
	}
	// The delivery process's refusal reaches the MTA as the daemon's
	// own would: over quota is 452 4.2.2, so that the MTA tries again.
	res = deliver(t, c, []string{rcpt}, "Subject: one too many\r\n\r\nHello.\r\n")
	if res.Data[rcpt] != "452 4.2.2" {
		t.Errorf("delivery over quota: %+v; want 452 4.2.2", res)
	}

	s := dialIMAP(t, ld.addr)
	if l, err := s.line(5 * time.Second); err != nil || !strings.HasPrefix(l, "* PREAUTH ") {
		t.Fatalf("greeting %q, %v; want PREAUTH as %s\n%s", l, err, u.name, ld.stderr.String())
	}
	sel := s.cmd("a", "SELECT INBOX")
	if !strings.HasPrefix(sel[len(sel)-1], "a OK") || !contains(sel, "* 1 EXISTS") {
		t.Fatalf("SELECT INBOX: %q", sel)
	}
	f := s.cmd("b", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
	if !strings.HasPrefix(f[len(f)-1], "b OK") || !strings.Contains(strings.Join(f, "\n"), "Subject: for a system account") {
		t.Fatalf("FETCH of the delivered message: %q", f)
	}
	// The session process, which runs as the user, keeps the full-text
	// index beside the mailbox, and searches with it.
	index := ""
	for i := 0; i < 500 && index == ""; i++ {
		filepath.Walk(u.home, func(path string, info os.FileInfo, err error) error {
			if err == nil && info.Name() == ".mailgate-fts" {
				if n, err := fts.Peek(path); err == nil && n == 1 {
					index = path
				}
			}
			return nil
		})
		time.Sleep(20 * time.Millisecond)
	}
	if index == "" {
		t.Errorf("no full-text index of the mailbox beside it\n%s", ld.stderr.String())
	}
	if r := s.cmd("s", "SEARCH BODY hello"); !contains(r, "* SEARCH 1") {
		t.Errorf("SEARCH BODY hello: %q", r)
	}
	s.cmd("c", "LOGOUT")
	// startDaemon's readiness probe connected and hung up at once: its
	// preauthenticated session reached a session process after the
	// client had gone, which once crashed it.
	if strings.Contains(ld.stderr.String(), "panic") {
		t.Errorf("a session process panicked:\n%s", ld.stderr.String())
	}

	// The control socket's mailbox status and resync read and rewrite
	// the user's caches and indexes: as the user too.
	for _, verb := range []string{"status", "resync"} {
		r := runMailgate(t, 30*time.Second, "", "--config", ld.cfg.path, "mailbox", verb, u.name, "INBOX")
		if r.code != 0 || !regexp.MustCompile(`(?m)^INBOX +1 +`).MatchString(r.stdout) {
			t.Errorf("mailbox %s %s INBOX: exit %d, stdout %q, stderr %q", verb, u.name, r.code, r.stdout, r.stderr)
		}
	}

	// Every file the delivery, the session and the control socket made
	// under the user's home is the user's.
	filepath.Walk(u.home, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != u.uid {
			t.Errorf("%s is owned by uid %d, not by %s (%d)", path, st.Uid, u.name, u.uid)
		}
		return nil
	})
}

// contains reports whether lines holds line.
func contains(lines []string, line string) bool {
	for _, l := range lines {
		if l == line {
			return true
		}
	}
	return false
}

// A virtual user's first mail makes their home: it must be the
// virtual-user account's, whose session and delivery processes use it,
// not root's, though the root daemon makes it at RCPT.
func TestVirtualUserHomeMadeByLMTP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the virtual-user identity needs a root daemon")
	}
	ld := startLMTPDaemon(t, false, "virtual-user = \"nobody\"\n", "")
	ld.addUser(t, "vic", "")
	// nobody must reach the data directory, inside the test's private
	// temporary directories.
	for d := filepath.Dir(ld.cfg.dataDir); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o711)
	}
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(ld.sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	res := deliver(t, ld.lmtpClient(t), []string{"vic@example.org"}, "Subject: first\r\n\r\nHello.\r\n")
	if res.Data["vic@example.org"] != "250" {
		t.Fatalf("delivery: %+v\n%s", res, ld.stderr.String())
	}
	home := filepath.Join(ld.cfg.dataDir, "vic")
	filepath.Walk(home, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 65534 {
			t.Errorf("%s is owned by uid %d, not by nobody (65534)", path, st.Uid)
		}
		return nil
	})
}
