//go:build unix

package mh

import (
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestReviewS7SetFlagsAfterRenumber: a STORE that reaches the folder
// after sortm swapped messages 1 and 2, before the Folder's next scan,
// writes the flags into .mh_sequences under number 1, which is now the
// other message's: the next Scan moves that membership with the file to
// its fresh number, so the other message carries \Deleted (and the next
// EXPUNGE removes mail the user never deleted). SetFlags and
// SetFlagsBatch must check the file as Expunge does.
func TestReviewS7SetFlagsAfterRenumber(t *testing.T) {
	for _, batch := range []bool{false, true} {
		path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
		f := mustOpen(t, testDriver(), path)
		mustScan(t, f)
		swap(t, path) // sortm: number 1 is now msgLong's file
		flags := []string{storage.FlagDeleted}
		if batch {
			f.SetFlagsBatch([]storage.FlagChange{{UID: 1, Flags: flags}})
		} else {
			f.SetFlags(1, flags)
		}
		s := mustScan(t, f)
		for _, m := range s.Messages {
			if readAll(t, f, m.UID) == msgLong && slices.Contains(m.Flags, storage.FlagDeleted) {
				t.Errorf("batch %v: the message the client never touched (UID %d now) is \\Deleted", batch, m.UID)
			}
		}
	}
}
