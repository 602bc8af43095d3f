//go:build unix

package maildir

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// killStoreSets are the flags the storing helper gives every message in
// turn, one set per batch.
var killStoreSets = [][]string{
	{storage.FlagFlagged},
	{storage.FlagSeen},
	{storage.FlagAnswered, storage.FlagFlagged},
	nil,
	{storage.FlagDeleted, storage.FlagSeen},
}

// runStoreHelper gives every message of f the flags of killStoreSets in
// turn, each as one quiet batch (as a large STORE does), and prints "ok
// N" once batch N has returned, for ever.
func runStoreHelper(f *Folder) int {
	snap, err := f.Scan()
	if err != nil {
		fmt.Println(err)
		return 1
	}
	for i := 0; ; i++ {
		changes := make(map[uint32][]string, len(snap.Messages))
		for _, m := range snap.Messages {
			changes[m.UID] = killStoreSets[i%len(killStoreSets)]
		}
		if err := f.SetFlagsBatchQuiet(storage.FlagChangesOf(changes)); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ok", i)
	}
}

// TestKilledDuringLargeStore kills a process that changes the flags of
// every message of a maildir in large batches (SetFlagsBatchQuiet, the
// path of a large STORE) at random instants. After each kill, a new
// process finds every message, each with the flags of the last batch
// the helper acknowledged or of the one it was in, never others: an
// acknowledged flag change survives kill -9, and a cut batch loses no
// message.
func TestKilledDuringLargeStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	const n = 300
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	for i := range n {
		if _, err := f.Append(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	rng := rand.New(rand.NewPCG(14, 1))
	batches := 0
	for round := range 8 {
		acks := killAfter(t, time.Duration(20_000+rng.IntN(150_000))*time.Microsecond, "store", path)
		last := -1
		for _, a := range acks {
			if _, err := fmt.Sscanf(a, "ok %d", &last); err != nil {
				t.Fatalf("round %d: helper said %q", round, a)
			}
		}
		g := mustOpen(t, testDriver(), path)
		s := mustScan(t, g)
		if len(s.Messages) != n {
			t.Fatalf("round %d: %d messages after the kill, want %d", round, len(s.Messages), n)
		}
		batches += last + 1
		// Each round starts from no flags (see below), which is what a
		// helper that acknowledged nothing may have left.
		allowed := [][]string{nil, killStoreSets[0]}
		if last >= 0 {
			allowed = [][]string{killStoreSets[last%len(killStoreSets)], killStoreSets[(last+1)%len(killStoreSets)]}
		}
		for _, m := range s.Messages {
			ok := false
			for _, a := range allowed {
				ok = ok || slices.Equal(m.Flags, a)
			}
			if !ok {
				t.Fatalf("round %d: uid %d has flags %v after batch %d was acknowledged; want one of %v", round, m.UID, m.Flags, last, allowed)
			}
		}
		// The next helper starts over from batch 0: make the disk say so.
		changes := make(map[uint32][]string, n)
		for _, m := range s.Messages {
			changes[m.UID] = nil
		}
		if err := g.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil {
			t.Fatal(err)
		}
		g.Close()
	}
	t.Logf("%d batches of %d acknowledged in 8 rounds", batches, n)
}
