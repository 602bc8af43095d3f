package imap_test

// Tests of caa259a (opens refuse a gone mailbox), at the IMAP level.

import (
	"testing"
	"time"
)

// TestGoneSelectedFetchNotRun: session A has box selected; session B
// RENAMEs it and CREATEs a new box with another message. A's FETCH of
// the old message's body must neither hang nor return the new box's
// message: it is not run, and A hears BYE (gone.go), as with Dovecot.
func TestGoneSelectedFetchNotRun(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	a.ok("c CREATE box")
	a.appendMsg("box", "", testMessage("mine", "x"))
	a.ok("s SELECT box")
	a.ok("f0 FETCH 1 BODY.PEEK[]")
	b.ok("r RENAME box other")
	b.ok("c CREATE box")
	b.appendMsg("box", "", testMessage("theirs", "y"))
	a.send("f1 FETCH 1 (BODY.PEEK[] ENVELOPE)")
	before, bye := a.readBye(10 * time.Second)
	if len(before) > 0 || bye != "* BYE Selected mailbox was renamed, have to disconnect." {
		t.Errorf("FETCH on the gone view: %q then %q", before, bye)
	}
}
