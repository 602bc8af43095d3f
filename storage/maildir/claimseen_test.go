package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestClaimSeenOnce: two processes (two Folders) that both read a message
// in new/ both try to take it out of New; only the one whose rename moved
// the file claims it, so only its session shows the message \Recent.
func TestClaimSeenOnce(t *testing.T) {
	path, d := newMaildir(t)
	msg := "Subject: new\n\nbody\n"
	if err := os.WriteFile(filepath.Join(path, "new", "1700000000.M1P1.other"), []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := mustOpen(t, d, path), mustOpen(t, d, path)
	sa, sb := mustScan(t, a), mustScan(t, b)
	if len(sa.Messages) != 1 || !sa.Messages[0].New || len(sb.Messages) != 1 || !sb.Messages[0].New {
		t.Fatalf("scans: %+v, %+v", sa.Messages, sb.Messages)
	}
	uid := sa.Messages[0].UID
	if claimed, err := a.ClaimSeen([]uint32{uid}); err != nil || !slices.Equal(claimed, []uint32{uid}) {
		t.Fatalf("first claim: %v, %v", claimed, err)
	}
	if claimed, err := b.ClaimSeen([]uint32{uid}); err != nil || len(claimed) != 0 {
		t.Fatalf("second claim, the file moved already: %v, %v; want none", claimed, err)
	}
	cur, _ := os.ReadDir(filepath.Join(path, "cur"))
	if len(cur) != 1 {
		t.Errorf("%d files in cur/", len(cur))
	}
}
