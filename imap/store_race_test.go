package imap_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStoreKeepsOthersFlags: another program (mutt) marks message 2
// \Seen while the server still holds its old flags, and the client's
// pipelined STORE 2 +FLAGS (\Flagged) finds the file renamed. RFC 3501
// section 6.4.6: +FLAGS adds to the message's flags, so the file must
// keep the other program's \Seen, and the untagged FETCH must show the
// flags the message now has, both. Unwatched, the server trusts the
// mailbox as its own STORE 1 left it for a moment; watched, the
// other program's rename is read back only after changeDelay.
func TestStoreKeepsOthersFlags(t *testing.T) {
	raceOthersSeen(t, func(t *testing.T, c *rawConn, dir string) {
		renamed := renameMessage(t, dir, 2, "S")
		u := c.ok(`s2 STORE 2 +FLAGS (\Flagged)`)
		if want := `* 2 FETCH (FLAGS (\Flagged \Seen))`; !contains(u, want) {
			t.Errorf("STORE 2 +FLAGS (\\Flagged) answered %q, want %q", u, want)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "cur", filepath.Base(renamed[:strings.LastIndex(renamed, ":2,")])+":2,*"))
		if len(files) != 1 || !strings.HasSuffix(files[0], ":2,FS") {
			t.Errorf("message 2's files %q, want one ending in :2,FS", files)
		}
	})
}

// raceOthersSeen runs race, unwatched and watched, on a session that has
// INBOX selected and has just stored \Flagged on message 1: the server
// trusts the mailbox as that STORE left it for a moment (unwatched), or
// reads another program's change back only after changeDelay (watched).
func raceOthersSeen(t *testing.T, race func(t *testing.T, c *rawConn, dir string)) {
	for _, watched := range []bool{false, true} {
		name := "unwatched"
		if watched {
			name = "watched"
		}
		t.Run(name, func(t *testing.T) {
			e := startServer(t, nil)
			dir := quietInbox(t, e, 3)
			c := selectUnwatched(t, e, dir)
			if watched {
				c.idle("i")
				c.send("DONE")
				c.expect("i OK Completed")
				time.Sleep(100 * time.Millisecond)
			}
			c.ok(`s1 STORE 1 +FLAGS (\Flagged)`)
			race(t, c, dir)
		})
	}
}
