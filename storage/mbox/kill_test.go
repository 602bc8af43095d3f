//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// rewriterEnv makes the test binary a helper that rewrites the mbox it
// names again and again, each time flagging or unflagging every message
// in one batch, until it is killed.
const rewriterEnv = "MBOX_TEST_REWRITER"

func rewriteForever(path string) int {
	f, s, ok := helperFolder(path, time.Hour)
	if !ok {
		return 1
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		changes := make(map[uint32][]string, len(s.Messages))
		for _, m := range s.Messages {
			if i%2 == 0 {
				changes[m.UID] = []string{storage.FlagFlagged}
			} else {
				changes[m.UID] = nil
			}
		}
		if err := f.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil {
			fmt.Println(err)
			return 1
		}
	}
}

// TestKilledDuringRewrite kills a process that rewrites the mailbox over
// and over at random instants: every time, the file holds every message,
// whole, and is either the old file or the new one (every message has
// the same flags, as each rewrite changed them all); the temporary file
// a kill leaves is ignored, and removed by the next rewrite.
func TestKilledDuringRewrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "From s@example.org Tue Nov  7 08:00:00 2023\nSubject: %d\nStatus: O\n\n%s\n", i,
			strings.Repeat(fmt.Sprintf("line of message %d\n", i), 1+i%50))
	}
	path := writeMbox(t, b.String())
	d := testDriver(t, Options{})
	orig := map[uint32]string{}
	{
		f := mustOpen(t, d, path)
		for _, m := range mustScan(t, f).Messages {
			orig[m.UID] = readAll(t, f, m.UID)
		}
		f.Close()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	leftovers := 0
	for round := range 25 {
		cmd, _, stdout := startHelper(t, rewriterEnv, path)
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if line != "ready\n" {
			t.Fatalf("helper: %q", line)
		}
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// The helper's locks died with it (its dot lock holds a dead pid).
		if m, _ := filepath.Glob(tempPrefix(path) + "*"); len(m) > 0 {
			leftovers++
		}
		os.Remove(indexPath(path))
		g := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		s, err := g.Scan()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(s.Messages) != len(orig) {
			t.Fatalf("round %d: %d messages; want %d", round, len(s.Messages), len(orig))
		}
		flagged := 0
		for _, m := range s.Messages {
			if got := readAll(t, g, m.UID); got != orig[m.UID] {
				t.Fatalf("round %d: uid %d is %q; want %q", round, m.UID, got, orig[m.UID])
			}
			if storage.HasFlag(m.Flags, storage.FlagFlagged) {
				flagged++
			}
		}
		if flagged != 0 && flagged != len(orig) {
			t.Fatalf("round %d: %d of %d messages flagged: a mix of two files", round, flagged, len(orig))
		}
		g.Close()
	}
	t.Logf("%d of 25 kills left a temporary file", leftovers)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: {storage.FlagSeen}})); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(tempPrefix(path) + "*"); len(m) > 0 {
		t.Errorf("temporary files left after a rewrite: %v (we are %d, %d rewrites)", m, os.Getpid(), f.rewrites)
	}
}
