package imap_test

import (
	"regexp"
	"strings"
	"testing"
)

var highestModSeqRE = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
var uidValidityRE = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)

// RFC 7162 section 3.2: a FETCH during which another session expunges a
// message and then changes another cannot tell of the expunge (RFC 3501
// section 7.4.1) but tells the change with its MODSEQ; its OK then says a
// HIGHESTMODSEQ below the expunge's, so that a client that goes away
// before it hears of the expunge is told of it at its next SELECT QRESYNC
// from there.
func TestQResyncDelayedExpungeLowersHighestModSeq(t *testing.T) {
	e := startServer(t, nil)
	a, b := e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	for range 3 {
		b.appendMsg("INBOX", "", testMessage("delayed", "x"))
	}
	a.ok("e ENABLE QRESYNC")
	sel := strings.Join(a.ok("s SELECT INBOX"), "\n")
	validity := uidValidityRE.FindStringSubmatch(sel)
	if validity == nil {
		t.Fatalf("SELECT: %q", sel)
	}
	b.ok("e ENABLE QRESYNC")
	b.ok("s SELECT INBOX")
	b.ok(`t1 STORE 1 +FLAGS.SILENT (\Deleted)`)
	b.ok("x EXPUNGE")
	b.ok(`t2 STORE 1 +FLAGS.SILENT (\Flagged)`)

	untagged, done := a.do("f FETCH 1:* (UID)")
	if !contains(untagged, `UID 2 FLAGS (\Flagged`) || contains(untagged, "VANISHED") {
		t.Fatalf("FETCH: %q", untagged)
	}
	m := highestModSeqRE.FindStringSubmatch(done)
	if m == nil || !strings.HasPrefix(done, "f OK") {
		t.Fatalf("FETCH told a change and kept an expunge back, but its OK has no HIGHESTMODSEQ: %q", done)
	}
	// The client goes away now, and comes back from that HIGHESTMODSEQ.
	c := e.raw()
	c.login("alice")
	c.ok("e ENABLE QRESYNC")
	again := c.ok("s SELECT INBOX (QRESYNC (" + validity[1] + " " + m[1] + "))")
	if !contains(again, "* VANISHED (EARLIER) 1") {
		t.Errorf("SELECT QRESYNC from the FETCH's HIGHESTMODSEQ %s does not tell of the expunge: %q", m[1], again)
	}
	// The expunge comes with the next command that may tell of it.
	if u, done := a.do("n NOOP"); !contains(u, "* VANISHED 1") || !strings.HasPrefix(done, "n OK") {
		t.Errorf("NOOP: %q %q", u, done)
	}
}
