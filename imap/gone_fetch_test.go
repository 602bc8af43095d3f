package imap_test

// Tests of caa259a (opens refuse a gone mailbox), at the IMAP level. It
// logs what a client sees; it fails only on a
// hang (the harness's read deadline), a BAD, or a body of another
// mailbox.

import (
	"strings"
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
	// The new box's message is untouched by A's STORE and EXPUNGE (on
	// maildir its unique file names protect it as well; the MH cases,
	// where a number would name it, are storage's
	// TestMHGoneViewSparesNewFolder*).
	u, done := b.do("s SELECT box")
	t.Logf("the new box: %q %q", u, done)
	if !contains(u, "* 1 EXISTS") {
		t.Errorf("the new box after the gone view's EXPUNGE: %q", u)
	}
	for _, l := range b.ok("f FETCH 1:* (FLAGS)") {
		if strings.Contains(l, `\Seen`) {
			t.Errorf("the gone view's STORE reached the new box: %q", l)
		}
	}
}
