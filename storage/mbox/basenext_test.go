//go:build unix

package mbox

import (
	"strings"
	"testing"
)

// TestNoXUIDGetsBaseUIDNext: a message without X-UID after the file's
// last X-UID'd one gets a UID from X-IMAPbase's UIDNEXT on, never one
// between (given out before to messages expunged since); it got the
// last X-UID plus one (review s10b).
func TestNoXUIDGetsBaseUIDNext(t *testing.T) {
	content := strings.Replace(imap4dMbox, "                    5\n", "                    9\n", 1)
	if content == imap4dMbox {
		t.Fatal("no X-IMAPbase to edit")
	}
	content += "\nFrom postfix@example.org Mon Dec  7 10:00:00 2026\nSubject: Y\n\nbody\n"
	path := writeMbox(t, content)
	s := mustScan(t, mustOpen(t, testDriver(t, Options{}), path))
	y := s.Messages[len(s.Messages)-1]
	if y.UID < 9 {
		t.Errorf("the message without X-UID got UID %d below X-IMAPbase's UIDNEXT 9; UIDNEXT %d", y.UID, s.UIDNext)
	}
}
