//go:build unix

package maildir

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// runCopyHelper copies every message of the maildir at from into f, by
// hard links committed as one batch (as a COPY does), and prints "ok N"
// once batch N is committed, for ever.
func runCopyHelper(f *Folder, from string) int {
	src, err := testDriver().Open(from, 0o600)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	snap, err := src.Scan()
	if err != nil {
		fmt.Println(err)
		return 1
	}
	for i := 0; ; i++ {
		var staged []storage.Staged
		for _, m := range snap.Messages {
			s, err := f.StageLink(src, m.UID, m.Flags)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			staged = append(staged, s)
		}
		if _, err := f.CommitBatch(staged); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ok", i)
	}
}

// TestKilledDuringCopy kills a process that copies a maildir's messages
// into another by hard links, in batches, at random instants. After
// each kill, a new process finds whole batches only: every source
// message copied as often as every other, as many times as batches were
// acknowledged or one more (the batch that was being committed), never
// a part of a batch, and nothing left in tmp/.
func TestKilledDuringCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	const n = 40
	from, d := newMaildir(t)
	src := mustOpen(t, d, from)
	for i := range n {
		if _, err := src.Append(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), []string{storage.FlagSeen}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()
	to, _ := newMaildir(t)
	rng := rand.New(rand.NewPCG(14, 2))
	copies := 0 // batches found after the last round
	for round := range 10 {
		acks := killAfter(t, time.Duration(rng.IntN(250_000))*time.Microsecond, "copy", to, from)
		last := -1
		for _, a := range acks {
			if _, err := fmt.Sscanf(a, "ok %d", &last); err != nil {
				t.Fatalf("round %d: helper said %q", round, a)
			}
		}
		g := mustOpen(t, testDriver(), to)
		s := mustScan(t, g)
		count := map[string]int{}
		for _, m := range s.Messages {
			subject, _ := parseKillMessage(t, readAll(t, g, m.UID))
			count[subject]++
			if !(len(m.Flags) == 1 && m.Flags[0] == storage.FlagSeen) {
				t.Errorf("round %d: copy %d (%s) has flags %v", round, m.UID, subject, m.Flags)
			}
		}
		g.Close()
		batches := len(s.Messages) / n
		if len(s.Messages)%n != 0 || batches < copies+last+1 || batches > copies+last+2 {
			t.Fatalf("round %d: %d copies after %d batches acknowledged (and %d before); want whole batches of %d", round, len(s.Messages), last+1, copies, n)
		}
		for subject, c := range count {
			if c != batches {
				t.Fatalf("round %d: message %s copied %d times, want %d", round, subject, c, batches)
			}
		}
		if left := listDir(t, filepath.Join(to, dirTmp)); len(left) > 0 {
			t.Fatalf("round %d: tmp/ holds %v after a scan", round, left)
		}
		copies = batches
	}
	t.Logf("%d batches of %d in 10 rounds", copies, n)
}
