package mh

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
	"github.com/mailgate/mailgate/storage"
)

// nmhTool finds an nmh program: on the PATH, or where Debian's package
// nmh puts them.
func nmhTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil && strings.Contains(p, "mh") {
		return p
	}
	for _, dir := range []string{"/usr/bin/mh", "/usr/lib/mh", "/usr/local/bin/mh", "/usr/local/nmh/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	needs.Missing(t, "nmh's %s is not installed (Debian package nmh); skipping the interoperability test", name)
	return ""
}

// nmhEnv is a user with an MH profile in a temporary home.
type nmhEnv struct {
	t    *testing.T
	home string
	env  []string
}

func newNmhEnv(t *testing.T) *nmhEnv {
	home := t.TempDir()
	profile := filepath.Join(home, profileName)
	writeFile(t, profile, "Path: "+filepath.Join(home, "Mail")+"\nUnseen-Sequence: unseen\nmsg-protect: 600\n", time.Time{})
	env := append(os.Environ(), "MH="+profile, "MHCONTEXT="+filepath.Join(home, "context"), "HOME="+home)
	return &nmhEnv{t: t, home: home, env: env}
}

// run runs an nmh program and returns its standard output.
func (e *nmhEnv) run(name string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(nmhTool(e.t, name), args...)
	cmd.Env, cmd.Dir = e.env, e.home
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("%s %q: %v\n%s%s", name, args, err, out.String(), errOut.String())
	}
	return out.String()
}

// numbers runs scan with a format that prints message numbers only.
func (e *nmhEnv) numbers(folder string, msgs ...string) []uint32 {
	e.t.Helper()
	args := append([]string{"+" + folder, "-format", "%(msg)"}, msgs...)
	cmd := exec.Command(nmhTool(e.t, "scan"), args...)
	cmd.Env, cmd.Dir = e.env, e.home
	out, _ := cmd.Output() // scan fails on an empty sequence
	var nums []uint32
	for _, f := range strings.Fields(string(out)) {
		n, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			e.t.Fatalf("scan printed %q", out)
		}
		nums = append(nums, uint32(n))
	}
	return nums
}

func flagsOfUID(t *testing.T, s storage.Snapshot, uid uint32) []string {
	t.Helper()
	m, ok := message(s, uid)
	if !ok {
		t.Fatalf("UID %d missing from %v", uid, uidsOf(s))
	}
	return m.Flags
}

