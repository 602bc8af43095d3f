//go:build unix

package mbox

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSeenAloneDoesNotRewrite: a session that takes a new message out of
// \Recent (SELECT, or the EXISTS of a delivery while it IDLEs) calls
// ClaimSeen, which keeps the claim in .NAME.mgrecent and the Status O in
// memory only: the mbox is not written anew for it. (The soak review
// found a client idling on an 81 MB mbox making every LMTP delivery
// rewrite all 81 MB: about 60 GB written for 1,498 messages.)
func TestSeenAloneDoesNotRewrite(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: 20 * time.Millisecond})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	m, err := f.Append(strings.NewReader("Subject: delivered\r\n\r\nhi\r\n"), nil, testDate)
	if err != nil {
		t.Fatal(err)
	}
	before := inodeOf(t, path)
	if _, err := f.ClaimSeen([]uint32{m.UID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // many flush delays
	if inodeOf(t, path) != before {
		t.Errorf("the mbox was written anew only to mark one new message Status: O")
	}
}

// TestRewritesPerDelivery measures what a session idling on an mbox
// costs each delivery: another process (a Folder of its own, as LMTP's)
// appends, the session scans and claims the new message. Each flush
// setting must leave the file's inode as it was: no rewrite per
// delivery. (Before the O was lazy: one rewrite per delivery.)
func TestRewritesPerDelivery(t *testing.T) {
	const deliveries = 5
	for _, flush := range []time.Duration{-1, 20 * time.Millisecond} {
		path := writeMbox(t, imap4dMbox)
		session := mustOpen(t, testDriver(t, Options{FlushDelay: flush}), path)
		mustScan(t, session)
		lmtp := testDriver(t, Options{})
		inodes := map[uint64]bool{inodeOf(t, path): true}
		for i := range deliveries {
			g := mustOpen(t, lmtp, path)
			if _, err := g.Append(strings.NewReader("Subject: delivery\r\n\r\nhi\r\n"), nil, testDate); err != nil {
				t.Fatal(err)
			}
			g.Close()
			s := mustScan(t, session)
			last := s.Messages[len(s.Messages)-1]
			if !last.New {
				t.Fatalf("flush %v, delivery %d: not New to the session", flush, i)
			}
			if claimed, err := session.ClaimSeen([]uint32{last.UID}); err != nil || len(claimed) != 1 {
				t.Fatalf("flush %v, delivery %d: claimed %v, %v", flush, i, claimed, err)
			}
			time.Sleep(3 * flushFloor)
			inodes[inodeOf(t, path)] = true
		}
		if n := len(inodes) - 1; n != 0 || session.rewrites != 0 {
			t.Errorf("flush %v: %d deliveries to a mailbox a session idles on made %d rewrites (%d new inodes); want 0",
				flush, deliveries, session.rewrites, n)
		}
		t.Logf("flush %v: %d deliveries, %d rewrites", flush, deliveries, session.rewrites)
	}
}

// TestLazyOldReachesTheFile: the Status O that Seen keeps in memory is
// written with the next rewrite that happens anyway (a STORE here), and
// at Close when nothing else rewrote the file; until then other programs
// (mutt) see the message as New, and this Folder does not.
func TestLazyOldReachesTheFile(t *testing.T) {
	two := "From a@example.org Mon Dec  7 10:00:00 2026\nSubject: one\n\nbody\n\n" +
		"From a@example.org Mon Dec  7 10:00:00 2026\nSubject: two\n\nbody\n"
	for _, how := range []string{"store", "expunge", "close"} {
		t.Run(how, func(t *testing.T) {
			path := writeMbox(t, two)
			f := mustOpen(t, testDriver(t, Options{FlushDelay: time.Hour}), path)
			s := mustScan(t, f)
			uids := uidsOf(s)
			if err := f.Seen(uids); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(readFile(t, path), "Status: O") {
				t.Fatalf("Status O written at once")
			}
			for _, m := range mustScan(t, f).Messages {
				if m.New {
					t.Errorf("UID %d New after Seen", m.UID)
				}
			}
			switch how {
			case "store":
				err := f.SetFlagsBatch([]storage.FlagChange{{UID: uids[0], Flags: []string{storage.FlagFlagged}}})
				if err != nil {
					t.Fatal(err)
				}
			case "expunge":
				if err := f.Expunge(uids[:1]); err != nil {
					t.Fatal(err)
				}
			case "close":
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
			content := readFile(t, path)
			want := 2
			if how == "expunge" {
				want = 1
			}
			if n := strings.Count(content, "\nStatus: O"); n != want {
				t.Errorf("%d messages with Status O after the %s; want %d:\n%s", n, how, want, content)
			}
		})
	}
}

// TestClaimedNotNewElsewhere: while the O of a message that a session
// claimed is not written yet, another process that reads the mailbox
// (a STATUS, a SELECT in a session process of its own) does not count
// it New: the claims file says whose it is. A message delivered after
// the claim is New to it.
func TestClaimedNotNewElsewhere(t *testing.T) {
	path := writeMbox(t, imap4dMbox)
	d := testDriver(t, Options{FlushDelay: time.Hour})
	a := mustOpen(t, d, path)
	uids := uidsOf(mustScan(t, a))
	if claimed, err := a.ClaimSeen(uids); err != nil || len(claimed) == 0 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if strings.Contains(readFile(t, path), "Status: O") {
		t.Fatalf("Status O written at once")
	}
	if _, err := a.Append(strings.NewReader("Subject: later\r\n\r\nhi\r\n"), nil, testDate); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, testDriver(t, Options{FlushDelay: time.Hour}), path)
	s := mustScan(t, b)
	for _, m := range s.Messages {
		if want := m.UID > uids[len(uids)-1]; m.New != want {
			t.Errorf("UID %d New %v to another process; want %v", m.UID, m.New, want)
		}
	}
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
