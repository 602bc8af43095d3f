package mh

import (
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestClaimSeenOnce: two processes (two Folders) that both read the same
// new messages both try to take them out of New; only the one that raised
// recent-from in .mu-prop first claims them, so only its session shows
// them \Recent (imaptest's stress mode saw one message \Recent in two
// session processes of a system user before).
func TestClaimSeenOnce(t *testing.T) {
	path := mkFolder(t, map[string]string{
		"1": "Subject: one\n\nbody\n",
		"2": "Subject: two\n\nbody\n",
		"3": "Subject: three\n\nbody\n",
	})
	d := testDriver()
	a, b := mustOpen(t, d, path), mustOpen(t, d, path)
	sa, sb := mustScan(t, a), mustScan(t, b)
	for _, s := range []storage.Snapshot{sa, sb} {
		for _, m := range s.Messages {
			if !m.New {
				t.Fatalf("message %d is not new after the first scan: %+v", m.UID, s.Messages)
			}
		}
	}
	if claimed, err := a.ClaimSeen([]uint32{1, 2}); err != nil || !slices.Equal(claimed, []uint32{1, 2}) {
		t.Fatalf("first claim: %v, %v", claimed, err)
	}
	// b still takes 1..3 as new: 1 and 2 are a's, 3 is b's.
	if claimed, err := b.ClaimSeen([]uint32{1, 2, 3}); err != nil || !slices.Equal(claimed, []uint32{3}) {
		t.Fatalf("second claim: %v, %v; want [3]", claimed, err)
	}
	if claimed, err := a.ClaimSeen([]uint32{3}); err != nil || len(claimed) != 0 {
		t.Fatalf("a claiming 3 after b: %v, %v; want none", claimed, err)
	}
	for _, m := range mustScan(t, mustOpen(t, d, path)).Messages {
		if m.New {
			t.Errorf("message %d still new after both claims", m.UID)
		}
	}
}
