package storage_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestUnchangedSinceRenameSameFlags: another program renames message 1's
// file without changing its flags (":2,FS" -> ":2,SF", or mutt's new/ ->
// cur/), just before a conditional STORE whose UNCHANGEDSINCE is the
// message's current modseq. Nothing the client can see changed: the STORE
// should succeed, not answer MODIFIED 1.
func TestUnchangedSinceRenameSameFlags(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	notified(t, v) // watched
	storage.Quiesce(t, v)
	uid := v.UIDs()[0]
	if _, err := v.Store([]uint32{uid}, storage.AddFlags, []string{storage.FlagFlagged, storage.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	pollOnce(v)
	f := findFile(t, dir, 1)
	if !strings.HasSuffix(f, ":2,FS") {
		t.Fatalf("message 1's file %q", f)
	}
	msgs := make([]storage.Message, 1)
	v.Lookup([]uint32{uid}, msgs)
	since := msgs[0].ModSeq
	if err := os.Rename(f, strings.TrimSuffix(f, "FS")+"SF"); err != nil {
		t.Fatal(err)
	}
	changed, modified, err := v.StoreUnchangedSince([]uint32{uid}, storage.AddFlags, []string{storage.FlagAnswered}, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(modified) != 0 || len(changed) != 1 {
		t.Errorf("flags unchanged by the other program's rename, yet changed %v modified %v", changed, modified)
	}
}
