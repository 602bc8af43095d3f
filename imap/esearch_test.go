package imap_test

import (
	"strings"
	"testing"
)

// TestESearch: SEARCH RETURN answers with ESEARCH (RFC 4731), and SAVE
// keeps a result for "$" (RFC 5182), in SEARCH, FETCH, STORE and COPY,
// as imaptest's esearch group and the RFCs' examples use them.
func TestESearch(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for i := range 7 {
		c.appendMsg("INBOX", "", testMessage("m"+strconvItoa(i+1), "body"))
	}
	c.ok("s SELECT INBOX")
	c.ok(`a STORE 4 +FLAGS \Deleted`)
	c.ok("b EXPUNGE") // UIDs 1 2 3 5 6 7 remain
	c.ok(`c STORE 2,4 +FLAGS \Seen`)
	tests := []struct{ cmd, want string }{
		{"t1 SEARCH RETURN (ALL) ALL", `* ESEARCH (TAG "t1") ALL 1:6`},
		{"t2 SEARCH RETURN () ALL", `* ESEARCH (TAG "t2") ALL 1:6`},
		{"t3 SEARCH RETURN (MIN MAX COUNT) ALL", `* ESEARCH (TAG "t3") MIN 1 MAX 6 COUNT 6`},
		{"t4 UID SEARCH RETURN (ALL) ALL", `* ESEARCH (TAG "t4") UID ALL 1:3,5:7`},
		{"t5 UID SEARCH RETURN (MIN MAX) SEEN", `* ESEARCH (TAG "t5") UID MIN 2 MAX 5`},
		{"t6 SEARCH RETURN (COUNT) 1000", `* ESEARCH (TAG "t6") COUNT 0`},
		{"t7 UID SEARCH RETURN (MIN) 1000", `* ESEARCH (TAG "t7") UID`},
		{"t8 search return (count) charset utf-8 unseen", `* ESEARCH (TAG "t8") COUNT 4`},
		{"t9 SEARCH SEEN", `* SEARCH 2 4`},
	}
	for _, tt := range tests {
		u := c.ok(tt.cmd)
		if len(u) != 1 || u[0] != tt.want {
			t.Errorf("%s: got %q, want %q", tt.cmd, u, tt.want)
		}
	}

	// SAVE alone answers nothing; "$" then stands for the result.
	if u := c.ok("s1 SEARCH RETURN (SAVE) SEEN"); len(u) != 0 {
		t.Errorf("SAVE alone: got %q", u)
	}
	if u := c.ok("s2 FETCH $ (UID)"); len(u) != 2 || u[0] != "* 2 FETCH (UID 2)" || u[1] != "* 4 FETCH (UID 5)" {
		t.Errorf("FETCH $: got %q", u)
	}
	if u := c.ok("s3 UID SEARCH UID $ 1:*"); len(u) != 1 || u[0] != "* SEARCH 2 5" {
		t.Errorf("UID SEARCH UID $: got %q", u)
	}
	if u := c.ok("s4 SEARCH NOT $"); len(u) != 1 || u[0] != "* SEARCH 1 3 5 6" {
		t.Errorf("SEARCH NOT $: got %q", u)
	}
	// SAVE with MIN keeps only the lowest; ALL as well saves everything.
	c.ok("s5 SEARCH RETURN (SAVE MIN) SEEN")
	if u := c.ok("s6 UID FETCH $ (FLAGS)"); len(u) != 1 || !strings.HasPrefix(u[0], "* 2 FETCH (UID 2 ") {
		t.Errorf("after SAVE MIN: got %q", u)
	}
	// RFC 5182 section 2.4: SAVE and "$" in one pipeline.
	c.send("p1 UID SEARCH RETURN (SAVE) UNSEEN")
	c.send(`p2 UID STORE $ +FLAGS (\Flagged)`)
	c.send("p3 UID COPY $ INBOX")
	for _, tag := range []string{"p1", "p2", "p3"} {
		for {
			l := c.line()
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("%s: %q", tag, l)
				}
				break
			}
		}
	}
	if u := c.ok(`f1 SEARCH RETURN (ALL) FLAGGED`); len(u) != 1 || u[0] != `* ESEARCH (TAG "f1") ALL 1,3,5:10` {
		t.Errorf("flagged: got %q", u)
	}
	// Expunged messages leave the saved result; a failed SAVE empties it.
	c.ok("e1 SEARCH RETURN (SAVE) 1:2")
	c.ok(`e2 STORE 1 +FLAGS \Deleted`)
	c.ok("e3 EXPUNGE")
	if u := c.ok("e4 FETCH $ (UID)"); len(u) != 1 || u[0] != "* 1 FETCH (UID 2)" {
		t.Errorf("after EXPUNGE: got %q", u)
	}
	if _, done := c.do("e5 SEARCH RETURN (SAVE) NOSUCHKEY"); !strings.HasPrefix(done, "e5 BAD") {
		t.Errorf("bad key: %q", done)
	}
	if u := c.ok("e6 FETCH $ (UID)"); len(u) != 0 {
		t.Errorf("after failed SAVE: got %q", u)
	}
	// Bad RETURN options are refused; "$" is empty in a new mailbox.
	for _, cmd := range []string{"x1 SEARCH RETURN (FOO) ALL", "x2 SEARCH RETURN ALL", "x3 SEARCH RETURN (MIN)"} {
		if _, done := c.do(cmd); !strings.Contains(done, " BAD ") {
			t.Errorf("%s: %q", cmd, done)
		}
	}
	c.ok("r1 SEARCH RETURN (SAVE) ALL")
	c.ok("r2 SELECT INBOX")
	if u := c.ok("r3 SEARCH $"); len(u) != 1 || u[0] != "* SEARCH" {
		t.Errorf("after SELECT: got %q", u)
	}
	if u := c.ok("r4 CAPABILITY"); !strings.Contains(u[0], " ESEARCH ") || !strings.Contains(u[0], " SEARCHRES") {
		t.Errorf("CAPABILITY: %q", u)
	}
}
