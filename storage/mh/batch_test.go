package mh

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SetFlagsBatch changes many messages with one rewrite of .mh_sequences
// and gives the same result as SetFlags one by one.
func TestSetFlagsBatch(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	for i := 0; i < 20; i++ {
		if _, err := f.Append(strings.NewReader("Subject: x\n\nbody\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	changes := map[uint32][]string{}
	for uid := uint32(1); uid <= 20; uid++ {
		if uid%2 == 0 {
			changes[uid] = []string{`\Flagged`, `\Seen`}
		} else {
			changes[uid] = []string{`\Seen`}
		}
	}
	changes[999] = []string{`\Seen`} // gone: skipped
	if err := f.SetFlagsBatch(changes); err != nil {
		t.Fatal(err)
	}
	snap := mustScan(t, mustOpen(t, d, path))
	for _, m := range snap.Messages {
		want := strings.Join(changes[m.UID], " ")
		if got := strings.Join(m.Flags, " "); got != want {
			t.Errorf("uid %d: flags %q, want %q", m.UID, got, want)
		}
	}
	seq, _ := os.ReadFile(filepath.Join(path, ".mh_sequences"))
	if !strings.Contains(string(seq), "flagged: 2 4 6") && !strings.Contains(string(seq), "flagged: 2 4") {
		t.Errorf(".mh_sequences: %q", seq)
	}
}
