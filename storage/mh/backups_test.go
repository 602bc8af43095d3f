package mh

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock that a test sets and moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// keepDriver is testDriver with the clock c and backups kept for keep
// (0: the default; negative: none).
func keepDriver(c *testClock, keep time.Duration) *Driver {
	return &Driver{Options: Options{Now: c.Now, UIDValidity: testValidity, KeepExpunged: keep}}
}

// backupsIn returns the names in dir that start with ",", sorted.
func backupsIn(t *testing.T, dir string) []string {
	t.Helper()
	return slices.DeleteFunc(listDir(t, dir), func(n string) bool { return !strings.HasPrefix(n, ",") })
}

// scanTidied scans f and waits for the removal of backups that the scan
// may have started.
func scanTidied(t *testing.T, f *Folder) {
	t.Helper()
	mustScan(t, f)
	f.tidy.wg.Wait()
}

// TestExpungedBackupsDoNotPileUp (soak review): Expunge renames each
// message to ",N", as nmh's rmm does. nmh reuses numbers, so its ",N"
// files are overwritten; mailgate's numbers are UIDs and never come
// back, so without removal every message ever expunged stayed on disk,
// outside the quota and outside anything a client can see or delete
// (16k files beside 37 messages after 30 minutes of imaptest). Backups
// now stay for the keep time (none: removed at expunge), and go once
// older.
func TestExpungedBackupsDoNotPileUp(t *testing.T) {
	const n = 60
	fill := func(t *testing.T, f *Folder) {
		t.Helper()
		mustScan(t, f)
		for range n {
			m := appendMsg(t, f, "Subject: gone soon\r\n\r\nbody\r\n")
			if err := f.Expunge([]uint32{m.UID}); err != nil {
				t.Fatal(err)
			}
		}
		f.tidy.wg.Wait()
	}
	t.Run("none kept", func(t *testing.T) {
		c := &testClock{t: time.Now()}
		path, _ := newFolder(t)
		f := mustOpen(t, keepDriver(c, -1), path)
		f.MayTidy()
		fill(t, f)
		if b := backupsIn(t, path); len(b) != 0 {
			t.Errorf("keeping none: %d backups after %d messages were expunged", len(b), n)
		}
	})
	t.Run("kept a day", func(t *testing.T) {
		c := &testClock{t: time.Now()}
		path, _ := newFolder(t)
		f := mustOpen(t, keepDriver(c, 0), path)
		f.MayTidy()
		fill(t, f)
		if b := backupsIn(t, path); len(b) != n {
			t.Fatalf("right after the expunges: %d backups, want %d", len(b), n)
		}
		c.Set(time.Now().Add(DefaultKeepExpunged + time.Minute))
		scanTidied(t, f)
		if b := backupsIn(t, path); len(b) != 0 {
			t.Errorf("a day later: %d backups left: %v", len(b), b)
		}
		if names := listDir(t, path); slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, tmpPrefix) }) {
			t.Errorf("temporary files left: %v", names)
		}
	})
}

