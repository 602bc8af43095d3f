//go:build unix

package maildir

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// runMoveHelper moves every message between f and the maildir at other,
// back and forth, each way as one batch of renames (as a MOVE does), and
// prints "ok N" once move N is committed, for ever.
func runMoveHelper(f *Folder, other string) int {
	g, err := testDriver().Open(other, 0o600)
	if err == nil {
		_, err = g.Scan()
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	from, to := g.(*Folder), f
	for i := 0; ; i++ {
		snap, err := from.Scan()
		if err != nil {
			fmt.Println(err)
			return 1
		}
		var staged []storage.Staged
		for _, m := range snap.Messages {
			s, err := to.StageMove(from, m.UID, m.Flags)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			staged = append(staged, s)
		}
		if _, err := to.CommitBatch(staged); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ok", i)
		from, to = to, from
	}
}

// TestKilledDuringMove kills a process that moves a maildir's messages
// into another and back, by renames in batches, at random instants.
// After each kill, a new process finds every message in exactly one of
// the two maildirs, with its flags, never in both and never in neither,
// every UID of a maildir above those it had before, and nothing in
// tmp/.
func TestKilledDuringMove(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	const n = 40
	a, d := newMaildir(t)
	src := mustOpen(t, d, a)
	for i := range n {
		if _, err := src.Append(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), []string{storage.FlagSeen}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()
	b, _ := newMaildir(t)
	rng := rand.New(rand.NewPCG(14, 3))
	seen := map[string]map[uint32]bool{a: {}, b: {}} // UIDs each maildir was found with
	top := map[string]uint32{}                       // the highest of them
	moves, splits := 0, 0
	for round := range 10 {
		acks := killAfter(t, time.Duration(rng.IntN(250_000))*time.Microsecond, "move", b, a)
		moves += len(acks)
		where := map[string]string{}
		for _, dir := range []string{a, b} {
			g := mustOpen(t, testDriver(), dir)
			s := mustScan(t, g)
			for _, m := range s.Messages {
				subject, _ := parseKillMessage(t, readAll(t, g, m.UID))
				if w, ok := where[subject]; ok {
					t.Fatalf("round %d: message %s is in %s and in %s", round, subject, w, dir)
				}
				where[subject] = dir
				if !(len(m.Flags) == 1 && m.Flags[0] == storage.FlagSeen) {
					t.Errorf("round %d: message %d (%s) has flags %v", round, m.UID, subject, m.Flags)
				}
				if !seen[dir][m.UID] && m.UID <= top[dir] {
					t.Fatalf("round %d: message %s has UID %d in %s, not above the %d found there before", round, subject, m.UID, dir, top[dir])
				}
			}
			for _, m := range s.Messages {
				seen[dir][m.UID] = true
				top[dir] = max(top[dir], m.UID)
			}
			g.Close()
			if left := listDir(t, filepath.Join(dir, dirTmp)); len(left) > 0 {
				t.Fatalf("round %d: %s/tmp holds %v after a scan", round, dir, left)
			}
		}
		if len(where) != n {
			t.Fatalf("round %d: %d messages in the two maildirs, want %d", round, len(where), n)
		}
		in := 0
		for _, dir := range where {
			if dir == a {
				in++
			}
		}
		if in != 0 && in != n {
			splits++
		}
	}
	t.Logf("%d moves acknowledged in 10 rounds, %d kills in the middle of one", moves, splits)
}

// TestMoveFailureMovesBack: when a batch of moves cannot be committed (a
// source file cannot be renamed: its directory was replaced by a file),
// the files moved before the failure go back where they were, under
// their names, and the source still has them. (A source file that merely
// vanished is left out instead: TestMoveOneGoneMeanwhile.)
func TestMoveFailureMovesBack(t *testing.T) {
	a, d := newMaildir(t)
	src := mustOpen(t, d, a)
	defer src.Close()
	for i := range 3 {
		if _, err := src.Append(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), []string{storage.FlagSeen}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	snap := mustScan(t, src)
	if err := src.Seen([]uint32{snap.Messages[2].UID}); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, filepath.Join(a, "new"))
	b, _ := newMaildir(t)
	dst := mustOpen(t, d, b)
	defer dst.Close()
	mustScan(t, dst)
	var staged []storage.Staged
	for _, m := range snap.Messages {
		s, err := dst.StageMove(src, m.UID, m.Flags)
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, s)
	}
	cur := filepath.Join(a, "cur")
	if err := os.Rename(cur, cur+".x"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cur, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := dst.CommitBatch(staged)
	if rerr := os.Remove(cur); rerr != nil {
		t.Fatal(rerr)
	}
	if rerr := os.Rename(cur+".x", cur); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("the commit succeeded without one of its source files")
	}
	if got := listDir(t, filepath.Join(a, "new")); !slices.Equal(slices.Sorted(slices.Values(got)), before) {
		t.Errorf("the source's new/ holds %v, want %v", got, before)
	}
	if got := listDir(t, filepath.Join(b, "new")); len(got) != 0 {
		t.Errorf("the destination's new/ holds %v", got)
	}
	for _, m := range snap.Messages[:2] {
		if got := readAll(t, src, m.UID); !strings.HasPrefix(got, "Subject: ") {
			t.Errorf("message %d reads %q after the failed move", m.UID, got)
		}
	}
}
