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
			c := selectUnwatched(t, e, dir)
			tt.change(t, dir)
			if u := c.ok(tt.cmd); !contains(u, tt.want) {
				t.Fatalf("%s after another program's %s: %q, want %q", tt.cmd, tt.name, u, tt.want)
			}
		})
	}
}

// selectUnwatched logs alice in and selects INBOX, the maildir dir,
// and returns once it has settled, unwatched.
func selectUnwatched(t *testing.T, e *testEnv, dir string) *rawConn {
	t.Helper()
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	time.Sleep(300 * time.Millisecond) // settled, and not watched
	if got := watchedDirs(t, dir); got != "new/ false, cur/ false" {
		t.Fatalf("after SELECT: %s, want no watch", got)
	}
	return c
}

// renameMessage renames message i's file in dir's cur/ (named as
// maildirtest.WriteQuiet names it) to carry the flag letters letters, as
// another program (mutt) does, and returns its new path.
func renameMessage(t *testing.T, dir string, i int, letters string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "cur", fmt.Sprintf("1700000000.M%dP1.host*", i)))
	if len(files) != 1 {
		t.Fatalf("message %d's files: %q", i, files)
	}
	name := files[0][:strings.LastIndex(files[0], ":2,")+3] + letters
	if err := os.Rename(files[0], name); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestUnwatchedCommandSeesOthersFirst: a command that acts on the
// mailbox's state works from another program's change made between two
// commands, though nothing watches the mailbox: a STORE adds to the
// flags the other program set, rather than to the old ones, and keeps
// them on disk; an EXPUNGE spares a message the other program
// undeleted; a SEARCH finds a flag it set.
func TestUnwatchedCommandSeesOthersFirst(t *testing.T) {
	for _, tt := range []struct {
		name    string
		deleted bool // message 3 is \Deleted before the SELECT
		change  func(t *testing.T, dir string)
		cmd     string
		want    string                         // an untagged answer
		wantNot string                         // an untagged answer that must not come
		after   func(t *testing.T, dir string) // the files, once answered
	}{
		{
			name:   "STORE keeps a \\Seen set by another program",
			change: func(t *testing.T, dir string) { renameMessage(t, dir, 2, "S") },
			cmd:    `a STORE 2 +FLAGS (\Flagged)`,
			want:   `* 2 FETCH (FLAGS (\Flagged \Seen))`,
			after: func(t *testing.T, dir string) {
				if files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M2P1.host*:2,FS")); len(files) != 1 {
					t.Errorf("message 2 is not \\Flagged \\Seen on disk: %q", files)
				}
			},
		},
		{
			name:    "EXPUNGE spares a message another program undeleted",
			deleted: true,
			change:  func(t *testing.T, dir string) { renameMessage(t, dir, 3, "") },
			cmd:     "x EXPUNGE",
			want:    `* 3 FETCH (FLAGS ())`,
			wantNot: "* 3 EXPUNGE",
			after: func(t *testing.T, dir string) {
				if files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M3P1.host*")); len(files) != 1 {
					t.Errorf("message 3 was removed: %q", files)
				}
			},
		},
		{
			name:   "SEARCH finds a flag set by another program",
			change: func(t *testing.T, dir string) { renameMessage(t, dir, 1, "F") },
			cmd:    "s SEARCH FLAGGED",
			want:   "* SEARCH 1",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := startServer(t, nil)
			dir := quietInbox(t, e, 3)
			if tt.deleted {
				renameMessage(t, dir, 3, "T")
				old := time.Now().Add(-time.Hour)
				if err := os.Chtimes(filepath.Join(dir, "cur"), old, old); err != nil {
					t.Fatal(err)
				}
			}
			c := selectUnwatched(t, e, dir)
			tt.change(t, dir)
			time.Sleep(100 * time.Millisecond) // the client thinks a while
			u := c.ok(tt.cmd)
			if !contains(u, tt.want) {
				t.Errorf("%s after another program's change: %q, want %q", tt.cmd, u, tt.want)
			}
			if tt.wantNot != "" && contains(u, tt.wantNot) {
				t.Errorf("%s after another program's change: %q, want no %q", tt.cmd, u, tt.wantNot)
			}
			if tt.after != nil {
				tt.after(t, dir)
			}
		})
	}
}
