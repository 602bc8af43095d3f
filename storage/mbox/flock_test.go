//go:build unix

package mbox

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// flockOther opens path anew (an open file description of its own, as
// another program's) and tries once to flock it.
func flockOther(t *testing.T, path string, how int) (f *os.File, ok bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
	if err != nil && !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatal(err)
	}
	return f, err == nil
}

// canFlock reports whether another program could flock path now; it
// lets go at once.
func canFlock(t *testing.T, path string, how int) bool {
	t.Helper()
	f, ok := flockOther(t, path, how)
	f.Close()
	return ok
}

// TestFlockHeldByAnother: a program that locks the mbox with flock(2)
// alone (Dovecot with mbox_write_locks = flock, Exim's use_flock_lockfile,
// flock(1)) keeps writes out while it holds the lock, and exclusively
// also reads; a shared flock lets reads in.
func TestFlockHeldByAnother(t *testing.T) {
	for _, tc := range []struct {
		typ       string
		how       int
		readOK    bool
		appendOK  bool
		wantInErr string
	}{
		{"dotlock", unix.LOCK_EX, false, false, "flock"},
		{"kernel", unix.LOCK_EX, false, false, "flock"},
		{"kernel", unix.LOCK_SH, true, false, "flock"},
		{"null", unix.LOCK_EX, true, true, ""},
	} {
		name := tc.typ + map[int]string{unix.LOCK_EX: "/exclusive", unix.LOCK_SH: "/shared"}[tc.how]
		t.Run(name, func(t *testing.T) {
			d := testDriver(t, Options{Type: tc.typ, RetryCount: 3, RetrySleep: 10 * time.Millisecond})
			path := writeMbox(t, imap4dMbox)
			before := readFile(t, path)
			other, ok := flockOther(t, path, tc.how)
			if !ok {
				t.Fatal("cannot flock a file nobody holds")
			}
			f := mustOpen(t, d, path)
			_, err := f.Scan()
			if tc.readOK != (err == nil) {
				t.Fatalf("scan under another's flock: %v; want success %v", err, tc.readOK)
			}
			if err != nil && (!errors.Is(err, errLocked) || !strings.Contains(err.Error(), tc.wantInErr)) {
				t.Errorf("err = %v; want errLocked naming %s", err, tc.wantInErr)
			}
			_, err = f.Append(strings.NewReader("Subject: x\r\n\r\nx\r\n"), nil, time.Time{})
			if tc.appendOK != (err == nil) {
				t.Fatalf("append under another's flock: %v; want success %v", err, tc.appendOK)
			}
			if !tc.appendOK && readFile(t, path) != before {
				t.Error("the file changed under another program's flock")
			}
			if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
				t.Error("our dot lock stayed while we waited")
			}
			// Once the other lets go, we get in.
			unix.Flock(int(other.Fd()), unix.LOCK_UN)
			if _, err := f.Append(strings.NewReader("Subject: y\r\n\r\ny\r\n"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFlockSeesUs: while mailgate holds its lock, a program that tries
// flock(2) finds the file busy (exclusively while we write, for writers
// only while we read), and is let in once we are done.
func TestFlockSeesUs(t *testing.T) {
	d := testDriver(t, Options{Type: "kernel"})
	path := writeMbox(t, imap4dMbox)
	for _, write := range []bool{true, false} {
		l, err := d.lock(path, write)
		if err != nil {
			t.Fatal(err)
		}
		if canFlock(t, path, unix.LOCK_EX) {
			t.Errorf("write %v: another program took an exclusive flock under our lock", write)
		}
		if ok := canFlock(t, path, unix.LOCK_SH); ok == write {
			t.Errorf("write %v: another program's shared flock: granted %v", write, ok)
		}
		l.unlock()
		if !canFlock(t, path, unix.LOCK_EX) {
			t.Errorf("write %v: our flock outlived the lock", write)
		}
	}
	// kernelUnlock drops the flock with the fcntl lock (salvage).
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := kernelLock(f, false); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if canFlock(t, path, unix.LOCK_EX) {
		t.Error("an exclusive flock was granted under our read lock")
	}
	kernelUnlock(f)
	if !canFlock(t, path, unix.LOCK_EX) {
		t.Error("kernelUnlock left the flock")
	}
}

// TestFlockCommand holds the mbox with flock(1), a real other process, as
// a user's script would.
func TestFlockCommand(t *testing.T) {
	bin, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("no flock(1) here")
	}
	d := testDriver(t, Options{Type: "dotlock", RetryCount: 3, RetrySleep: 10 * time.Millisecond})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	defer f.Close()
	cmd := exec.Command(bin, "--exclusive", path, "sh", "-c", "echo locked; cat >/dev/null")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("flock(1) said %q", line)
	}
	before := readFile(t, path)
	if _, err := f.Append(strings.NewReader("Subject: x\r\n\r\nx\r\n"), nil, time.Time{}); !errors.Is(err, errLocked) {
		t.Errorf("append under flock(1): %v; want errLocked", err)
	}
	if readFile(t, path) != before {
		t.Error("the file changed under flock(1)")
	}
	stdin.Close()
	cmd.Wait()
	if _, err := f.Append(strings.NewReader("Subject: y\r\n\r\ny\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
}
