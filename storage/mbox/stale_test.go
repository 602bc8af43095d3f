//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// crasherEnv makes the test binary a helper that stages a message from
// its standard input and, meanwhile, rewrites the mbox it names up to
// the rename; it prints "stuck" once both wait, with their files on
// disk, for the kill.
const crasherEnv = "MBOX_TEST_CRASHER"

// announcingReader prints a line at its first Read.
type announcingReader struct {
	r    io.Reader
	once bool
	ch   chan struct{}
}

func (a *announcingReader) Read(p []byte) (int, error) {
	if !a.once {
		a.once = true
		close(a.ch)
	}
	return a.r.Read(p)
}

func crashSoon(path string) int {
	f, _, ok := helperFolder(path, -1)
	if !ok {
		return 1
	}
	reading := make(chan struct{})
	go f.Stage(&announcingReader{r: os.Stdin, ch: reading}, nil, testDate)
	<-reading
	renaming := make(chan struct{})
	f.beforeRename = func() error { close(renaming); select {} }
	go f.Expunge([]uint32{1})
	<-renaming
	fmt.Println("stuck")
	select {}
}

// TestStaleFilesRemoved (issue 8 item 7): what a process killed in the
// middle of an APPEND (its spool) and of an EXPUNGE (the rewrite's new
// file) left is removed when the mailbox is next opened; files of live
// processes, this one's included, stay.
func TestStaleFilesRemoved(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	cmd, stdin, stdout := startHelper(t, crasherEnv, path)
	stdin.Write([]byte("Subject: never sent whole\r\n\r\n"))
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "stuck\n" {
		t.Fatalf("helper: %q", line)
	}
	left := ownFiles(path, kindSpool, kindTemp)
	if len(left) != 2 {
		t.Fatalf("the helper's files: %v", left)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	os.Remove(path + ".lock") // its dot lock holds a dead pid: broken anyway

	// Files of live processes: a Stage of ours under way, another
	// process's spool (init's pid, this host), and another host's.
	f := mustOpen(t, d, path)
	mustScan(t, f)
	pr, pw := io.Pipe()
	done := make(chan storage.Staged, 1)
	go func() {
		st, err := f.Stage(pr, nil, testDate)
		if err != nil {
			t.Error(err)
		}
		done <- st
	}()
	pw.Write([]byte("Subject: live\r\n\r\n"))
	alive := ownPrefix(path, kindSpool) + "1." + hostTag() + ".7"
	elsewhere := ownPrefix(path, kindTemp) + strconv.Itoa(left[0].pid) + ".00000000.8"
	for _, name := range []string{alive, elsewhere} {
		os.WriteFile(name, []byte("x"), 0o600)
	}

	g := mustOpen(t, d, path)
	for _, o := range left {
		if _, err := os.Stat(o.name); !os.IsNotExist(err) {
			t.Errorf("%s of the killed process is still there", filepath.Base(o.name))
		}
	}
	spools := ownFiles(path, kindSpool)
	if len(spools) != 2 {
		t.Errorf("spools after the open: %v; want ours and pid 1's", spools)
	}
	if _, err := os.Stat(elsewhere); err != nil {
		t.Error("another host's file was removed")
	}
	pw.Write([]byte("body\r\n"))
	pw.Close()
	m, err := (<-done).Commit()
	if err != nil {
		t.Fatal(err)
	}
	mustScan(t, g)
	if got := readAll(t, g, m.UID); !strings.HasPrefix(got, "Subject: live") {
		t.Errorf("committed %q", got)
	}
	if s := mustScan(t, g); len(s.Messages) != 4 {
		t.Errorf("%d messages; the killed process's were stored?", len(s.Messages))
	}
}

// TestStaleFilesSamePid: a process that comes back with the pid of its
// dead predecessor (as PID 1 in a container) removes its files, and
// replays its journal, which carry its own pid.
func TestStaleFilesSamePid(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: -1})
	path := writeMbox(t, imap4dMbox)
	prefix := strconv.Itoa(os.Getpid()) + "." + hostTag() + "."
	spool := ownPrefix(path, kindSpool) + prefix + "999999"
	temp := ownPrefix(path, kindTemp) + strconv.Itoa(os.Getpid())
	jnl := ownPrefix(path, kindJournal) + prefix + "999998"
	os.WriteFile(spool, []byte("x"), 0o600)
	os.WriteFile(temp, []byte("x"), 0o600)
	probe := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
	mustScan(t, probe)
	hash := probe.msgs[probe.find(4)].hash
	probe.Close()
	os.WriteFile(jnl, appendRecord(nil, journalRecord{validity: 1795729968, uid: 4, hash: hash, before: flagState{bits: bitDraft}, after: flagState{bits: bitFlagged}}), 0o600)
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	for _, name := range []string{spool, temp, jnl} {
		if _, err := os.Stat(name); !os.IsNotExist(err) {
			t.Errorf("%s is still there", filepath.Base(name))
		}
	}
	if got := flagsOfUID(t, s, 4); len(got) != 1 || got[0] != storage.FlagFlagged {
		t.Errorf("uid 4 has %q; the journal gave \\Flagged", got)
	}
}
