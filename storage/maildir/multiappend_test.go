//go:build unix

package maildir

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// batchSize is how many messages the batch helper commits at once.
const batchSize = 8

// runBatchHelper commits batches of batchSize messages for ever, each
// message's subject naming its batch, and prints "ok BATCH" after each.
func runBatchHelper(f *Folder, round string) int {
	for i := 0; ; i++ {
		batch := round + "." + fmt.Sprint(i)
		var list []storage.Staged
		for k := range batchSize {
			s, err := f.Stage(strings.NewReader("Subject: "+batch+"\r\nX-Part: "+fmt.Sprint(k)+"\r\n\r\nbody\r\n"), []string{storage.FlagSeen}, time.Time{})
			if err != nil {
				fmt.Println(err)
				return 1
			}
			list = append(list, s)
		}
		if _, err := f.CommitBatch(list); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("ok", batch)
	}
}

// TestCommitBatch: a batch gets consecutive UIDs in order, with the
// flags asked for, and leaves nothing in tmp/ or beside new/.
func TestCommitBatch(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	var list []storage.Staged
	for k := range 3 {
		s, err := f.Stage(strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", k)), []string{"$Label" + fmt.Sprint(k)}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, s)
	}
	msgs, err := f.CommitBatch(list)
	if err != nil {
		t.Fatal(err)
	}
	for k, m := range msgs {
		if m.UID != uint32(k+1) || len(m.Flags) != 1 || m.Flags[0] != "$Label"+fmt.Sprint(k) {
			t.Errorf("message %d: %+v", k, m)
		}
		if got := readAll(t, f, m.UID); !strings.HasPrefix(got, fmt.Sprintf("Subject: %d\n", k)) {
			t.Errorf("message %d reads %q", k, got)
		}
	}
	if left := listDir(t, filepath.Join(path, dirTmp)); len(left) > 0 {
		t.Errorf("tmp/ holds %v", left)
	}
	for _, n := range listDir(t, path) {
		if strings.HasPrefix(n, fsutil.TempPrefix) {
			t.Errorf("left beside new/: %s", n)
		}
	}
}

// TestDeadBatchUndone: the intent of a batch commit whose process died
// takes its messages away when the maildir is next opened, in new/ or
// moved to cur/ by another program, and only those.
func TestDeadBatchUndone(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	keep, err := f.Append(strings.NewReader("Subject: keep\r\n\r\nx\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	names := []string{"1700000000.M1P1.host,S=10,W=12,U=7:2,", "1700000000.M2P1.host,S=10,W=12,U=8:2,"}
	os.WriteFile(filepath.Join(path, dirNew, names[0]), []byte("Subject: a\n\nx\n"), 0o600)
	os.WriteFile(filepath.Join(path, dirCur, "1700000000.M2P1.host,S=10,W=12,U=8:2,S"), []byte("Subject: b\n\nx\n"), 0o600)
	intent := deadIntent(t, path, names)
	g := mustOpen(t, d, path)
	s := mustScan(t, g)
	if len(s.Messages) != 1 || s.Messages[0].UID != keep.UID {
		t.Errorf("after the dead batch: %+v", s.Messages)
	}
	if _, err := os.Stat(intent); !os.IsNotExist(err) {
		t.Errorf("intent left: %v", err)
	}
}

// deadIntent writes the batch intent, naming names, of a process that
// has exited: made as this one names it, with the dead process's pid.
func deadIntent(t *testing.T, path string, names []string) string {
	t.Helper()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true(1) to make a dead pid with")
	}
	own, err := fsutil.CreateTemp(path, batchKind, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	own.Close()
	os.Remove(own.Name())
	parts := strings.SplitN(filepath.Base(own.Name()), ".", 7) // "", mailgate-tmp, kind, pid, n, run, host
	parts[3] = fmt.Sprint(dead.Process.Pid)
	intent := filepath.Join(path, strings.Join(parts, "."))
	if err := os.WriteFile(intent, []byte(strings.Join(names, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return intent
}

// TestDeadBatchUndoneWhileOpen: a process killed in a batch commit after
// this Folder first scanned the maildir (a long-lived IMAP session beside
// an LMTP server that was killed) left its messages in new/; the next
// scan of the open Folder undoes the batch instead of announcing them,
// as a fresh one would.
func TestDeadBatchUndoneWhileOpen(t *testing.T) {
	path, d := newMaildir(t)
	f := mustOpen(t, d, path)
	defer f.Close()
	keep, err := f.Append(strings.NewReader("Subject: keep\r\n\r\nx\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	mustScan(t, f)
	for round := range 3 { // the directory's mtime changes within a tick, then not
		name := fmt.Sprintf("1700000000.M%dP1.host,S=10,W=12,U=%d:2,", round+1, round+10)
		os.WriteFile(filepath.Join(path, dirNew, name), []byte("Subject: a\n\nx\n"), 0o600)
		intent := deadIntent(t, path, []string{name})
		s := mustScan(t, f)
		if len(s.Messages) != 1 || s.Messages[0].UID != keep.UID {
			t.Errorf("round %d: the open folder announced a dead batch: %+v", round, s.Messages)
		}
		if _, err := os.Stat(intent); !os.IsNotExist(err) {
			t.Errorf("round %d: intent left: %v", round, err)
		}
		if round == 1 {
			time.Sleep(1100 * time.Millisecond)
			mustScan(t, f)
		}
	}
}

// TestKilledDuringBatch kills a process that commits batches at random
// instants: every batch is then whole or absent, and every batch it
// acknowledged is whole.
func TestKilledDuringBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	path, _ := newMaildir(t)
	rng := rand.New(rand.NewPCG(3, 5))
	for round := range 20 {
		acks := killAfter(t, time.Duration(5000+rng.IntN(60_000))*time.Microsecond, "batch", path, fmt.Sprint(round))

		g := mustOpen(t, testDriver(), path)
		s := mustScan(t, g)
		count := map[string]int{}
		for _, m := range s.Messages {
			subject, _ := parseKillMessage(t, readAll(t, g, m.UID))
			count[subject]++
		}
		for b, n := range count {
			if n != batchSize {
				t.Errorf("round %d: batch %s has %d of %d messages", round, b, n, batchSize)
			}
		}
		for _, a := range acks {
			b, ok := strings.CutPrefix(a, "ok ")
			if !ok {
				t.Fatalf("round %d: helper said %q", round, a)
			}
			if count[b] != batchSize {
				t.Errorf("round %d: acknowledged batch %s has %d messages", round, b, count[b])
			}
		}
		g.Close()
		if t.Failed() {
			return
		}
	}
}
