//go:build unix

package maildir

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// helperEnv makes the test binary a helper process that works on a
// maildir until it is killed: "append <path> <round>" appends messages
// for ever, each asking for the flags it names in its X-Flags field;
// "stage <path>" receives one message whose end never comes (it reads
// its standard input).
const helperEnv = "MAILDIR_TEST_HELPER"

func TestMain(m *testing.M) {
	if args := strings.Fields(os.Getenv(helperEnv)); len(args) > 0 {
		os.Exit(runHelper(args))
	}
	os.Exit(m.Run())
}

// killFlagSets are the flags the appending helper asks for in turn.
var killFlagSets = [][]string{
	nil,
	{storage.FlagSeen},
	{storage.FlagFlagged, "$Label1"},
	{storage.FlagAnswered, storage.FlagSeen, "Junk"},
	{storage.FlagDraft},
}

func runHelper(args []string) int {
	f, err := testDriver().Open(args[1], 0o600)
	if err == nil {
		_, err = f.Scan()
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("ready")
	switch args[0] {
	case "append":
		for i := 0; ; i++ {
			flags := killFlagSets[i%len(killFlagSets)]
			subject := args[2] + "." + fmt.Sprint(i)
			body := "Subject: " + subject + "\r\nX-Flags: " + strings.Join(flags, " ") + "\r\n\r\nbody\r\n"
			m, err := f.Append(strings.NewReader(body), flags, time.Time{})
			if err != nil {
				fmt.Println(err)
				return 1
			}
			fmt.Println("ok", m.UID, subject)
		}
	case "batch":
		return runBatchHelper(f.(*Folder), args[2])
	case "store":
		return runStoreHelper(f.(*Folder))
	case "copy":
		return runCopyHelper(f.(*Folder), args[2])
	case "move":
		return runMoveHelper(f.(*Folder), args[2])
	case "index":
		// Write the index again and again, as scans of a quiet maildir do.
		g := f.(*Folder)
		for {
			g.mu.Lock()
			g.indexed = dirStamp{}
			g.saveIndex()
			g.mu.Unlock()
		}
	case "stage":
		_, err := f.(*Folder).Stage(io.MultiReader(strings.NewReader("Subject: slow\r\n\r\n"), os.Stdin), nil, time.Time{})
		fmt.Println(err)
		return 1
	}
	return 2
}

// startHelper starts the helper process and returns once it is ready,
// with the lines it prints after that.
func startHelper(t *testing.T, args ...string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join(args, " "))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	if line, _ := out.ReadString('\n'); line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q", line)
	}
	return cmd, stdin, out
}

// killAfter starts the helper with args, kills it with SIGKILL after
// delay, and returns the lines it printed after "ready".
func killAfter(t *testing.T, delay time.Duration, args ...string) []string {
	t.Helper()
	cmd, _, out := startHelper(t, args...)
	var acks []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				return
			}
			acks = append(acks, strings.TrimSpace(line))
		}
	})
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	wg.Wait()
	return acks
}

