package fsutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return cmd.Process.Pid
}

func TestStaleTemp(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no kill(2)")
	}
	dir := t.TempDir()
	f, err := CreateTemp(dir, "append", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	ours := filepath.Base(f.Name())
	dead := strconv.Itoa(deadPid(t))
	me := strconv.Itoa(os.Getpid())
	for _, tt := range []struct {
		name          string
		stale, locked bool
	}{
		{ours, false, false},
		{TempPrefix + ".append." + me + ".7.00000000." + thisHost(), true, false}, // an earlier process with our pid
		{TempPrefix + ".append." + dead + ".1." + thisRun() + "." + thisHost(), true, false},
		{TempPrefix + ".append." + dead + ".1", true, false}, // an older mailgate's name
		{TempPrefix + ".append." + dead + ".1.abcd.other-host", false, false},
		{TempPrefix + ".append." + strconv.Itoa(os.Getppid()) + ".1.abcd." + thisHost(), false, false},
		{TempPrefix + ".append." + me + ".1", false, false},
		{TempPrefix + ".mu-prop", false, true},
		{TempPrefix + ".mh_sequences", false, true},
		{TempPrefix + "dovecot-keywords", false, true},
		{TempPrefix + ".append.x.1", false, true},
		{"1700000000.M1P" + dead + ".host", false, false},
		{".mh_sequences", false, false},
	} {
		if got := StaleTemp(tt.name); got != tt.stale {
			t.Errorf("StaleTemp(%q) = %v", tt.name, got)
		}
		if got := LockedTemp(tt.name); got != tt.locked {
			t.Errorf("LockedTemp(%q) = %v", tt.name, got)
		}
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no kill(2)")
	}
	dir := t.TempDir()
	live, err := CreateTemp(dir, "append", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	live.Close()
	dead := TempPrefix + ".append." + strconv.Itoa(deadPid(t)) + ".3"
	for _, n := range []string{dead, TempPrefix + ".mu-prop", "1"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := os.ReadDir(dir)
	var all []string
	for _, e := range names {
		all = append(all, e.Name())
	}
	removed, err := RemoveStaleTemps(dir, all, false)
	if err != nil || !slices.Equal(removed, []string{dead}) {
		t.Fatalf("unlocked: removed %v, %v", removed, err)
	}
	removed, err = RemoveStaleTemps(dir, all, true)
	if err != nil || !slices.Equal(removed, []string{TempPrefix + ".mu-prop"}) {
		t.Fatalf("locked: removed %v, %v", removed, err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 2 {
		t.Errorf("left %v; want the live temporary file and 1", left)
	}
}

func TestCreateTempSkipsLeftovers(t *testing.T) {
	dir := t.TempDir()
	// A dead process with our pid and our counter left its files: the
	// next names are taken in turn.
	n := tempCount.Load()
	for i := n + 1; i <= n+3; i++ {
		name := TempPrefix + ".append." + strconv.Itoa(os.Getpid()) + "." + strconv.FormatUint(i, 10) + "." + thisRun() + "." + thisHost()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := CreateTemp(dir, "append", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("CreateTemp opened an existing file %s", f.Name())
	}
}

func TestUIDValidity(t *testing.T) {
	now := time.Unix(1800000000, 0)
	a := UIDValidity(now)
	b := UIDValidity(now)
	c := UIDValidity(now.Add(-time.Hour))
	if !(a >= 1800000000 && b > a && c > b) {
		t.Errorf("UIDValidity gave %d, %d, %d in one second and after the clock went back", a, b, c)
	}
	if d := UIDValidity(now.Add(time.Hour)); d < 1800003600 {
		t.Errorf("an hour later: %d", d)
	}
}

// TestCreateTempPlanted: a symbolic link or another's file at a
// temporary name is passed over, never opened, and names differ in a
// random part that nobody can guess from the last one.
func TestCreateTempPlanted(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "planted")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.OpenFile(filepath.Join(dir, "planted"), os.O_RDWR|os.O_CREATE|os.O_EXCL|noFollow, 0o600); err == nil {
		t.Fatal("O_EXCL|O_NOFOLLOW opened a symbolic link")
	}
	a, b := TempName(dir, "x"), TempName(dir, "x")
	ra, rb := strings.Split(filepath.Base(a), ".")[4], strings.Split(filepath.Base(b), ".")[4]
	if len(ra) < 11 || len(rb) < 11 || ra[len(ra)-10:] == rb[len(rb)-10:] {
		t.Errorf("temporary names %q and %q share their random part", a, b)
	}
	if err := WriteAtomic(dir, "x", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Errorf("the link's target was written: %q", got)
	}
}

func TestAbandonedWriteTemp(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	old := now.Add(-WriteMaxAge - time.Minute)
	for _, tt := range []struct {
		name      string
		mtime     time.Time
		link      bool
		abandoned bool
	}{
		{TempPrefix + ".atomic.1.7123.0badc0de.other-host", old, false, true},
		{TempPrefix + ".atomic.1.7123", old, false, true}, // an older mailgate's name
		{TempPrefix + ".atomic.1.7123.0badc0de.other-host", now, false, false},
		{TempPrefix + ".atomic.1.7123.0badc0de.other-host", now.Add(time.Hour), false, false}, // a skewed clock
		{TempPrefix + ".append.1.7123.0badc0de.other-host", old, false, false},                // may take any time
		{"..mailgate-cache.tmp1234567890", old, false, true},
		{".mailgate-cache.tmp1234567890", old, false, true},
		{".mailgate-index.tmp42", old, false, true},
		{".mailgate-cache.tmp1234567890", old, true, false},
		{".mailgate-cache.tmp", old, false, false},
		{".mailgate-cache.tmp12a", old, false, false},
		{"...mailgate-cache.tmp12", old, false, false},
		{".cache.tmp12", old, false, false},
		{"mailgate-cache.tmp12", old, false, false},
		{"12", old, false, false},
	} {
		path := filepath.Join(dir, tt.name)
		os.Remove(path)
		if tt.link {
			if err := os.Symlink("/dev/null", path); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, tt.mtime, tt.mtime); err != nil {
				t.Fatal(err)
			}
		}
		if got := AbandonedWriteTemp(dir, tt.name, now); got != tt.abandoned {
			t.Errorf("AbandonedWriteTemp(%q, mtime %v, link %v) = %v", tt.name, tt.mtime, tt.link, got)
		}
	}
}
