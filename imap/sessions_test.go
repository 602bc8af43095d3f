package imap_test

import (
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
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

// TestFetchExpungedByOther: a FETCH of messages another session expunged,
// before this session was told, answers what is still known (UID, flags,
// size, date) and placeholders for the content, and completes with OK
// [EXPUNGEISSUED], as Dovecot does (issue 8, item 23; RFC 2180 section
// 4.1). Dovecot 2.3.19 does not leave the FETCH response out:
// TestDovecotSessions (fetch-expunged-*) checks it against Dovecot itself,
// which answers "* 3 FETCH (BODY[] NIL)" and "OK [EXPUNGEISSUED]" too.
// RFC 3501 section 7.4.1 only forbids the EXPUNGE during the FETCH, and
// RFC 2180 sections 4.1.1 to 4.1.3 allow answering what is known.
func TestFetchExpungedByOther(t *testing.T) {
	for _, layout := range []struct {
		name string
		set  func(string, *storage.Layout)
	}{{"maildir", nil}, {"mbox", mboxInbox}} {
		t.Run(layout.name, func(t *testing.T) {
			e := startServerLayout(t, layout.set, nil)
			a, b := e.raw(), e.raw()
			a.login("alice")
			b.login("alice")
			for i := 0; i < 3; i++ {
				a.appendMsg("INBOX", `\Seen`, testMessage("m"+strconvItoa(i), "body"))
			}
			a.ok("s SELECT INBOX")
			b.ok("s SELECT INBOX")
			a.ok(`d STORE 2 +FLAGS.SILENT (\Deleted)`)
			a.ok("x EXPUNGE")
			tests := []struct{ cmd, want, done string }{
				{"FETCH 2 (UID FLAGS RFC822.SIZE)", `* 2 FETCH (UID 2 FLAGS (\Deleted \Seen) RFC822.SIZE `, "OK Completed"},
				{"FETCH 2 BODY[]", "* 2 FETCH (BODY[] NIL)", "OK [EXPUNGEISSUED]"},
				{"FETCH 2 (ENVELOPE BODYSTRUCTURE)", "* 2 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (", "OK [EXPUNGEISSUED]"},
				{"FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])", "* 2 FETCH (UID 2 BODY[HEADER.FIELDS (SUBJECT)] NIL)", "OK [EXPUNGEISSUED]"},
			}
			for _, tt := range tests {
				u, done := b.do("f " + tt.cmd)
				if indexOf(u, tt.want) < 0 || !strings.HasPrefix(done, "f "+tt.done) {
					t.Errorf("%s: %q, %q; want %q and %q", tt.cmd, u, done, tt.want, tt.done)
				}
				if strings.Contains(tt.cmd, "1:3") && (indexOf(u, "* 1 FETCH (UID 1 BODY[") < 0 || indexOf(u, "* 3 FETCH (UID 3 BODY[") < 0) {
					t.Errorf("%s: the messages still there are missing: %q", tt.cmd, u)
				}
			}
			if u := b.ok("n NOOP"); len(u) != 1 || u[0] != "* 2 EXPUNGE" {
				t.Errorf("NOOP after the FETCHes: %q", u)
			}
		})
	}
}

// twoInInbox starts a server with two sessions of alice, a and b, and
// three messages (subjects m0 to m2) in her INBOX, which a has selected.
func twoInInbox(t *testing.T) (a, b *rawConn) {
	t.Helper()
	e := startServer(t, nil)
	a, b = e.raw(), e.raw()
	a.login("alice")
	b.login("alice")
	for i := 0; i < 3; i++ {
		a.appendMsg("INBOX", "", testMessage("m"+strconvItoa(i), "body"))
	}
	a.ok("s SELECT INBOX")
	return a, b
}

// TestFetchExpungedCached: what a session derived of a message before
// another session expunged it (ENVELOPE, BODYSTRUCTURE) is still answered
// until every session has been told, as Dovecot answers from its cache;
// its content is not, and the FETCH says EXPUNGEISSUED then.
func TestFetchExpungedCached(t *testing.T) {
	a, b := twoInInbox(t)
	b.ok("s SELECT INBOX")
	before := b.ok("f FETCH 2 (ENVELOPE BODYSTRUCTURE)")
	a.ok(`d STORE 2 +FLAGS.SILENT (\Deleted)`)
	a.ok("x EXPUNGE")
	after, done := b.do("f FETCH 2 (ENVELOPE BODYSTRUCTURE)")
	if len(before) != 1 || len(after) != 1 || after[0] != before[0] || !strings.Contains(after[0], `"m1"`) || !strings.HasPrefix(done, "f OK") || strings.Contains(done, "EXPUNGEISSUED") {
		t.Errorf("cached items of an expunged message: %q, %q; before the expunge %q", after, done, before)
	}
	if u, done := b.do("f FETCH 2 (ENVELOPE BODY.PEEK[TEXT])"); len(u) != 1 || !strings.HasPrefix(u[0], `* 2 FETCH (ENVELOPE ("`) || !strings.HasSuffix(u[0], " BODY[TEXT] NIL)") || !strings.HasPrefix(done, "f OK [EXPUNGEISSUED]") {
		t.Errorf("content of an expunged message: %q, %q", u, done)
	}
	if u := b.ok("n NOOP"); len(u) != 1 || u[0] != "* 2 EXPUNGE" {
		t.Errorf("NOOP: %q", u)
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
