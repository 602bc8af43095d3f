package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// copyFlags are the flags of the messages copied, in turn.
var copyFlags = [][]string{{storage.FlagSeen}, nil, {storage.FlagFlagged, "$Label1"}}

// fillMaildir appends n messages to name, with copyFlags in turn and
// internal dates a day apart.
func fillMaildir(t *testing.T, a *storage.Account, name string, n int) {
	t.Helper()
	if err := a.Create(name); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		date := time.Date(2020, 1, 1+i, 12, 0, 0, 0, time.UTC)
		if _, _, err := a.Append(name, msg(fmt.Sprint("m", i)), copyFlags[i%len(copyFlags)], date); err != nil {
			t.Fatal(err)
		}
	}
}

// filesOf returns the message files of the maildir at dir, by the UID
// their names carry, and fails if tmp/ holds anything.
func filesOf(t *testing.T, dir string) map[uint32]string {
	t.Helper()
	files := map[uint32]string{}
	for _, sub := range []string{"new", "cur"} {
		names, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		for _, p := range names {
			var uid uint32
			base := filepath.Base(p)
			for i := 0; i+3 < len(base); i++ {
				if base[i:i+3] == ",u=" {
					fmt.Sscanf(base[i+3:], "%d", &uid)
				}
			}
			files[uid] = p
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(left) > 0 {
		t.Errorf("%s/tmp holds %q", dir, left)
	}
	return files
}

// checkCopies checks that the messages dst of mailbox to are those src
// of v: same content, flags and internal dates, and, when linked, the
// same files.
func checkCopies(t *testing.T, a *storage.Account, v *storage.View, src, dst []uint32, srcDir, dstDir, to string, linked bool) {
	t.Helper()
	w, err := a.Select(to, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if !slices.Equal(w.UIDs(), dst) {
		t.Fatalf("%s holds UIDs %v, want %v", to, w.UIDs(), dst)
	}
	from, copies := make([]storage.Message, len(src)), make([]storage.Message, len(dst))
	v.Lookup(src, from)
	w.Lookup(dst, copies)
	srcFiles, dstFiles := filesOf(t, srcDir), filesOf(t, dstDir)
	for i := range src {
		if !slices.Equal(copies[i].Flags, from[i].Flags) || !copies[i].InternalDate.Equal(from[i].InternalDate) || copies[i].Size != from[i].Size {
			t.Errorf("copy %d of %d: %v %v %d, want %v %v %d", dst[i], src[i], copies[i].Flags, copies[i].InternalDate, copies[i].Size, from[i].Flags, from[i].InternalDate, from[i].Size)
		}
		if got, want := readMessage(t, w, dst[i]), readMessage(t, v, src[i]); got != want {
			t.Errorf("copy %d reads %q, want %q", dst[i], got, want)
		}
		sfi, err1 := os.Stat(srcFiles[src[i]])
		dfi, err2 := os.Stat(dstFiles[dst[i]])
		if err1 != nil || err2 != nil {
			t.Fatalf("files of %d and %d: %v, %v", src[i], dst[i], err1, err2)
		}
		if os.SameFile(sfi, dfi) != linked {
			t.Errorf("copy %d is a hard link of %d: %v, want %v", dst[i], src[i], !linked, linked)
		}
	}
}

// TestCopyMaildirLinks: COPY between maildirs on one file system links
// the files (storage.LinkStager) and MOVE renames them (storage.MoveStager),
// each committing them as one batch; the copies and the moved messages
// keep flags and internal dates, and the moved messages are the very
// source files, gone from the source.
func TestCopyMaildirLinks(t *testing.T) {
	a, home, _ := formatAccount(t, formatCase{name: "maildir"})
	fillMaildir(t, a, "src", 12)
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// Another program moves a message's file meanwhile (from cur/ back
	// to new/, which changes no flag): the file has another path than
	// the one the view knows, which the link finds again.
	files := filesOf(t, filepath.Join(home, "src"))
	if err := os.Rename(files[5], filepath.Join(home, "src", "new", filepath.Base(files[5]))); err != nil {
		t.Fatal(err)
	}
	uids := slices.Clone(v.UIDs())
	if err := a.Create("dst"); err != nil {
		t.Fatal(err)
	}
	_, src, dst, err := a.Copy(v, uids, "dst")
	if err != nil || len(src) != 12 || len(dst) != 12 {
		t.Fatalf("COPY: %v %v %v", src, dst, err)
	}
	checkCopies(t, a, v, src, dst, filepath.Join(home, "src"), filepath.Join(home, "dst"), "dst", true)

	if err := a.Create("moved"); err != nil {
		t.Fatal(err)
	}
	before := make([]storage.Message, len(uids))
	v.Lookup(uids, before)
	srcInfo := map[uint32]os.FileInfo{}
	for uid, f := range filesOf(t, filepath.Join(home, "src")) {
		if srcInfo[uid], err = os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	_, src, dst, err = a.Move(v, uids, "moved")
	if err != nil || len(src) != 12 || len(dst) != 12 {
		t.Fatalf("MOVE: %v %v %v", src, dst, err)
	}
	var r recorder
	v.Poll(true, &r)
	if v.Count() != 0 || len(filesOf(t, filepath.Join(home, "src"))) != 0 {
		t.Errorf("after MOVE the source holds %d messages, %d files", v.Count(), len(filesOf(t, filepath.Join(home, "src"))))
	}
	w, err := a.Select("moved", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	after := make([]storage.Message, len(dst))
	w.Lookup(dst, after)
	for i := range before {
		if !slices.Equal(after[i].Flags, before[i].Flags) || !after[i].InternalDate.Equal(before[i].InternalDate) {
			t.Errorf("moved %d: %v %v, was %v %v", dst[i], after[i].Flags, after[i].InternalDate, before[i].Flags, before[i].InternalDate)
		}
	}
	if got := readMessage(t, w, dst[3]); got != "Subject: m3\r\n\r\nbody\r\n" {
		t.Errorf("moved message reads %q", got)
	}
	moved := filesOf(t, filepath.Join(home, "moved"))
	for i := range src {
		fi, err := os.Stat(moved[dst[i]])
		if err != nil || !os.SameFile(fi, srcInfo[src[i]]) {
			t.Errorf("moved %d is not the file of %d renamed (%v)", dst[i], src[i], err)
		}
	}
}

// otherOwnersSource makes maildirs "src", with 3 messages whose files
// belong to nobody (as root; the test is skipped otherwise), selected
// as v, and "dst", empty.
func otherOwnersSource(t *testing.T) (a *storage.Account, home string, v *storage.View) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	a, home, _ = formatAccount(t, formatCase{name: "maildir"})
	fillMaildir(t, a, "src", 3)
	for _, f := range filesOf(t, filepath.Join(home, "src")) {
		if err := os.Chown(f, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if err := a.Create("dst"); err != nil {
		t.Fatal(err)
	}
	return a, home, v
}

// TestMoveMaildirOtherOwnersFiles: a message file that belongs to another
// user is not moved as it is either, but copied and then removed from
// the source, as a MOVE by COPY and EXPUNGE would.
func TestMoveMaildirOtherOwnersFiles(t *testing.T) {
	a, home, v := otherOwnersSource(t)
	want := readMessage(t, v, 2)
	_, src, dst, err := a.Move(v, slices.Clone(v.UIDs()), "dst")
	if err != nil || len(src) != 3 || len(dst) != 3 {
		t.Fatalf("MOVE: %v %v %v", src, dst, err)
	}
	if left := filesOf(t, filepath.Join(home, "src")); len(left) != 0 {
		t.Errorf("the source holds %v after the MOVE", left)
	}
	for uid, f := range filesOf(t, filepath.Join(home, "dst")) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || st.Nlink != 1 {
			t.Errorf("moved message %d: owner %d, %d links; want a file of its own", uid, st.Uid, st.Nlink)
		}
	}
	w, err := a.Select("dst", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := readMessage(t, w, dst[1]); got != want {
		t.Errorf("moved message reads %q, want %q", got, want)
	}
}

// TestCopyMaildirOtherOwnersFiles: a message file that belongs to another
// user (a shared mailbox, a file another program left) is copied, not
// linked: a link would let its owner change the copy in this mailbox.
func TestCopyMaildirOtherOwnersFiles(t *testing.T) {
	a, home, v := otherOwnersSource(t)
	_, src, dst, err := a.Copy(v, slices.Clone(v.UIDs()), "dst")
	if err != nil || len(dst) != 3 {
		t.Fatalf("COPY: %v %v %v", src, dst, err)
	}
	checkCopies(t, a, v, src, dst, filepath.Join(home, "src"), filepath.Join(home, "dst"), "dst", false)
}

// TestCopyMaildirAcrossFileSystems: where a link is impossible (EXDEV:
// the destination on another file system), COPY copies the content.
func TestCopyMaildirAcrossFileSystems(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "mailgate-copy-")
	if err != nil {
		t.Skip("no /dev/shm to put a second file system in:", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	root := t.TempDir()
	var st1, st2 syscall.Stat_t
	if syscall.Stat(root, &st1) != nil || syscall.Stat(other, &st2) != nil || st1.Dev == st2.Dev {
		t.Skip("/dev/shm is on the same file system as", root)
	}
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{
		Inbox:       "maildir:$home/INBOX",
		DefaultType: "maildir",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{
			{Directory: "$home", Type: "maildir"},
			{Prefix: "shm/", Directory: other, Type: "maildir"},
		}},
	}
	a := s.Account(storage.User{Name: "alice", Home: root}, layout)
	fillMaildir(t, a, "src", 5)
	if err := a.Create("shm/dst"); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, src, dst, err := a.Copy(v, v.UIDs(), "shm/dst")
	if err != nil || len(dst) != 5 {
		t.Fatalf("COPY across file systems: %v %v %v", src, dst, err)
	}
	checkCopies(t, a, v, src, dst, filepath.Join(root, "src"), filepath.Join(other, "dst"), "shm/dst", false)
}

// TestMoveMaildirBothWays: two sessions moving messages between the same
// two maildirs in opposite directions at once neither deadlock (each
// commit locks both folders, always in one order) nor lose or duplicate
// a message.
func TestMoveMaildirBothWays(t *testing.T) {
	a, home, _ := formatAccount(t, formatCase{name: "maildir"})
	fillMaildir(t, a, "A", 30)
	fillMaildir(t, a, "B", 30)
	done := make(chan error, 2)
	for _, dir := range [][2]string{{"A", "B"}, {"B", "A"}} {
		go func() {
			v, err := a.Select(dir[0], false)
			if err != nil {
				done <- err
				return
			}
			defer v.Close()
			for range 20 {
				var r recorder
				v.Poll(true, &r)
				if _, _, _, err := a.Move(v, slices.Clone(v.UIDs()), dir[1]); err != nil {
					done <- fmt.Errorf("MOVE %s to %s: %w", dir[0], dir[1], err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("the MOVEs do not end: deadlock?")
		}
	}
	subjects := map[string]int{}
	for _, name := range []string{"A", "B"} {
		v, err := a.Select(name, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, uid := range v.UIDs() {
			subjects[readMessage(t, v, uid)]++
		}
		v.Close()
		if left, _ := filepath.Glob(filepath.Join(home, name, "tmp", "*")); len(left) > 0 {
			t.Errorf("%s/tmp holds %v", name, left)
		}
	}
	if len(subjects) != 30 {
		t.Errorf("%d different messages in A and B, want 30", len(subjects))
	}
	for s, n := range subjects {
		if n != 2 { // fillMaildir gave A and B the same 30 subjects
			t.Errorf("message %q is there %d times, want 2", s, n)
		}
	}
}
