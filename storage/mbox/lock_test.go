//go:build unix

package mbox

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdEnv makes the test binary a helper that holds a classic fcntl lock
// on the file it names, as mutt, procmail and Postfix take it, until its
// standard input closes.
const holdEnv = "MBOX_TEST_HOLD_FCNTL"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		os.Exit(holdLock(path))
	}
	if path := os.Getenv(rewriterEnv); path != "" {
		os.Exit(rewriteForever(path))
	}
	if path := os.Getenv(storerEnv); path != "" {
		os.Exit(storeForever(path))
	}
	if path := os.Getenv(writerEnv); path != "" {
		os.Exit(writeAgain(path))
	}
	if path := os.Getenv(appenderEnv); path != "" {
		os.Exit(appendForever(path))
	}
	if path := os.Getenv(batcherEnv); path != "" {
		first, _ := strconv.Atoi(os.Getenv(appenderFirstEnv))
		os.Exit(batchForever(path, first))
	}
	if path := os.Getenv(crasherEnv); path != "" {
		os.Exit(crashSoon(path))
	}
	os.Exit(m.Run())
}

func holdLock(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// holdFcntl starts the helper and returns once it holds the lock; the
// function it returns makes it let go.
func holdFcntl(t *testing.T, path string) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return release
}

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	return cmd.Process.Pid
}

func TestDotlock(t *testing.T) {
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Skip("no sleep(1):", err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	old := time.Now().Add(-time.Hour)
	tests := []struct {
		name    string
		content string
		mtime   time.Time
		broken  bool
	}{
		{"dead pid", strconv.Itoa(deadPid(t)) + "\n", time.Now(), true},
		{"old, no pid", "", old, true},
		{"old, live pid", strconv.Itoa(sleeper.Process.Pid) + "\n", old, true},
		{"live pid", strconv.Itoa(sleeper.Process.Pid) + "\n", time.Now(), false},
		{"fresh, no pid (as mutt_dotlock)", "", time.Now(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDriver(t, Options{RetryCount: 2, RetrySleep: 20 * time.Millisecond})
			path := writeMbox(t, imap4dMbox)
			f := mustOpen(t, d, path)
			lock := path + ".lock"
			os.WriteFile(lock, []byte(tt.content), 0o644)
			os.Chtimes(lock, tt.mtime, tt.mtime)
			start := time.Now()
			_, err := f.Scan()
			if tt.broken {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
					t.Error("lock file left behind")
				}
				return
			}
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), lock) {
				t.Fatalf("err = %v", err)
			}
			if el := time.Since(start); el < 40*time.Millisecond {
				t.Errorf("gave up after %v, without retrying", el)
			}
			if _, err := os.Stat(lock); err != nil {
				t.Error("a live lock was removed")
			}
			// Released while we retry: we get it.
			go func() { time.Sleep(10 * time.Millisecond); os.Remove(lock) }()
			if _, err := f.Scan(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDotlockFiles: the lock file holds our pid, and locking leaves no
// other file behind.
func TestDotlockFiles(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	l, err := d.lock(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path + ".lock"); err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("lock file %q, %v", b, err)
	}
	if _, err := d.lock(path, false); !errors.Is(err, errLocked) {
		t.Errorf("a second lock: %v", err)
	}
	l.unlock()
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %q", names)
	}
	// What a process killed in the middle leaves is removed by the next
	// rewrite, once that process is gone.
	dead := dotlockOwnPrefix(path+".lock") + strconv.Itoa(deadPid(t)) + ".x"
	live := dotlockOwnPrefix(path+".lock") + "1.y"
	os.WriteFile(dead, nil, 0o644)
	os.WriteFile(live, nil, 0o644)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	if err := f.SetFlags(1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Error("a dead process's file is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live process's file was removed")
	}
}

func TestKernelLock(t *testing.T) {
	for _, typ := range []string{"kernel", "dotlock"} {
		t.Run(typ, func(t *testing.T) {
			d := testDriver(t, Options{Type: typ, RetryCount: 3, RetrySleep: 20 * time.Millisecond})
			path := writeMbox(t, imap4dMbox)
			f := mustOpen(t, d, path)
			release := holdFcntl(t, path)
			_, err := f.Scan()
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), "fcntl") {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
				t.Error("our dot lock stayed while we waited")
			}
			release()
			if _, err := f.Scan(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// "null" takes no lock.
	d := testDriver(t, Options{Type: "null"})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	holdFcntl(t, path)
	if _, err := f.Scan(); err != nil {
		t.Fatal(err)
	}
}