// TestNmhInterop works on one folder with mailgate and with the real nmh
// programs in turn.
func TestNmhInterop(t *testing.T) {
	for _, tool := range []string{"inc", "scan", "mark", "refile", "rmm"} {
		nmhTool(t, tool)
	}
	e := newNmhEnv(t)
	d := &Driver{}
	inbox := filepath.Join(e.home, "Mail", "inbox")
	other := filepath.Join(e.home, "Mail", "other")
	for _, p := range []string{inbox, other} {
		if err := d.Create(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := mustOpen(t, d, inbox)
	mustScan(t, f)
	appendMsg(t, f, "From: a@example.org\nSubject: one\n\nbody\n", `\Seen`)
	appendMsg(t, f, "From: a@example.org\nSubject: two\n\nbody\n", `\Flagged`)
	if got := e.numbers("inbox"); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("nmh scan: %v", got)
	}
	if got := e.numbers("inbox", "unseen"); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("nmh scan unseen: %v", got)
	}
	if got := e.numbers("inbox", "flagged"); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("nmh scan flagged: %v", got)
	}

	// inc adds two messages and puts them in unseen.
	spool := filepath.Join(e.home, "spool")
	writeFile(t, spool, "From x@example.org Mon Jan  1 00:00:00 2024\nFrom: x@example.org\nSubject: three\n\nhi\n\n"+
		"From x@example.org Mon Jan  1 00:00:00 2024\nFrom: x@example.org\nSubject: four\n\nho\n", time.Time{})
	e.run("inc", "+inbox", "-file", spool, "-notruncate", "-silent")
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 2, 3, 4}) || s.UIDNext != 5 {
		t.Fatalf("after inc: %v, UIDNEXT %d", uidsOf(s), s.UIDNext)
	}
	if m, _ := message(s, 3); m.Flags != nil || !m.New {
		t.Fatalf("incorporated message = %+v", m)
	}
	if got := readAll(t, f, 3); got != "From: x@example.org\nSubject: three\n\nhi\n" {
		t.Fatalf("incorporated message reads %q", got)
	}

	// mark changes flags that mailgate sees; mailgate's changes reach nmh.
	e.run("mark", "+inbox", "3", "-sequence", "flagged", "-add")
	e.run("mark", "+inbox", "1", "-sequence", "unseen", "-add")
	e.run("mark", "+inbox", "1", "-sequence", "todo", "-add")
	s = mustScan(t, f)
	if got := flagsOfUID(t, s, 3); !slices.Equal(got, []string{`\Flagged`}) {
		t.Fatalf("UID 3 flags %q", got)
	}
	if got := flagsOfUID(t, s, 1); !slices.Equal(got, []string{"todo"}) {
		t.Fatalf("UID 1 flags %q", got)
	}
	if err := f.SetFlags(4, []string{`\Seen`, `\Answered`}); err != nil {
		t.Fatal(err)
	}
	if got := e.numbers("inbox", "unseen"); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Fatalf("nmh scan unseen: %v", got)
	}
	if got := e.numbers("inbox", "replied"); !slices.Equal(got, []uint32{4}) {
		t.Fatalf("nmh scan replied: %v", got)
	}

	// Expunge is rmm's rename; refile moves a message away.
	if err := f.Expunge([]uint32{2}); err != nil {
		t.Fatal(err)
	}
	if got := e.numbers("inbox"); !slices.Equal(got, []uint32{1, 3, 4}) {
		t.Fatalf("nmh scan after Expunge: %v", got)
	}
	e.run("refile", "-src", "+inbox", "3", "+other")
	s = mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 4}) {
		t.Fatalf("after refile: %v", uidsOf(s))
	}
	of := mustOpen(t, d, other)
	o := mustScan(t, of)
	if !slices.Equal(uidsOf(o), []uint32{1}) || readAll(t, of, 1) != "From: x@example.org\nSubject: three\n\nhi\n" {
		t.Fatalf("other: %+v", o)
	}

	// rmm of the last message, then inc: nmh reuses number 2, under
	// mailgate's UIDNEXT; mailgate gives that message a fresh UID.
	e.run("rmm", "+inbox", "4")
	mustScan(t, f)
	writeFile(t, spool, "From y@example.org Mon Jan  1 00:00:00 2024\nFrom: y@example.org\nSubject: five\n\nhey\n", time.Time{})
	e.run("inc", "+inbox", "-file", spool, "-notruncate", "-silent")
	s = mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 5}) || s.UIDNext != 6 {
		t.Fatalf("after the reuse: %v, UIDNEXT %d", uidsOf(s), s.UIDNext)
	}
	if got := flagsOfUID(t, s, 5); got != nil {
		t.Fatalf("UID 5 flags %q", got)
	}
	if got := e.numbers("inbox", "unseen"); !slices.Equal(got, []uint32{1, 5}) {
		t.Fatalf("nmh scan unseen after the reuse: %v", got)
	}
}

// TestSeqLockWaitsForOtherProcess holds nmh's fcntl lock on .mh_sequences
// in another process, which rewrites the file in place as nmh does; a
// flag change waits for it and keeps its change.
func TestSeqLockWaitsForOtherProcess(t *testing.T) {
	if path := os.Getenv("MH_TEST_HOLD_LOCK"); path != "" {
		holdLockLikeNmh(path)
		return
	}
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	appendMsg(t, f, "x\n", `\Seen`)
	appendMsg(t, f, "y\n", `\Seen`)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSeqLockWaitsForOtherProcess$")
	cmd.Env = append(os.Environ(), "MH_TEST_HOLD_LOCK="+filepath.Join(path, seqFile))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked" {
		t.Fatalf("helper said %q, %v", buf, err)
	}
	start := time.Now()
	if err := f.SetFlags(1, []string{`\Flagged`, `\Seen`}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("SetFlags did not wait for the lock (%v)", waited)
	}
	cmd.Wait()
	if got := readFile(t, filepath.Join(path, seqFile)); got != "unseen: 2\nflagged: 1\n" {
		t.Fatalf("%s = %q", seqFile, got)
	}
}

// holdLockLikeNmh takes a POSIX write lock on path, says so, and after a
// while rewrites the file in place, as nmh's mark does.
func holdLockLikeNmh(path string) {
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		err = posixLock(file)
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Print("locked")
	time.Sleep(400 * time.Millisecond)
	file.Truncate(0)
	file.WriteAt([]byte("unseen: 2\n"), 0)
	file.Close()
	os.Exit(0)
}
