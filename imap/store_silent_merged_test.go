package imap_test

import (
	"strings"
	"testing"
	"time"
)

// TestStoreSilentTellsOthersFlags: as TestStoreKeepsOthersFlags, with
// STORE ... +FLAGS.SILENT. The folder merges another program's \Seen
// (MergedFlags) and the core records \Flagged \Seen for message 2; the
// issuing session must be told, silent as its STORE is: RFC 3501 section
// 6.4.6, the server SHOULD send an untagged FETCH when a message's flags
// change from an external source. Else the client's cache keeps message 2
// unseen for good.
func TestStoreSilentTellsOthersFlags(t *testing.T) {
	raceOthersSeen(t, func(t *testing.T, c *rawConn, dir string) {
		renameMessage(t, dir, 2, "S")
		var told []string
		told = append(told, c.ok(`s2 STORE 2 +FLAGS.SILENT (\Flagged)`)...)
		time.Sleep(400 * time.Millisecond) // re-read done
		told = append(told, c.ok(`n1 NOOP`)...)
		told = append(told, c.ok(`n2 NOOP`)...)
		for _, l := range told {
			if strings.HasPrefix(l, "* 2 FETCH") && strings.Contains(l, `\Seen`) {
				return
			}
		}
		u := c.ok(`f FETCH 2 FLAGS`)
		t.Errorf("the session was never told of another program's \\Seen on message 2 (told %q); its flags now: %q", told, u)
	})
}
