package imap_test

import (
	"strings"
	"testing"
)

// indexOf returns the index of the first line starting with prefix, or -1.
func indexOf(lines []string, prefix string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return i
		}
	}
	return -1
}

// TestKeywordsAnnounced: a keyword that comes into use is in FLAGS and
// PERMANENTFLAGS before the first FETCH or EXISTS that brings it, for
// every session with the mailbox selected, the one that stored it
// included (issue 8, item 22; RFC 3501 section 7.2.6).
func TestKeywordsAnnounced(t *testing.T) {
	e := startServer(t, nil)
	a, b, r := e.raw(), e.raw(), e.raw()
	for _, c := range []*rawConn{a, b, r} {
		c.login("alice")
	}
	for i := 0; i < 2; i++ {
		a.appendMsg("INBOX", "", testMessage("m"+strconvItoa(i), "x"))
	}
	a.ok("c CREATE other")
	a.appendMsg("other", "$copied", testMessage("other", "x"))
	a.ok("s SELECT INBOX")
	b.ok("s SELECT INBOX")
	r.ok("s EXAMINE INBOX")

	// announced checks that lines announce keyword, then carry want.
	announced := func(who string, lines []string, keyword, want string, readOnly bool) {
		t.Helper()
		flags, perm, use := indexOf(lines, "* FLAGS ("), indexOf(lines, "* OK [PERMANENTFLAGS ("), indexOf(lines, want)
		switch {
		case flags < 0 || !strings.Contains(lines[flags], " "+keyword):
			t.Errorf("%s: no FLAGS with %s: %q", who, keyword, lines)
		case perm != flags+1:
			t.Errorf("%s: PERMANENTFLAGS does not follow FLAGS: %q", who, lines)
		case readOnly != (lines[perm] == "* OK [PERMANENTFLAGS ()] Read-only mailbox"):
			t.Errorf("%s: PERMANENTFLAGS %q", who, lines[perm])
		case want != "" && (use < 0 || use < perm):
			t.Errorf("%s: %q before FLAGS or missing: %q", who, want, lines)
		}
	}
	tests := []struct {
		name, cmd, keyword, want string
		others                   bool // b and r hear of it at their next NOOP
	}{
		{"own STORE", "STORE 1 +FLAGS ($kw1)", "$kw1", "* 1 FETCH (FLAGS", true},
		{"silent STORE", "STORE 2 +FLAGS.SILENT ($kw2)", "$kw2", "", true},
		{"NIL is a keyword", "STORE 1 +FLAGS (NIL)", "NIL", "* 1 FETCH (FLAGS ($kw1 NIL", true},
		{"APPEND", "APPEND INBOX ($new) {3+}\r\nx\r\n", "$new", "* 3 EXISTS", true},
	}
	for _, tt := range tests {
		var lines []string
		if strings.HasPrefix(tt.cmd, "APPEND") {
			a.send("ap " + tt.cmd)
			for l := a.line(); !strings.HasPrefix(l, "ap "); l = a.line() {
				lines = append(lines, l)
			}
		} else {
			lines = a.ok("t " + tt.cmd)
		}
		announced(tt.name+", A", lines, tt.keyword, tt.want, false)
		if tt.others {
			want := tt.want
			if tt.want == "" {
				want = "* 2 FETCH (FLAGS ($kw2))"
			}
			announced(tt.name+", B", b.ok("n NOOP"), tt.keyword, want, false)
			announced(tt.name+", read-only", r.ok("n NOOP"), tt.keyword, want, true)
		}
	}
	// A FETCH of flags another session changed since the last poll.
	a.ok("t STORE 2 +FLAGS.SILENT ($kw3)")
	announced("FETCH before NOOP", b.ok("f FETCH 2 FLAGS"), "$kw3", "* 2 FETCH (FLAGS ($kw2 $kw3))", false)
	// COPY into a mailbox another session has selected.
	a.ok("s SELECT other")
	a.ok("c COPY 1 INBOX")
	announced("COPY", b.ok("n NOOP"), "$copied", "* 4 EXISTS", false)
	// Known keywords are not announced again.
	if u := b.ok("n NOOP"); len(u) != 0 {
		t.Errorf("a quiet NOOP answered %q", u)
	}
	if u := b.ok("f FETCH 1:* FLAGS"); indexOf(u, "* FLAGS") >= 0 {
		t.Errorf("FETCH announced known keywords again: %q", u)
	}
}

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
