//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// batcherEnv makes the test binary a helper that commits batches of
// batchSize large messages (numberedMessage) to the mbox it names until
// it is killed, as MULTIAPPEND does (Stage each, then CommitBatch),
// printing "ack B" once batch B (messages B*batchSize on) is stored.
const batcherEnv = "MBOX_TEST_BATCHER"

const batchSize = 4

func batchForever(path string, first int) int {
	f, _, ok := helperFolder(path, time.Hour)
	if !ok {
		return 1
	}
	fmt.Println("ready")
	for b := first; ; b++ {
		var list []storage.Staged
		for k := range batchSize {
			st, err := f.Stage(strings.NewReader(numberedMessage(b*batchSize+k)), nil, testDate)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			list = append(list, st)
		}
		if _, err := f.CommitBatch(list); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ack", b)
	}
}

// TestKilledDuringBatch kills a process that commits batches of large
// messages at random instants: after a restart every batch it was
// answered for is there, whole, and every other batch is whole or
// absent, never a first part of it; in every other round another
// program appends a message after the kill, which survives.
func TestKilledDuringBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	path := writeMbox(t, "")
	rng := rand.New(rand.NewPCG(crashSeed(t), 9))
	next, intents, others, answered := 0, 0, 0, 0
	acked := map[int]bool{}
	for round := range 12 {
		cmd, _, stdout := startHelper(t, batcherEnv, path, fmt.Sprintf("%s=%d", appenderFirstEnv, next))
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() || sc.Text() != "ready" {
			t.Fatalf("round %d: helper says %q", round, sc.Text())
		}
		lines := make(chan string, 1<<10)
		go func() {
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Once it has stored a batch, kill it within the next one.
		first, ok := <-lines
		if !ok {
			t.Fatalf("round %d: the helper stopped", round)
		}
		time.Sleep(time.Duration(rng.IntN(150_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for line := range func(yield func(string) bool) {
			if !yield(first) {
				return
			}
			for l := range lines {
				if !yield(l) {
					return
				}
			}
		} {
			b, err := strconv.Atoi(strings.TrimPrefix(line, "ack "))
			if err != nil {
				t.Fatalf("round %d: helper says %q", round, line)
			}
			acked[b] = true
			answered++
			next = b + 1
		}
		next++ // the batch under way, whole or not, is not numbered again
		if _, ok := readIntent(path, false); ok {
			intents++
		}
		if round%2 == 1 {
			others++
			raw, _ := otherMessage(others)
			sep := ""
			if content := readFile(t, path); content != "" && !strings.HasSuffix(content, "\n") {
				sep = "\n"
			}
			appendFile(t, path, sep+raw)
		}

		g := &Folder{d: testDriver(t, Options{}), path: path, perm: 0o600, pending: make(map[uint32]want)}
		s := mustScan(t, g)
		count := map[int]int{}
		otherFound := 0
		for _, m := range s.Messages {
			view := readAll(t, g, m.UID)
			subject, _, _ := strings.Cut(view, "\n")
			if strings.HasPrefix(subject, "Subject: other ") {
				otherFound++
				continue
			}
			i, err := strconv.Atoi(strings.TrimPrefix(subject, "Subject: big "))
			if err != nil || view != numberedMessage(i) {
				t.Fatalf("round %d: uid %d is no whole message: %.100q", round, m.UID, view)
			}
			count[i/batchSize]++
		}
		for b, n := range count {
			if n != batchSize {
				t.Fatalf("round %d: batch %d has %d of %d messages", round, b, n, batchSize)
			}
		}
		for b := range acked {
			if count[b] != batchSize {
				t.Fatalf("round %d: answered batch %d has %d messages", round, b, count[b])
			}
		}
		clear(acked) // expunged below
		if want := round % 2; otherFound != want {
			t.Fatalf("round %d: %d of the %d messages of another program are there", round, otherFound, want)
		}
		if _, ok := readIntent(path, false); ok {
			t.Fatalf("round %d: the intent is still there", round)
		}
		// Empty the mailbox, so that the next helper starts fast.
		if len(s.Messages) > 0 {
			if err := g.Expunge(uidsOf(s)); err != nil {
				t.Fatal(err)
			}
		}
		g.Close()
	}
	t.Logf("%d batches answered; %d of 12 kills left a batch under way", answered, intents)
}
