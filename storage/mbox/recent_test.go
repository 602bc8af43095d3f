//go:build unix

package mbox

import (
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestClaimSeenOnce: two processes (two Folders) that both read the same
// new messages (no Status O yet) both take them out of New; only the one
// that claimed them first in .NAME.mgrecent shows them \Recent, whether
// or not the other has written its Status O yet (imaptest's stress mode
// saw a message \Recent in two session processes of a system user).
// Claims under another UIDVALIDITY count for nothing; a mailbox renamed
// takes its claims along, and one deleted leaves none behind.
func TestClaimSeenOnce(t *testing.T) {
	msg := func(n string) string {
		return "From a@example.org Mon Dec  7 10:00:00 2026\nSubject: " + n + "\n\nbody\n\n"
	}
	path := writeMbox(t, msg("one")+msg("two")+msg("three"))
	for _, flush := range []time.Duration{-1, time.Hour} {
		os.Remove(recentPath(path))
		d := testDriver(t, Options{FlushDelay: flush})
		a, b := mustOpen(t, d, path), mustOpen(t, d, path)
		sa, sb := mustScan(t, a), mustScan(t, b)
		uids := uidsOf(sa)
		if len(uids) != 3 || !slices.Equal(uids, uidsOf(sb)) {
			t.Fatalf("scans: %v, %v", uids, uidsOf(sb))
		}
		if flush < 0 {
			for _, m := range sb.Messages {
				if !m.New {
					t.Fatalf("message %d not new at first", m.UID)
				}
			}
		}
		if claimed, err := a.ClaimSeen(uids[:2]); err != nil || !slices.Equal(claimed, uids[:2]) {
			t.Fatalf("flush %v: first claim: %v, %v", flush, claimed, err)
		}
		if claimed, err := b.ClaimSeen(uids); err != nil || !slices.Equal(claimed, uids[2:]) {
			t.Fatalf("flush %v: second claim: %v, %v; want %v", flush, claimed, err, uids[2:])
		}
		if claimed, err := a.ClaimSeen(uids[2:]); err != nil || len(claimed) != 0 {
			t.Fatalf("flush %v: a claiming after b: %v, %v; want none", flush, claimed, err)
		}
	}
	// Another UIDVALIDITY: the old claims do not hold.
	if got, err := claimRecent(recentPath(path), 7, []uint32{1, 2}, 0o600); err != nil || !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("claims under another UIDVALIDITY: %v, %v; want all", got, err)
	}
	d := testDriver(t, Options{})
	to := path + "-renamed"
	if err := d.Rename(path, to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(recentPath(to)); err != nil {
		t.Errorf("the claims did not follow the rename: %v", err)
	}
	if err := d.Delete(to); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(recentPath(to)); err == nil {
		t.Errorf("the claims outlived the mailbox")
	}
}

// TestClaimRecentRefusesLinks: the claims file is never followed through
// a link nor opened when it is a FIFO (which would wait for ever).
func TestClaimRecentRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	victim := dir + "/victim"
	os.WriteFile(victim, []byte("precious"), 0o600)
	link := dir + "/.INBOX.mgrecent"
	os.Symlink(victim, link)
	if _, err := claimRecent(link, 1, []uint32{1}, 0o600); err == nil {
		t.Error("claimRecent followed a symbolic link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("written through the link: %q", b)
	}
	fifo := dir + "/.OTHER.mgrecent"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	if _, err := claimRecent(fifo, 1, []uint32{1}, 0o600); err == nil {
		t.Error("claimRecent took a FIFO")
	}
}

// TestClaimRecentDoesNotWaitForEver: a claims file whose lock another
// holder keeps (a stopped process) costs a session at most a moment: it
// gives up and the caller takes the messages itself.
func TestClaimRecentDoesNotWaitForEver(t *testing.T) {
	name := t.TempDir() + "/.INBOX.mgrecent"
	held, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := claimRecent(name, 1, []uint32{1}, 0o600)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("claimed while another holder had the lock")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("claimRecent waited for the holder")
	}
}
