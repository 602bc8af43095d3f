//go:build unix

package maildir

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestMoveOneGoneMeanwhile: one source message removed by another program
// between StageMove and CommitBatch is left out of the MOVE (a zero
// Message, its UID unused); the other four are moved.
func TestMoveOneGoneMeanwhile(t *testing.T) {
	a, d := newMaildir(t)
	src := mustOpen(t, d, a)
	for i := range 5 {
		if _, err := src.Append(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := newMaildir(t)
	dst := mustOpen(t, d, b)
	snap, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var staged []storage.Staged
	for _, m := range snap.Messages {
		s, err := dst.StageMove(src, m.UID, m.Flags)
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, s)
	}
	// Another program (or session process) removes message 3.
	sf := src
	sf.mu.Lock()
	p := sf.filePath(sf.find(snap.Messages[2].UID))
	sf.mu.Unlock()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	msgs, err := dst.CommitBatch(staged)
	t.Logf("committed %d, err %v", len(msgs), err)
	if err != nil {
		t.Fatalf("a MOVE of 5 failed because 1 was expunged meanwhile: %v", err)
	}
	if len(msgs) != 5 {
		t.Fatalf("got %d messages, want one per staged message", len(msgs))
	}
	for i, m := range msgs {
		if (m.UID == 0) != (i == 2) {
			t.Errorf("message %d: UID %d", i, m.UID)
		}
	}
	after, err := dst.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Messages) != 4 {
		t.Errorf("destination holds %d messages, want 4", len(after.Messages))
	}
	left, err := src.Scan()
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Messages) != 0 {
		t.Errorf("source still holds %d messages", len(left.Messages))
	}
}
