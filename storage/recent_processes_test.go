package storage_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestRecentInOneProcessOnly: two processes (a Store each) that both read
// a maildir message in new/ select the mailbox at once: the message is
// \Recent in exactly one of the two sessions (RFC 3501 section 2.3.2).
// imaptest's stress run against session processes found it \Recent in
// two: each had read it as New before the other moved it to cur/.
func TestRecentInOneProcessOnly(t *testing.T) {
	_, a, root := newAccount(t)
	_, b, _ := newAccountAt(t, root) // another process on the same files
	home := filepath.Join(root, "alice")
	if _, err := a.Status("INBOX"); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		// Another program delivers; both processes read the mailbox.
		name := fmt.Sprintf("17000000%02d.M%dP1.other", round, round)
		if err := os.WriteFile(filepath.Join(home, "INBOX", "new", name), []byte("Subject: new\n\nbody\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var st [2]storage.Status
		for i, acct := range []*storage.Account{a, b} {
			// A lingering mailbox hears of the file from its watch,
			// a moment later.
			deadline := time.Now().Add(5 * time.Second)
			for {
				var err error
				if st[i], err = acct.Status("INBOX"); err != nil {
					t.Fatal(err)
				}
				if st[i].Messages == uint32(round+1) || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		var views [2]*storage.View
		var wg sync.WaitGroup
		for i, acct := range []*storage.Account{a, b} {
			wg.Go(func() {
				v, err := acct.Select("INBOX", false)
				if err != nil {
					t.Error(err)
					return
				}
				views[i] = v
			})
		}
		wg.Wait()
		if views[0] == nil || views[1] == nil {
			t.FailNow()
		}
		uids := views[0].UIDs()
		if len(uids) != round+1 {
			t.Fatalf("round %d: %d messages", round, len(uids))
		}
		uid := uids[len(uids)-1]
		n := 0
		for _, v := range views {
			if v.Recent(uid) {
				n++
			}
			v.Close()
		}
		if n != 1 {
			t.Fatalf("round %d: UID %d is \\Recent in %d sessions, want 1 (status before: %d and %d recent)", round, uid, n, st[0].Recent, st[1].Recent)
		}
	}
}

// TestRecentNotTakenFromAnotherProcess: a session that has the mailbox
// selected, and hears of a new message only after another process's
// session has taken it out of new/ (that session's SELECT came first),
// does not show the message \Recent: it is the other session's. (The
// other process is played here by the rename it makes.)
func TestRecentNotTakenFromAnotherProcess(t *testing.T) {
	_, b, root := newAccount(t)
	home := filepath.Join(root, "alice")
	vb, err := b.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer vb.Close()
	name := "1700000099.M1P1.other"
	if err := os.WriteFile(filepath.Join(home, "INBOX", "new", name), []byte("Subject: new\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(home, "INBOX", "new", name), filepath.Join(home, "INBOX", "cur", name+":2,")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for vb.Count() == 0 && time.Now().Before(deadline) {
		vb.Poll(true, &recorder{})
		time.Sleep(time.Millisecond)
	}
	if vb.Count() != 1 {
		t.Fatalf("the session never heard of the message")
	}
	if uid := vb.UIDs()[0]; vb.Recent(uid) {
		t.Errorf("UID %d is \\Recent in this session, though another took it out of new/ first", uid)
	}
}
