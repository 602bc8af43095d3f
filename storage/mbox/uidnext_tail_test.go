//go:build unix

package mbox

import (
	"strings"
	"testing"
	"time"
)

// uwTail is a UW imapd file whose pseudo-message says UIDNEXT 50 (the
// UIDs 8..49 were given out and expunged), then a procmail delivery
// without X-UID.
const uwTail = `From MAILER-DAEMON Mon Nov  6 09:00:00 2023
Date: Mon, 6 Nov 2023 09:00:00 +0000
From: Mail System Internal Data <MAILER-DAEMON@host>
Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA
X-IMAP: 1700000000 0000000050
Status: RO

This text is part of the internal format of your mail folder.

From a@b Mon Nov  6 10:00:00 2023
Subject: x
X-UID: 7

body

From postfix@example.org Mon Dec  7 10:00:00 2026
Subject: Y

body
`

// TestUWTailGetsUIDNext: a message delivered after a UW file's last
// X-UID'd one is numbered from the pseudo-message's X-IMAP UIDNEXT, not
// after that X-UID (8, which UW gave out before; review s10c).
func TestUWTailGetsUIDNext(t *testing.T) {
	s := mustScan(t, mustOpen(t, testDriver(t, Options{}), writeMbox(t, uwTail)))
	y := s.Messages[len(s.Messages)-1]
	if y.UID < 50 {
		t.Errorf("the message without X-UID got UID %d below X-IMAP's UIDNEXT 50; UIDNEXT %d", y.UID, s.UIDNext)
	}
}

// TestTailNearTopNotReused: an X-IMAPbase UIDNEXT so high that the
// messages delivered after it find no UIDs above it: the file is
// numbered afresh (a new UIDVALIDITY), as when X-UIDs leave no UID,
// rather than the messages keeping UIDs below UIDNEXT, given out before
// (review s10c).
func TestTailNearTopNotReused(t *testing.T) {
	content := `From a@b Mon Nov  6 10:00:00 2023
X-IMAPbase: 1795729968 4294967294
Subject: x
X-UID: 1

body

From postfix@example.org Mon Dec  7 10:00:00 2026
Subject: Y

body

From postfix@example.org Mon Dec  7 10:00:01 2026
Subject: Z

body
`
	s := mustScan(t, mustOpen(t, testDriver(t, Options{}), writeMbox(t, content)))
	if s.UIDValidity != 1795729968 {
		return // renumbered: no UID of the old numbering is shown again
	}
	for _, m := range s.Messages[1:] {
		if m.UID < 4294967294 {
			t.Errorf("UID %d under UIDVALIDITY %d is below the file's UIDNEXT 4294967294 (given out before); UIDNEXT %d",
				m.UID, s.UIDValidity, s.UIDNext)
		}
	}
}

// TestUWRenumberedOnce: a UW file mailgate numbered afresh (its X-IMAP
// UIDNEXT left no UID for a delivered message) keeps the new numbering
// when another program writes the file anew before mailgate's rewrite:
// the old X-IMAP value is the numbering replaced, not an older one to
// number afresh again (review s10d).
func TestUWRenumberedOnce(t *testing.T) {
	content := strings.Replace(uwTail, "0000000050", "4294967294", 1)
	path := writeMbox(t, content)
	f := mustOpen(t, testDriver(t, Options{FlushDelay: time.Hour}), path)
	first := mustScan(t, f).UIDValidity
	if first == 1700000000 {
		t.Fatal("not numbered afresh")
	}
	muttRewrite(t, path, func(s string) string { return s })
	if again := mustScan(t, f).UIDValidity; again != first {
		t.Errorf("UIDVALIDITY %d after another program wrote the file anew, was %d: numbered afresh twice", again, first)
	}
}
