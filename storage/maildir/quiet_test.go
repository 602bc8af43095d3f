package maildir

import (
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSetFlagsBatchQuietExpectsNothing: a quiet batch (nobody watches)
// leaves no expected notification behind, which would hide another
// program's change to the same name, while SetFlagsBatch expects one per
// name it renames from and to.
func TestSetFlagsBatchQuietExpectsNothing(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for range 3 {
		if _, err := f.Append(strings.NewReader("Subject: x\r\n\r\nbody\r\n"), []string{storage.FlagSeen}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	s := mustScan(t, f)
	expected := func() int {
		ownChanges.Lock()
		defer ownChanges.Unlock()
		n := 0
		for p := range ownChanges.expect {
			if strings.HasPrefix(p, path) {
				n++
			}
		}
		return n
	}
	ownChanges.Lock()
	clear(ownChanges.expect)
	ownChanges.Unlock()
	set := func(flags []string, quiet bool) {
		changes := map[uint32][]string{}
		for _, m := range s.Messages {
			changes[m.UID] = flags
		}
		var err error
		if quiet {
			err = f.SetFlagsBatchQuiet(changes)
		} else {
			err = f.SetFlagsBatch(changes)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	set([]string{storage.FlagFlagged}, true)
	if n := expected(); n != 0 {
		t.Errorf("%d notifications expected after a quiet batch, want 0", n)
	}
	set(nil, false)
	if n := expected(); n != 6 {
		t.Errorf("%d notifications expected after a watched batch of 3, want 6", n)
	}
	for _, m := range mustScan(t, mustOpen(t, testDriver(), path)).Messages {
		if len(m.Flags) != 0 {
			t.Errorf("uid %d: flags %v, want none", m.UID, m.Flags)
		}
	}
}
