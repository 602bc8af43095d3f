//go:build unix

package mbox

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestInMemoryUIDNotReusedAfterMuttRewrite: a message that another
// program delivered (Postfix local: no X-UID) and a session numbered is
// deleted by mutt, and Postfix delivers another: no process, with the
// index lost or with an older one another process wrote, may give the new
// message the UID of the one that went, under the same UIDVALIDITY
// (review s10b; the file's UIDNEXT now bounds such messages, raiseTail).
func TestInMemoryUIDNotReusedAfterMuttRewrite(t *testing.T) {
	for _, how := range []string{"index lost", "older index of another process"} {
		t.Run(how, func(t *testing.T) {
			path := writeMbox(t, imap4dMbox)
			deliver := func(subject string) {
				t.Helper()
				fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				fh.WriteString("\nFrom postfix@example.org Mon Dec  7 10:00:00 2026\nSubject: " + subject + "\n\nbody " + subject + "\n")
			}
			// Another session process that looked before X came (a
			// STATUS; its Folder lingers) and closes later.
			other := mustOpen(t, testDriver(t, Options{}), path)
			mustScan(t, other)

			deliver("X")
			session := mustOpen(t, testDriver(t, Options{FlushDelay: 20 * time.Millisecond}), path)
			s := mustScan(t, session)
			x, validity := s.Messages[len(s.Messages)-1], s.UIDValidity
			before := fileContent(t, path)
			if _, err := session.ClaimSeen([]uint32{x.UID}); err != nil {
				t.Fatal(err)
			}
			waitRewritten(t, path, before)

			switch how {
			case "index lost":
				os.Remove(indexPath(path))
			case "older index of another process":
				other.indexStale = true // as after any scan that wrote none
				other.Close()
			}
			// mutt deletes X (a new file renamed over the mbox), Postfix
			// delivers Y.
			muttRewrite(t, path, func(s string) string {
				return s[:strings.Index(s, "\nFrom postfix@example.org")+1]
			})
			time.Sleep(20 * time.Millisecond)
			deliver("Y")

			s = mustScan(t, mustOpen(t, testDriver(t, Options{}), path))
			y := s.Messages[len(s.Messages)-1]
			if y.UID <= x.UID && s.UIDValidity == validity {
				t.Errorf("a new process gives Y UID %d; X had UID %d, under the same UIDVALIDITY %d", y.UID, x.UID, validity)
			}
		})
	}
}
