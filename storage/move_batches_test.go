package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestMoveInBatches: a MOVE larger than a batch is committed batch by
// batch (so that neither mailbox stays locked for all of it), and moves
// everything, COPYUID listing all of it.
func TestMoveInBatches(t *testing.T) {
	commits := 0
	defer storage.SetCopyBatch(10, func() { commits++ })()
	a, _, _ := formatAccount(t, formatCase{name: "maildir"})
	fillMaildir(t, a, "A", 25)
	fillMaildir(t, a, "B", 0)
	v, err := a.Select("A", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, src, dst, err := a.Move(v, v.UIDs(), "B")
	if err != nil {
		t.Fatal(err)
	}
	if commits != 3 || len(src) != 25 || len(dst) != 25 {
		t.Errorf("%d commits, src %v, dst %v; want 3 commits of 25", commits, src, dst)
	}
	var r recorder
	v.Poll(true, &r)
	if n := len(v.UIDs()); n != 0 {
		t.Errorf("A holds %d messages after the MOVE", n)
	}
	if st, err := a.Status("B"); err != nil || st.Messages != 25 {
		t.Errorf("B: %+v, %v", st, err)
	}
}

// TestMoveFailsAfterABatch: when a later batch of a MOVE fails, the
// messages of the batches before it stay moved, as when the process is
// killed in the middle: Move returns the error with src and dst listing
// them, and the source's views hear of their expunge. The failed batch
// is moved back.
func TestMoveFailsAfterABatch(t *testing.T) {
	a, home, _ := formatAccount(t, formatCase{name: "maildir"})
	fillMaildir(t, a, "A", 25)
	fillMaildir(t, a, "B", 0)
	newDir := filepath.Join(home, "B", "new")
	commits := 0
	defer storage.SetCopyBatch(10, func() {
		if commits++; commits == 2 {
			// The batch cannot be renamed into B/new.
			if err := os.Rename(newDir, newDir+".x"); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(newDir, nil, 0o600); err != nil {
				t.Error(err)
			}
		}
	})()
	v, err := a.Select("A", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, src, dst, err := a.Move(v, v.UIDs(), "B")
	os.Remove(newDir)
	if rerr := os.Rename(newDir+".x", newDir); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("the MOVE succeeded")
	}
	t.Logf("MOVE: %v", err)
	if len(src) != 10 || len(dst) != 10 {
		t.Errorf("src %v, dst %v; want the first batch of 10", src, dst)
	}
	var r recorder
	v.Poll(true, &r)
	if n := len(v.UIDs()); n != 15 {
		t.Errorf("A holds %d messages, want 15", n)
	}
	if st, err := a.Status("B"); err != nil || st.Messages != 10 {
		t.Errorf("B: %+v, %v; want 10 messages", st, err)
	}
}
