package imap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/maildir/maildirtest"
)

// quietInbox writes alice's INBOX as a maildir of n messages whose
// folder can vouch for its files from the first read on
// (maildirtest.WriteQuiet): the server need not watch it.
func quietInbox(t *testing.T, e *testEnv, n int) string {
	t.Helper()
	dir := filepath.Join(e.root, "alice", "INBOX")
	maildirtest.WriteQuiet(t, dir, n, func(i int) string { return testMessage(fmt.Sprint("m", i), "x") })
	return dir
}

// inotifyWatched reports whether some inotify instance of this process
// watches the directory dir, from /proc/self/fdinfo: each watch is a
// line "inotify wd:N ino:HEX sdev:HEX ...".
func inotifyWatched(t *testing.T, dir string) bool {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	want := "ino:" + strconv.FormatUint(st.Ino, 16) + " "
	infos, err := filepath.Glob("/proc/self/fdinfo/*")
	if err != nil || len(infos) == 0 {
		t.Skipf("no /proc/self/fdinfo: %v", err)
	}
	for _, p := range infos {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // closed meanwhile
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "inotify ") && strings.Contains(l, want) {
				return true
			}
		}
	}
	return false
}

// deliverFile drops a message into dir's new/ as a delivery agent does.
func deliverFile(t *testing.T, dir, name string) {
	t.Helper()
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, []byte(testMessage(name, "x")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// watchedDirs says which of dir's new/ and cur/ are watched.
func watchedDirs(t *testing.T, dir string) string {
	t.Helper()
	return fmt.Sprintf("new/ %v, cur/ %v", inotifyWatched(t, filepath.Join(dir, "new")), inotifyWatched(t, filepath.Join(dir, "cur")))
}

// TestShortSessionAddsNoWatch: a session that selects a quiet maildir,
// fetches the flags and logs out never has it watched (an inotify watch
// on a directory of 100,000 messages costs the kernel tens of
// milliseconds), even once the moment after SELECT's answer passed. One
// that IDLEs has both directories watched at once.
func TestShortSessionAddsNoWatch(t *testing.T) {
	e := startServer(t, nil)
	dir := quietInbox(t, e, 3)
	const none = "new/ false, cur/ false"
	if got := watchedDirs(t, dir); got != none {
		t.Fatalf("before any session: %s", got)
	}
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	if u := c.ok("f FETCH 1:* (FLAGS)"); len(u) != 3 {
		t.Fatalf("FETCH 1:* (FLAGS): %q", u)
	}
	time.Sleep(400 * time.Millisecond) // past the settling of the mailbox
	if got := watchedDirs(t, dir); got != none {
		t.Fatalf("after SELECT and FETCH: %s, want no watch", got)
	}
	c.ok("n NOOP")
	c.ok("z LOGOUT")
	if got := watchedDirs(t, dir); got != none {
		t.Fatalf("after LOGOUT: %s, want no watch", got)
	}

	idler := e.raw()
	idler.login("alice")
	idler.ok("s SELECT INBOX")
	idler.idle("i")
	deadline := time.Now().Add(2 * time.Second)
	for watchedDirs(t, dir) != "new/ true, cur/ true" {
		if time.Now().After(deadline) {
			t.Fatalf("in IDLE: %s, want both watched", watchedDirs(t, dir))
		}
		time.Sleep(5 * time.Millisecond)
	}
	idler.send("DONE")
	idler.expect("i OK Completed")
}

// TestIdleRightAfterSelectSeesDelivery: a client that IDLEs as soon as
// SELECT is answered (Thunderbird's way) hears of a message another
// program delivers at once, not when a delayed watch is set.
func TestIdleRightAfterSelectSeesDelivery(t *testing.T) {
	e := startServer(t, nil)
	dir := quietInbox(t, e, 3)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.idle("i")
	for n := 4; n <= 5; n++ {
		deliverFile(t, dir, fmt.Sprintf("170000000%d.x.host", n))
		start := time.Now()
		c.wait = 2 * time.Second
		c.expect(fmt.Sprintf("* %d EXISTS", n))
		t.Logf("EXISTS %d heard %v after the delivery", n, time.Since(start))
	}
	c.send("DONE")
	c.expect("i OK Completed")
}

// TestUnwatchedNoopSeesOthers: a session that never waits hears of
// another program's changes in the answer to its next command, though
// nothing watches the mailbox: a delivery at NOOP, a flag change at
// FETCH.
func TestUnwatchedNoopSeesOthers(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string)
		cmd    string
		want   string
	}{
		{"delivery", func(t *testing.T, dir string) { deliverFile(t, dir, "1700000004.x.host") }, "n NOOP", "* 4 EXISTS"},
		{"flag change", func(t *testing.T, dir string) {
			files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M1P1.host*"))
			if len(files) != 1 {
				t.Fatalf("message 1's file: %q", files)
			}
			if err := os.Rename(files[0], files[0]+"F"); err != nil {
				t.Fatal(err)
			}
		}, "f FETCH 2 (FLAGS)", `* 1 FETCH (FLAGS (\Flagged))`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := startServer(t, nil)
			dir := quietInbox(t, e, 3)
			c := e.raw()
			c.login("alice")
			c.ok("s SELECT INBOX")
			time.Sleep(300 * time.Millisecond) // settled, and not watched
			if got := watchedDirs(t, dir); got != "new/ false, cur/ false" {
				t.Fatalf("after SELECT: %s, want no watch", got)
			}
			tt.change(t, dir)
			if u := c.ok(tt.cmd); !contains(u, tt.want) {
				t.Fatalf("%s after another program's %s: %q, want %q", tt.cmd, tt.name, u, tt.want)
			}
		})
	}
}
