package imap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap"
)

// Issue 8, item 12: a storage error that is not one of the storage
// package's own reaches the client as a generic text with a response
// code, never with server paths; the log has it in full, with the
// session's number.
func TestStorageErrorsHidePaths(t *testing.T) {
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) { logs = capture(o) })
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", testMessage("first", "x"))
	tmp := filepath.Join(e.root, "alice", "INBOX", "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	msg := testMessage("second", "x")
	c.send("a APPEND INBOX {" + strconvItoa(len(msg)) + "+}\r\n" + msg)
	appendReply := c.tagged("a")
	_, createReply := c.do("b CREATE " + strings.Repeat("n", 300))
	// A name too long for the file system is refused before it reaches
	// the disk, with the limit as the reason.
	if want := "b NO [LIMIT] CREATE: invalid mailbox name: a hierarchy level is longer than"; !strings.HasPrefix(createReply, want) {
		t.Errorf("CREATE of a long name: %q, want %q...", createReply, want)
	}
	for _, tc := range []struct{ reply, code, logged string }{
		{appendReply, "a NO [SERVERBUG] ", "not a directory"},
	} {
		if !strings.HasPrefix(tc.reply, tc.code) || strings.Contains(tc.reply, "/") {
			t.Errorf("reply %q, want %q and no path", tc.reply, tc.code)
		}
		found := false
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, tc.logged) && strings.Contains(l, e.root) && strings.Contains(l, "conn=1 ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no log line with conn=1, the path and %q:\n%s", tc.logged, logs)
		}
	}
	// The storage core's own reasons, which name no path, are shown.
	if _, done := c.do("c CREATE a//b"); !strings.HasPrefix(done, "c NO [CANNOT] CREATE: invalid mailbox name: ") {
		t.Errorf("CREATE a//b: %q", done)
	}
}
