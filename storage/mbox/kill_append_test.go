//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// appenderEnv makes the test binary a helper that appends large messages
// to the mbox it names until it is killed, in turn from a spool (Stage
// and Commit, as APPEND) and straight (Append, as COPY): numberedMessage(i)
// for i from the number appenderFirstEnv gives on. Before each it prints
// "try i", and once it returned "ack i UID".
const (
	appenderEnv      = "MBOX_TEST_APPENDER"
	appenderFirstEnv = "MBOX_TEST_APPENDER_FIRST"
)

func appendForever(path string) int {
	f, _, ok := helperFolder(path, time.Hour)
	if !ok {
		return 1
	}
	var err error
	first, _ := strconv.Atoi(os.Getenv(appenderFirstEnv))
	fmt.Println("ready")
	for i := first; ; i++ {
		text := numberedMessage(i)
		fmt.Println("try", i)
		var m storage.Message
		if i%2 == 0 {
			var st storage.Staged
			if st, err = f.Stage(strings.NewReader(text), nil, testDate); err == nil {
				m, err = st.Commit()
			}
		} else {
			m, err = f.Append(strings.NewReader(text), []string{storage.FlagSeen}, testDate)
		}
		if err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ack", i, m.UID)
	}
}

// numberedMessage returns message number i, of 64 KB to 1 MB, with a
// line that mboxrd quotes.
func numberedMessage(i int) string {
	size := 64<<10 + (i*7919%16)*60<<10
	line := fmt.Sprintf("a line of message %d, long enough that the message is written in many pieces\n", i)
	half := strings.Repeat(line, size/len(line)/2)
	return fmt.Sprintf("Subject: big %d\n\n%sFrom the middle of message %d\n%s", i, half, i, half)
}

// TestKilledDuringAppend (issue 8 items 1 and 7) kills a process that
// appends large messages, from a spool and straight, at random instants:
// after a restart every APPEND it was answered for is there and whole,
// the one under way is whole or absent, and no part of a message is ever
// taken for a message. In every other round another program appends a
// message after the kill (as a deliverer that takes the lock once ours
// is gone would), at the start of a line, with or without an empty line
// before it: it survives whole, and only the torn APPEND's bytes go. The mailbox is
// emptied but for its first message after each round.
func TestKilledDuringAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	path := writeMbox(t, "")
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	next, acks, intents, others := 1, 0, 0, 0
	acked := map[int]uint32{}    // message number: UID
	otherViews := map[int]bool{} // other messages in the mailbox
	for round := range 30 {
		cmd, _, stdout := startHelper(t, appenderEnv, path, fmt.Sprintf("%s=%d", appenderFirstEnv, next))
		lines := make(chan string, 1<<12)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		if line := <-lines; line != "ready" {
			t.Fatalf("round %d: helper says %q", round, line)
		}
		inFlight := -1
		read := func(line string) {
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "try":
				inFlight, _ = strconv.Atoi(f[1])
				next = inFlight + 1
			case len(f) == 3 && f[0] == "ack":
				i, _ := strconv.Atoi(f[1])
				uid, _ := strconv.ParseUint(f[2], 10, 32)
				acked[i] = uint32(uid)
				inFlight = -1
				acks++
			default:
				t.Fatalf("round %d: helper says %q", round, line)
			}
		}
		// Let it work for a while; then kill it at once, or a moment
		// after it starts an APPEND.
		deadline := time.After(time.Duration(rng.IntN(200_000)) * time.Microsecond)
		for waiting := true; waiting; {
			select {
			case line := <-lines:
				read(line)
			case <-deadline:
				waiting = false
			}
		}
		if round%3 != 0 {
			for line := range lines {
				read(line)
				if strings.HasPrefix(line, "try ") {
					break
				}
			}
			time.Sleep(time.Duration(rng.IntN(8000)) * time.Microsecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for line := range lines {
			read(line)
		}
		if _, ok := readIntent(path, false); ok {
			intents++
		}
		if round%2 == 1 {
			// Another program delivers before mailgate looks again.
			others++
			// It starts a line (round%4 == 1), or adds an empty line
			// as well (round%4 == 3), where the file lacks them.
			raw, _ := otherMessage(others)
			content, sep := readFile(t, path), ""
			if !strings.HasSuffix(content, "\n") {
				sep = "\n"
			}
			if round%4 == 3 && !strings.HasSuffix(content+sep, "\n\n") && content != "" {
				sep += "\n"
			}
			appendFile(t, path, sep+raw)
			otherViews[others] = true
		}

		d := testDriver(t, Options{})
		g := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		s := mustScan(t, g)
		found := map[int]bool{} // message numbers, and others' as -k
		keys := make([]int, len(s.Messages))
		for n, m := range s.Messages {
			view := readAll(t, g, m.UID)
			subject, _, _ := strings.Cut(view, "\n")
			if k, err := strconv.Atoi(strings.TrimPrefix(subject, "Subject: other ")); err == nil && otherViews[k] {
				if _, want := otherMessage(k); view != want {
					t.Fatalf("round %d: another program's message %d is %q; want %q", round, k, view, want)
				}
				found[-k], keys[n] = true, -k
				continue
			}
			i, err := strconv.Atoi(strings.TrimPrefix(subject, "Subject: big "))
			if err != nil {
				t.Fatalf("round %d: uid %d is no message anyone wrote: %.200q", round, m.UID, view)
			}
			if view != numberedMessage(i) {
				t.Fatalf("round %d: uid %d, message %d, has %d bytes of %d", round, m.UID, i, len(view), len(numberedMessage(i)))
			}
			uid, ok := acked[i]
			switch {
			case ok && uid != m.UID:
				t.Fatalf("round %d: message %d has uid %d; its APPEND was answered %d", round, i, m.UID, uid)
			case !ok && i != inFlight:
				t.Fatalf("round %d: message %d (uid %d) is there; it was neither answered nor under way", round, i, m.UID)
			case !ok:
				acked[i] = m.UID // whole: it stays
			}
			found[i], keys[n] = true, i
		}
		for i := range acked {
			if !found[i] {
				t.Fatalf("round %d: message %d, answered uid %d, is gone", round, i, acked[i])
			}
		}
		for k := range otherViews {
			if !found[-k] {
				t.Fatalf("round %d: another program's message %d is gone", round, k)
			}
		}
		if _, ok := readIntent(path, false); ok {
			t.Fatalf("round %d: the intent is still there", round)
		}
		// Empty the mailbox but for its first message.
		if len(s.Messages) > 1 {
			if err := g.Expunge(uidsOf(s)[1:]); err != nil {
				t.Fatal(err)
			}
			for _, k := range keys[1:] {
				delete(acked, k)
				delete(otherViews, -k)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d APPENDs answered; %d of 30 kills left an APPEND under way; %d messages of others", acks, intents, others)
}
