//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// tmpSpoolHelperEnv makes TestTmpSpoolOfKilledProcessRemoved, run again
// in a helper process, stage a message from its standard input into the
// mbox it names, print "staging" at the first byte and wait for the kill.
const tmpSpoolHelperEnv = "MBOX_TEST_TMPSPOOL_HELPER"

// TestTmpSpoolOfKilledProcessRemoved: where the mailbox's directory
// takes no new files (a /var/mail that the session's user may not
// create files in), Stage spools an APPEND to the system's temporary
// directory. A session process killed while the client sends the
// literal (kill -9, the OOM killer, session-memory-limit) leaves nothing
// there: the spool has no name (O_TMPFILE), or one that says whose it is
// and is removed at once (tmpspool.go). (The soak review found three
// spools of the older .mailgate-mbox-spool-RANDOM form in /tmp, 38-50
// MB each, hours old, of uids that no longer had a session.)
func TestTmpSpoolOfKilledProcessRemoved(t *testing.T) {
	if path := os.Getenv(tmpSpoolHelperEnv); path != "" {
		f, _, ok := helperFolder(path, -1)
		if !ok {
			t.Fatal("helper: cannot open the mbox")
		}
		reading := make(chan struct{})
		go f.Stage(&announcingReader{r: os.Stdin, ch: reading}, nil, testDate)
		<-reading
		fmt.Println("staging")
		select {}
	}
	if !asNobody(t) {
		return
	}
	tmp := t.TempDir()
	path, lock := lockedDir(t, imap4dMbox)
	lock()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), tmpSpoolHelperEnv+"="+path, "TMPDIR="+tmp)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	stdin.Write([]byte("Subject: a literal never sent whole\r\n\r\n" + strings.Repeat("x", 100000)))
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "staging\n" {
		t.Fatalf("helper: %q", line)
	}
	spools := func() []string {
		m, _ := filepath.Glob(filepath.Join(tmp, ".mailgate-mbox-spool-*"))
		return m
	}
	// The spool is in TMPDIR while the helper stages, with no name: the
	// helper has it open.
	if open, ok := openIn(cmd.Process.Pid, tmp); !ok {
		t.Logf("no /proc to see the helper's spool in")
	} else if len(open)+len(spools()) != 1 {
		t.Fatalf("spools in TMPDIR while the helper stages: %v named, %v open; want 1", spools(), open)
	} else {
		t.Logf("the helper's spool: %v %v", spools(), open)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// Nor does any remain once the next process opened the mailbox (any
	// session of the user, a delivery).
	t.Setenv("TMPDIR", tmp)
	d := testDriver(t, Options{Type: "kernel"})
	mustScan(t, mustOpen(t, d, path))
	if left := spools(); len(left) != 0 {
		t.Errorf("spool of the killed process left in TMPDIR for ever: %v", left)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("files left in TMPDIR: %v", left)
	}
}

// openIn returns the files in dir that process pid has open, as
// /proc/PID/fd names them, and false where there is no /proc.
func openIn(pid int, dir string) ([]string, bool) {
	fds := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	names, err := os.ReadDir(fds)
	if err != nil {
		return nil, false
	}
	var in []string
	for _, n := range names {
		if to, err := os.Readlink(filepath.Join(fds, n.Name())); err == nil && strings.HasPrefix(to, dir+"/") {
			in = append(in, to)
		}
	}
	return in, true
}

// TestNamedTmpSpool: where there is no O_TMPFILE, the spool in the
// temporary directory is made under a name that says whose it is, and
// the name removed at once; the file stays usable through its
// descriptor.
func TestNamedTmpSpool(t *testing.T) {
	dir := t.TempDir()
	file, err := namedTempSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the spool kept its name: %v", left)
	}
	if !strings.HasPrefix(filepath.Base(file.Name()), tempSpoolPrefix+strconv.Itoa(os.Getpid())+"."+hostTag()+".") {
		t.Errorf("spool named %s", file.Name())
	}
	if _, err := file.WriteString("From a Mon Dec  7 10:00:00 2026\n"); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := file.ReadAt(b, 0); err != nil || string(b) != "From" {
		t.Errorf("read back %q, %v", b, err)
	}
}

// TestDeadTmpSpoolsRemoved: the spools that dead processes of this host
// and user left in the temporary directory are removed when the next
// one is made there; a live process's, another host's, another user's,
// a link (and what it points to), a directory, and a name of the older
// random form are left alone.
func TestDeadTmpSpoolsRemoved(t *testing.T) {
	dir := t.TempDir()
	dead := deadPid(t)
	name := func(pid int, host string, seq int) string {
		return tempSpoolPrefix + strconv.Itoa(pid) + "." + host + "." + strconv.Itoa(seq)
	}
	write := func(n string) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	gone := name(dead, hostTag(), 1)
	keep := []string{
		name(os.Getppid(), hostTag(), 2),                       // a live process's
		name(dead, "0badc0de", 3),                              // another host's
		tempSpoolPrefix + "2680458351",                         // the older form
		tempSpoolPrefix + strconv.Itoa(dead) + "." + hostTag(), // not the exact form
		"unrelated",
	}
	for _, n := range append([]string{gone}, keep...) {
		write(n)
	}
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link, subdir := name(dead, hostTag(), 4), name(dead, hostTag(), 5)
	if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, subdir), 0o700); err != nil {
		t.Fatal(err)
	}
	keep = append(keep, link, subdir)
	if os.Geteuid() == 0 {
		other := name(dead, hostTag(), 6) // another user's
		write(other)
		if err := os.Lchown(filepath.Join(dir, other), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		keep = append(keep, other)
	}

	testDriver(t, Options{}).removeDeadTempSpools(dir)
	entries, _ := os.ReadDir(dir)
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
	}
	if got[gone] {
		t.Errorf("the spool of dead pid %d of this host was left", dead)
	}
	for _, n := range keep {
		if !got[n] {
			t.Errorf("%s removed", n)
		}
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
		t.Errorf("the link's target: %q, %v", b, err)
	}
}

// TestOwnNameNotBlockedByForeseenNames: an own file's name (PID.HOST.N)
// is easy to foresee; another user who made the next few hundred names
// in a directory all may write (a sticky spool, TMPDIR) does not keep
// this process from making one.
func TestOwnNameNotBlockedByForeseenNames(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, tempSpoolPrefix)
	next := ownSeq.Load()
	for i := uint64(1); i <= 300; i++ {
		name := prefix + strconv.Itoa(os.Getpid()) + "." + hostTag() + "." + strconv.FormatUint(next+i, 10)
		if err := os.WriteFile(name, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file, err := namedTempSpool(dir)
	if err != nil {
		t.Fatalf("with the next 300 names taken: %v", err)
	}
	file.Close()
}
