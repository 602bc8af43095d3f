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
		told := c.ok(`s2 STORE 2 +FLAGS.SILENT (\Flagged)`)
		// Told in the STORE's answer or at a later command: NOOPs until
		// the re-read after the STORE has had every chance, on a loaded
		// machine too.
		for deadline := time.Now().Add(5 * time.Second); ; {
			for _, l := range told {
				if strings.HasPrefix(l, "* 2 FETCH") && strings.Contains(l, `\Seen`) {
					return
				}
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
			told = append(told, c.ok(`n NOOP`)...)
		}
		u := c.ok(`f FETCH 2 FLAGS`)
		t.Errorf("the session was never told of another program's \\Seen on message 2 (told %q); its flags now: %q", told, u)
	})
}
