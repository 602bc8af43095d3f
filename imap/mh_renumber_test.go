//go:build unix

package imap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestMHRenumberFetch: nmh's sortm swaps messages 1 and 2 of an MH
// folder that a session has selected. The session's FETCH of their
// bodies answers with each message's own content or NIL and
// [EXPUNGEISSUED] (RFC 5530), never the other message's content; the
// next command brings EXPUNGE for both and EXISTS for the messages
// under their new UIDs, whose bodies are the two messages.
func TestMHRenumberFetch(t *testing.T) {
	c := selectSortedMH(t)
	u, done := c.do("f UID FETCH 1:2 (BODY.PEEK[])")
	t.Logf("FETCH after sortm: %q %q", u, done)
	uid := ""
	for _, l := range u { // a literal's lines follow its FETCH line
		if f := strings.Fields(l); len(f) > 4 && f[0] == "*" && f[3] == "(UID" {
			uid = f[4]
		}
		if uid == "1" && strings.Contains(l, "Subject: second") || uid == "2" && strings.Contains(l, "Subject: first") {
			t.Errorf("FETCH of UID %s after sortm answered with another message's content: %q", uid, u)
		}
	}
	// The mailbox is read again once it settled (a moment after the
	// SELECT), or at once when it had.
	var news []string
	for deadline := time.Now().Add(5 * time.Second); !contains(news, "* 2 EXISTS") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		news = append(news, c.ok("n NOOP")...)
	}
	t.Logf("NOOPs: %q", news)
	if !contains(news, "* 1 EXPUNGE") || !contains(news, "* 2 EXISTS") {
		t.Errorf("NOOPs after sortm: %q, want EXPUNGEs and * 2 EXISTS", news)
	}
	u = c.ok("g FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	got := strings.Join(u, "\n")
	if !strings.Contains(got, "Subject: first") || !strings.Contains(got, "Subject: second") || strings.Contains(got, "UID 1 ") || strings.Contains(got, "UID 2 ") {
		t.Errorf("messages after the re-read: %q", u)
	}
}

// TestMHRenumberStoreExpunge: nmh's sortm swaps messages 1 and 2 of an
// MH folder that a session has selected; the client, which knows
// sequence 1 as "first", marks it \Deleted and expunges. The flag must
// not land on "second", which number 1 now holds (.mh_sequences is by
// number): the STORE answers NO [EXPUNGEISSUED], and whatever the client
// expunges after it, "second", which nobody deleted, is still there.
func TestMHRenumberStoreExpunge(t *testing.T) {
	c := selectSortedMH(t)
	u, done := c.do(`d STORE 1 +FLAGS (\Deleted)`)
	t.Logf("STORE after sortm: %q %q", u, done)
	if strings.HasPrefix(done, "d OK") && !strings.Contains(done, "EXPUNGEISSUED") {
		t.Errorf("STORE of a renumbered message: %q, want NO [EXPUNGEISSUED]", done)
	}
	for _, cmd := range []string{"x EXPUNGE", "y EXPUNGE"} {
		u, done := c.do(cmd)
		t.Logf("%s: %q %q", cmd, u, done)
	}
	got := strings.Join(c.ok("g FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"), "\n")
	if !strings.Contains(got, "Subject: second") {
		t.Errorf("the message nobody deleted is gone: %q", got)
	}
	if !strings.Contains(got, "Subject: first") {
		t.Errorf("the message the client deleted went too (nothing was flagged): %q", got)
	}
	if strings.Contains(got, `\Deleted`) {
		t.Errorf("a message carries \\Deleted: %q", got)
	}
}

// selectSortedMH selects an MH folder of two messages, "first" and
// "second", and then swaps their files as nmh's sortm does (by renames),
// before the server reads the folder again.
func selectSortedMH(t *testing.T) *rawConn {
	t.Helper()
	e := startServerLayout(t, func(root string, l *storage.Layout) { l.DefaultType = "mh" }, nil)
	c := e.raw()
	c.login("alice")
	c.ok("c CREATE box")
	c.appendMsg("box", "", testMessage("first", "one"))
	c.appendMsg("box", "", testMessage("second, a longer subject than the first", "two"))
	c.ok("s SELECT box")
	box := filepath.Join(e.root, "alice", "box")
	for _, r := range [][2]string{{"1", "tmp"}, {"2", "1"}, {"tmp", "2"}} {
		if err := os.Rename(filepath.Join(box, r[0]), filepath.Join(box, r[1])); err != nil {
			t.Fatal(err)
		}
	}
	return c
}
