//go:build unix

package mbox

import (
	"strings"
	"testing"
	"time"
)

// TestClaimedElsewhereAfterFirstLook: a process that looked at the
// mailbox first (a STATUS poll, as Thunderbird makes on every folder)
// stops counting messages New once another process's session claimed
// them (its Status O reaches the file within a flush delay). A Status O
// kept lazily in memory broke this (review s10b).
func TestClaimedElsewhereAfterFirstLook(t *testing.T) {
	path := writeMbox(t, imap4dMbox)
	lmtp := mustOpen(t, testDriver(t, Options{}), path)
	if _, err := lmtp.Append(strings.NewReader("Subject: new\r\n\r\nhi\r\n"), nil, testDate); err != nil {
		t.Fatal(err)
	}
	lmtp.Close()

	poller := mustOpen(t, testDriver(t, Options{FlushDelay: 20 * time.Millisecond}), path)
	var newUIDs []uint32
	for _, m := range mustScan(t, poller).Messages {
		if m.New {
			newUIDs = append(newUIDs, m.UID)
		}
	}
	if len(newUIDs) == 0 {
		t.Fatal("nothing New to begin with")
	}

	session := mustOpen(t, testDriver(t, Options{FlushDelay: 20 * time.Millisecond}), path)
	mustScan(t, session)
	before := fileContent(t, path)
	if claimed, err := session.ClaimSeen(newUIDs); err != nil || len(claimed) != len(newUIDs) {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	waitRewritten(t, path, before)

	for _, m := range mustScan(t, poller).Messages {
		if m.New {
			t.Errorf("UID %d still New to another process after a session claimed it", m.UID)
		}
	}
}