// TestKilledDuringAppend kills a process that appends messages with and
// without flags at random instants, many times. After each kill, a new
// process finds every message it acknowledged, and every message present
// (acknowledged or not) has exactly the flags its APPEND asked for and a
// UID no other message ever had, whether the helper started from an
// index file or not; nothing is left in tmp/ (issue 8, items 7 and 7a on
// the maildir side).
func TestKilledDuringAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	path, _ := newMaildir(t)
	rng := rand.New(rand.NewPCG(8, 7))
	subjects := map[uint32]string{} // every UID ever seen
	for round := range 30 {
		acks := killAfter(t, time.Duration(rng.IntN(100_000))*time.Microsecond, "append", path, fmt.Sprint(round))

		g := mustOpen(t, testDriver(), path)
		s := mustScan(t, g)
		present := map[uint32]string{}
		for _, m := range s.Messages {
			subject, flags := parseKillMessage(t, readAll(t, g, m.UID))
			if !slices.Equal(m.Flags, flags) {
				t.Errorf("round %d: uid %d (%s) has flags %v; its APPEND asked for %v", round, m.UID, subject, m.Flags, flags)
			}
			if old, ok := subjects[m.UID]; ok && old != subject {
				t.Errorf("round %d: uid %d is %s; it was %s", round, m.UID, subject, old)
			}
			subjects[m.UID], present[m.UID] = subject, subject
		}
		for _, a := range acks {
			var uid uint32
			var subject string
			if _, err := fmt.Sscanf(a, "ok %d %s", &uid, &subject); err != nil {
				t.Fatalf("round %d: helper said %q", round, a)
			}
			if present[uid] != subject {
				t.Errorf("round %d: acknowledged uid %d (%s) is missing", round, uid, subject)
			}
		}
		if left := listDir(t, filepath.Join(path, dirTmp)); len(left) > 0 {
			t.Errorf("round %d: tmp/ holds %v after a scan", round, left)
		}
		g.Close()
		if t.Failed() {
			return
		}
		if round%2 == 1 {
			// The next helper starts from an index file, which its
			// appends make stale.
			ageDirs(t, path, time.Hour)
			mustScan(t, mustOpen(t, testDriver(), path))
			if _, err := os.Stat(filepath.Join(path, indexFile)); err != nil {
				t.Fatalf("round %d: no index written: %v", round, err)
			}
		}
	}
	t.Logf("%d messages in 30 rounds", len(subjects))
}

// parseKillMessage returns the subject of a message the appending helper
// wrote, and the flags it asked for, sorted.
func parseKillMessage(t *testing.T, body string) (subject string, flags []string) {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, "Subject: "); ok {
			subject = v
		}
		if v, ok := strings.CutPrefix(line, "X-Flags:"); ok {
			flags = strings.Fields(v)
		}
	}
	slices.Sort(flags)
	return subject, flags
}

// TestKilledWhileReceiving: the file of a message being received stays
// while its process runs, even when another process opens the maildir,
// and goes when a process opens it after a kill -9 (issue 8, item 7).
func TestKilledWhileReceiving(t *testing.T) {
	path, _ := newMaildir(t)
	cmd, stdin, _ := startHelper(t, "stage", path)
	defer stdin.Close()
	tmp := filepath.Join(path, dirTmp)
	for len(listDir(t, tmp)) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := io.WriteString(stdin, "more of the body\r\n"); err != nil {
		t.Fatal(err)
	}
	mustScan(t, mustOpen(t, testDriver(), path))
	left := listDir(t, tmp)
	if len(left) != 1 || !strings.HasPrefix(left[0], fsutil.TempPrefix+".append.") {
		t.Fatalf("while the helper runs, tmp/ holds %v; want its file", left)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	s := mustScan(t, mustOpen(t, testDriver(), path))
	if left := listDir(t, tmp); len(left) != 0 || len(s.Messages) != 0 {
		t.Errorf("after the kill: tmp/ holds %v, mailbox %+v", left, s.Messages)
	}
}

// TestKilledWhileWritingIndex kills a process that writes the index file
// over and over, at random instants: the index left is whole or absent
// (it is written beside and renamed), and a new process's scan, from it
// or not, equals a scan without it.
func TestKilledWhileWritingIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	files := map[string]string{propsFile: "uidnext: 301\nuid-validity: 1795730010\n"}
	for i := 1; i <= 300; i++ {
		files[fmt.Sprintf("cur/%d.M1P1.host,u=%d:2,S", i, i)] = fmt.Sprintf("Subject: %d\n\nbody\n", i)
	}
	path := mkMaildir(t, files)
	ageDirs(t, path, time.Hour)
	rng := rand.New(rand.NewPCG(3, 9))
	for round := range 10 {
		killAfter(t, time.Duration(rng.IntN(50_000))*time.Microsecond, "index", path)
		if data, err := os.ReadFile(filepath.Join(path, indexFile)); err == nil {
			if _, err := decodeIndex(data); err != nil {
				t.Fatalf("round %d: index left damaged: %v", round, err)
			}
		}
		s, _ := coldScan(t, path)
		if truth := truthScan(t, path); !sameSnapshot(s, truth) {
			t.Fatalf("round %d: scan differs from one without the index", round)
		}
		ageDirs(t, path, time.Hour)
	}
}
