package imap_test

import (
	"strings"
	"testing"
)

// TestMailboxNamesWithWildcards: a mailbox named with % or * can be named
// unquoted, as offlineimap does and Dovecot allows, by every command that
// takes a mailbox name (issue 8, item 24); LIST patterns keep them as
// wildcards.
func TestMailboxNamesWithWildcards(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("m", "x"))
	for _, cmd := range []string{
		"CREATE pct%", "CREATE star*", "SELECT pct%", "EXAMINE star*", "STATUS pct% (MESSAGES)",
		"SUBSCRIBE pct%", "UNSUBSCRIBE pct%", "APPEND pct% {1+}\r\nx", "SELECT INBOX", "COPY 1 star*",
		"MOVE 1 pct%", "RENAME star* star2*", "DELETE star2*",
	} {
		c.ok("t " + cmd)
	}
	u := c.ok(`l LIST "" *`)
	if !contains(u, `"pct%"`) || contains(u, "star") {
		t.Errorf("LIST: %q", u)
	}
	if u := c.ok(`l LIST "" p%`); len(u) != 1 || !strings.Contains(u[0], `"pct%"`) {
		t.Errorf("LIST p%%: %q", u)
	}
	if _, done := c.do("t SELECT no%such*"); !strings.HasPrefix(done, "t NO") {
		t.Errorf("SELECT of a missing name: %q", done)
	}
}
