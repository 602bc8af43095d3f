package imap_test

import "testing"

// STATUS SIZE (RFC 8438) is the sum of RFC822.SIZE; DELETED (RFC 9051
// section 6.3.11) counts \Deleted messages. Both follow STORE and EXPUNGE.
func TestStatusSizeAndDeleted(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " STATUS=SIZE") {
		t.Fatalf("capabilities %q", caps)
	}
	c.ok("c1 CREATE box")
	want := func(tag, line string) {
		t.Helper()
		if u := c.ok(tag + " STATUS box (MESSAGES SIZE DELETED)"); !contains(u, line) {
			t.Fatalf("got %q, want %q", u, line)
		}
	}
	want("s0", `* STATUS box (MESSAGES 0 SIZE 0 DELETED 0)`)
	m1, m2 := testMessage("one", "first"), testMessage("two", "second body")
	c.appendMsg("box", "", m1)
	c.appendMsg("box", `\Deleted`, m2)
	total := len(m1) + len(m2)
	want("s1", "* STATUS box (MESSAGES 2 SIZE "+strconvItoa(total)+" DELETED 1)")
	c.ok("c2 SELECT box")
	c.ok("c3 STORE 1 +FLAGS (\\Deleted)")
	want("s2", "* STATUS box (MESSAGES 2 SIZE "+strconvItoa(total)+" DELETED 2)")
	c.ok("c4 STORE 2 -FLAGS (\\Deleted)")
	c.ok("c5 EXPUNGE")
	want("s3", "* STATUS box (MESSAGES 1 SIZE "+strconvItoa(len(m2))+" DELETED 0)")
	if _, done := c.do("c6 STATUS box (SIZE BOGUS)"); done[:6] != "c6 BAD" {
		t.Fatalf("unknown item: %q", done)
	}
}
