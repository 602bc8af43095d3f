//go:build unix

package storage_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestStoreAfterSortmSparesOthers: sortm renumbers an MH folder
// while a session has it selected; the client, which saw UID 1 as
// "one", marks it \Deleted and expunges. Open, COPY and EXPUNGE check the
// file under the number, but STORE (Folder.SetFlags) writes "deleted"
// into .mh_sequences for number 1, which is now the other message's: the
// re-read moves that membership with the file to its new UID (the client
// sees FETCH (FLAGS (\Deleted)) on a message it never touched), and the
// next EXPUNGE or CLOSE removes the message the user never deleted.
func TestStoreAfterSortmSparesOthers(t *testing.T) {
	const one = "Subject: one\r\n\r\nfirst\r\n"
	const two = "Subject: a longer one that sortm moved to number one\r\n\r\nsecond\r\n"
	for _, quick := range []bool{true, false} {
		a, home := newMHAccount(t, quick)
		box := filepath.Join(home, "MHBox")
		writeMH(t, box, map[string]string{"1": strings.ReplaceAll(one, "\r", ""), "2": strings.ReplaceAll(two, "\r", "")})
		v, err := a.Select("MHBox", false)
		if err != nil {
			t.Fatal(err)
		}
		v.Settle()
		sortmSwap(t, box)
		v.Store([]uint32{1}, storage.AddFlags, []string{storage.FlagDeleted}) // may fail: then the client retries
		v.Poll(true, &recorder{})
		// The client expunges whatever is \Deleted (its UID 1 is gone:
		// it asks for all, as EXPUNGE does).
		v.Expunge(nil, false) // NO [EXPUNGEISSUED]: number 1 holds another file
		v.Poll(true, &recorder{})
		// The client (or its CLOSE) expunges again.
		v.Expunge(nil, false)
		v.Poll(true, &recorder{})
		got := viewContents(t, v)
		v.Close()
		has := func(s string) bool {
			for _, g := range got {
				if g == s {
					return true
				}
			}
			return false
		}
		if !has(two) {
			t.Errorf("quick %v: the message nobody deleted is gone; left %q", quick, got)
		}
	}
}