// TestBackupsOlderRemovedYoungerKept: a backup whose ctime (which the
// rename set) is older than the keep time goes, a younger one stays,
// whatever their mtimes; names that are not exactly ",<digits>", and
// ",N" names that are not regular files, stay whatever their age: a
// symbolic link is not followed (its target stays) nor removed, and a
// directory is left as it is.
func TestBackupsOlderRemovedYoungerKept(t *testing.T) {
	c := &testClock{}
	path, _ := newFolder(t)
	f := mustOpen(t, keepDriver(c, 0), path)
	mustScan(t, f)
	var old, young []uint32
	for range 3 {
		old = append(old, appendMsg(t, f, "Subject: old\r\n\r\nbody\r\n").UID)
	}
	if err := f.Expunge(old); err != nil {
		t.Fatal(err)
	}
	// Made as old, whatever their names.
	elsewhere := filepath.Join(t.TempDir(), "precious")
	writeFile(t, elsewhere, "keep me", time.Time{})
	if err := os.Symlink(elsewhere, filepath.Join(path, ",900")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{",901", ",902"} {
		if err := os.Mkdir(filepath.Join(path, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(path, ",902", "inside"), "x", time.Time{})
	others := []string{",", ",5x", ",-5", "x,5", ",5.orig", ",\u0665"}
	for _, name := range others {
		writeFile(t, filepath.Join(path, name), "not a backup", time.Time{})
	}
	time.Sleep(50 * time.Millisecond) // ctime's clock is coarse
	mid := time.Now()
	time.Sleep(50 * time.Millisecond)
	for range 2 {
		young = append(young, appendMsg(t, f, "Subject: young\r\n\r\nbody\r\n").UID)
	}
	// An old mtime does not make a backup old.
	for _, uid := range young {
		if err := os.Chtimes(f.file(uid), time.Unix(1e9, 0), time.Unix(1e9, 0)); err != nil {
			t.Fatal(err)
		}
	}
	mustScan(t, f)
	if err := f.Expunge(young); err != nil {
		t.Fatal(err)
	}
	c.Set(mid.Add(DefaultKeepExpunged))
	f.MayTidy()
	scanTidied(t, f)

	want := []string{",900", ",901", ",902"}
	for _, name := range others {
		if strings.HasPrefix(name, ",") {
			want = append(want, name)
		}
	}
	for _, uid := range young {
		want = append(want, ","+strconv.FormatUint(uint64(uid), 10))
	}
	slices.Sort(want)
	if got := backupsIn(t, path); !slices.Equal(got, want) {
		t.Errorf("left: %q\nwant: %q", got, want)
	}
	if readFile(t, elsewhere) != "keep me" {
		t.Error("the symbolic link's target changed")
	}
	if readFile(t, filepath.Join(path, ",902", "inside")) != "x" {
		t.Error("the directory's content changed")
	}
}

// TestBackupsLookedAtHourly: a folder's backups are looked at once an
// hour at most, in one Folder and across processes (tidyFile); a
// tidyFile dated in the future is not trusted.
func TestBackupsLookedAtHourly(t *testing.T) {
	c := &testClock{t: time.Now().Add(48 * time.Hour)} // every backup made now is old
	path, _ := newFolder(t)
	backup := func(name string) {
		writeFile(t, filepath.Join(path, name), "old", time.Time{})
	}
	f := mustOpen(t, keepDriver(c, 0), path)
	f.MayTidy()
	backup(",1")
	scanTidied(t, f)
	if b := backupsIn(t, path); len(b) != 0 {
		t.Fatalf("first look: %v left", b)
	}
	backup(",2")
	scanTidied(t, f)
	g := mustOpen(t, keepDriver(c, 0), path) // another process
	g.MayTidy()
	scanTidied(t, g)
	if b := backupsIn(t, path); !slices.Equal(b, []string{",2"}) {
		t.Fatalf("within the hour, in this Folder and another: %v left, want ,2", b)
	}
	c.Set(c.Now().Add(tidyEvery + time.Second))
	scanTidied(t, g)
	if b := backupsIn(t, path); len(b) != 0 {
		t.Fatalf("an hour later: %v left", b)
	}

	// A tidyFile dated tomorrow is taken as wrong.
	backup(",3")
	future := c.Now().Add(24 * time.Hour)
	if err := os.Chtimes(filepath.Join(path, tidyFile), future, future); err != nil {
		t.Fatal(err)
	}
	h := mustOpen(t, keepDriver(c, 0), path)
	h.MayTidy()
	scanTidied(t, h)
	if b := backupsIn(t, path); len(b) != 0 {
		t.Errorf("with %s dated tomorrow: %v left", tidyFile, b)
	}
}

// TestBackupsStayUnlessMayTidy: a Folder that the core did not tell that
// a session that may change the mailbox uses it (another user's, which
// is read-only) removes no backup, at a scan or at an expunge, even
// where the file system would let it.
func TestBackupsStayUnlessMayTidy(t *testing.T) {
	c := &testClock{t: time.Now().Add(48 * time.Hour)}
	path, _ := newFolder(t)
	writeFile(t, filepath.Join(path, ",77"), "old", time.Time{})
	f := mustOpen(t, keepDriver(c, 0), path)
	scanTidied(t, f)
	m := appendMsg(t, f, "Subject: x\r\n\r\nbody\r\n")
	if err := f.Expunge([]uint32{m.UID}); err != nil {
		t.Fatal(err)
	}
	scanTidied(t, f)
	if b := backupsIn(t, path); len(b) != 2 {
		t.Errorf("backups %v, want ,%d and ,77", b, m.UID)
	}
	if names := listDir(t, path); slices.Contains(names, tidyFile) {
		t.Errorf("%s written", tidyFile)
	}
}

// TestBackupsInFolderOfAnotherUser: root's old backups stay in a folder
// this user may only read (no tidyFile either), and in a shared folder
// with the sticky bit, where this user may write the folder but not
// remove root's files. It needs root, to make root's files, and runs as
// another user.
func TestBackupsInFolderOfAnotherUser(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode os.FileMode
	}{
		{"read-only", 0o755},
		{"sticky", 0o777 | os.ModeSticky},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if os.Geteuid() == 0 {
				path := rootFolder(t, tc.mode)
				writeFile(t, filepath.Join(path, ",1"), msgA, time.Time{})
				if err := os.Chmod(filepath.Join(path, ",1"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
				runAsOtherUser(t, rootFolderEnv+"="+path)
				if _, err := os.Lstat(filepath.Join(path, ",1")); err != nil {
					t.Errorf("root's backup: %v", err)
				}
				return
			}
			path := os.Getenv(rootFolderEnv)
			if path == "" {
				t.Skip("needs root, to make a folder of root's files")
			}
			c := &testClock{t: time.Now().Add(48 * time.Hour)}
			f := mustOpen(t, keepDriver(c, 0), path)
			f.MayTidy()
			scanTidied(t, f)
			if b := backupsIn(t, path); !slices.Equal(b, []string{",1"}) {
				t.Errorf("backups %v, want root's ,1", b)
			}
			if _, err := os.Lstat(filepath.Join(path, tidyFile)); tc.mode.Perm() == 0o755 && err == nil {
				t.Errorf("%s written in a folder this user may only read", tidyFile)
			}
		})
	}
}

// TestDeleteRemovesTidyFile: DELETE of a folder whose backups were
// looked at leaves no directory behind.
func TestDeleteRemovesTidyFile(t *testing.T) {
	c := &testClock{t: time.Now().Add(48 * time.Hour)}
	path, d := newFolder(t)
	writeFile(t, filepath.Join(path, ",1"), "old", time.Time{})
	f := mustOpen(t, keepDriver(c, 0), path)
	f.MayTidy()
	scanTidied(t, f)
	if _, err := os.Lstat(filepath.Join(path, tidyFile)); err != nil {
		t.Fatalf("%s: %v", tidyFile, err)
	}
	f.Close()
	if err := d.Delete(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("after Delete: %v, names %v", err, listDir(t, path))
	}
}
