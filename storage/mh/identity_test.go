//go:build unix

package mh

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// Messages of the identity tests: a and b have the same size, and
// mkFolder gives every file the same time, so that only the inode tells
// them apart.
const (
	msgA    = "Subject: a\n\none\n"
	msgB    = "Subject: b\n\ntwo\n"
	msgLong = "Subject: a much longer message that sortm moved\n\nthree, four, five, six\n"
)

// renumberings are what other MH programs do to a folder of messages 1
// and 2 behind a Folder's back. renumbered says that number 1 then holds
// another file than the one the scan saw; files are what the folder's
// messages are afterwards.
var renumberings = []struct {
	name       string
	one, two   string
	change     func(t *testing.T, dir string)
	renumbered bool
	files      []string
}{
	{name: "sortm, other sizes", one: msgA, two: msgLong, change: swap, renumbered: true,
		files: []string{msgA, msgLong}},
	{name: "sortm, same size and time", one: msgA, two: msgB, change: swap, renumbered: true,
		files: []string{msgA, msgB}},
	// rmm renames 1 to ",1": the new file cannot have its inode.
	{name: "rmm, then inc with the same size and time", one: msgA, two: msgLong, renumbered: true,
		change: func(t *testing.T, dir string) {
			mustRename(t, dir, "1", ",1")
			writeFile(t, filepath.Join(dir, "1"), msgB, time.Unix(1700000000, 0))
		},
		files: []string{msgB, msgLong}},
	{name: "symbolic link", one: msgA, two: msgLong, renumbered: true,
		change: func(t *testing.T, dir string) {
			mustRemove(t, filepath.Join(dir, "1"))
			if err := os.Symlink("2", filepath.Join(dir, "1")); err != nil {
				t.Fatal(err)
			}
		},
		files: []string{msgLong}},
	{name: "FIFO", one: msgA, two: msgLong, renumbered: true,
		change: func(t *testing.T, dir string) {
			mustRemove(t, filepath.Join(dir, "1"))
			if err := syscall.Mkfifo(filepath.Join(dir, "1"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		files: []string{msgLong}},
	{name: "annotated in place", one: msgA, two: msgLong,
		change: func(t *testing.T, dir string) {
			// nmh's anno rewrites the file in place: the same inode.
			if err := os.WriteFile(filepath.Join(dir, "1"), []byte("Replied: today\n"+msgA), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		files: []string{"Replied: today\n" + msgA, msgLong}},
}

// swap renumbers messages 1 and 2 as sortm does: by renames.
func swap(t *testing.T, dir string) {
	mustRename(t, dir, "1", "tmp")
	mustRename(t, dir, "2", "1")
	mustRename(t, dir, "tmp", "2")
}

func mustRename(t *testing.T, dir, from, to string) {
	t.Helper()
	if err := os.Rename(filepath.Join(dir, from), filepath.Join(dir, to)); err != nil {
		t.Fatal(err)
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// contents returns the content of every message of s, sorted.
func contents(t *testing.T, f *Folder, s storage.Snapshot) []string {
	t.Helper()
	var got []string
	for _, m := range s.Messages {
		got = append(got, readAll(t, f, m.UID))
	}
	slices.Sort(got)
	return got
}

// TestOpenAfterRenumber: another MH program renumbers the folder, or
// replaces or changes message 1's file, between two scans. Open and
// OpenQuick never give the file now under number 1 as message 1 (its
// content under the size the scan measured): OpenQuick says it cannot,
// Open says the message is gone. The next Scan gives a file that
// another program put under a number a fresh number (the old UID is
// expunged, the file appears as a new message), while a file changed in
// place keeps its number; every message is there once.
func TestOpenAfterRenumber(t *testing.T) {
	for _, tt := range renumberings {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": tt.one, "2": tt.two})
			f := mustOpen(t, testDriver(), path)
			if got := uidsOf(mustScan(t, f)); !slices.Equal(got, []uint32{1, 2}) {
				t.Fatalf("UIDs %v", got)
			}
			tt.change(t, path)
			if rc, ok := f.OpenQuick(1); ok {
				rc.Close()
				t.Fatal("OpenQuick(1) opened the file now under number 1")
			}
			if rc, err := f.Open(1); !errors.Is(err, storage.ErrNoMessage) {
				if err == nil {
					rc.Close()
				}
				t.Fatalf("Open(1): %v, want ErrNoMessage", err)
			}
			s := mustScan(t, f)
			_, has1 := message(s, 1)
			if has1 == tt.renumbered {
				t.Errorf("after the scan UIDs %v: UID 1 there is %v, want %v", uidsOf(s), has1, !tt.renumbered)
			}
			if got, want := contents(t, f, s), slices.Sorted(slices.Values(tt.files)); !slices.Equal(got, want) {
				t.Errorf("messages %q, want %q", got, tt.files)
			}
			for _, m := range s.Messages {
				rc, ok := f.OpenQuick(m.UID)
				if !ok {
					t.Errorf("OpenQuick(%d) after the scan failed", m.UID)
					continue
				}
				rc.Close()
				if m.Size != crlfSize(readAll(t, f, m.UID)) {
					t.Errorf("UID %d: size %d for content %q", m.UID, m.Size, readAll(t, f, m.UID))
				}
			}
		})
	}
}

// TestExpungeAfterRenumber: an EXPUNGE that reaches the folder after
// another program renumbered it, or changed message 1's file, before the
// Folder's next scan, must not remove the file now under the number (to
// lstat(2), a file written with a removed file's inode number looks like
// that file changed in place): it leaves it, says so with ErrNoMessage,
// and still removes the other messages asked for. After the scan a file
// changed in place is the message still, and goes at the next try.
func TestExpungeAfterRenumber(t *testing.T) {
	for _, tt := range renumberings {
		t.Run(tt.name, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": tt.one, "2": tt.two, "3": msgB})
			f := mustOpen(t, testDriver(), path)
			mustScan(t, f)
			tt.change(t, path)
			if err := f.Expunge([]uint32{1, 3}); !errors.Is(err, storage.ErrNoMessage) {
				t.Fatalf("Expunge: %v, want ErrNoMessage", err)
			}
			if _, err := os.Lstat(filepath.Join(path, ",3")); err != nil {
				t.Errorf("message 3 was not expunged: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(path, "1")); err != nil {
				t.Errorf("number 1 was expunged: %v", err)
			}
			s := mustScan(t, f)
			if got, want := contents(t, f, s), slices.Sorted(slices.Values(tt.files)); !slices.Equal(got, want) {
				t.Errorf("messages after the expunge %q, want %q", got, want)
			}
			if tt.renumbered {
				return
			}
			if err := f.Expunge([]uint32{1}); err != nil {
				t.Fatalf("Expunge after the scan: %v", err)
			}
			if got, want := contents(t, f, mustScan(t, f)), tt.files[1:]; !slices.Equal(got, want) {
				t.Errorf("messages after the second expunge %q, want %q", got, want)
			}
		})
	}
}

// TestStageLinkAfterRenumber: a COPY by hard link from a folder that
// another program renumbered since its last scan must not copy the file
// now under the message's number.
func TestStageLinkAfterRenumber(t *testing.T) {
	src := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
	from := mustOpen(t, testDriver(), src)
	mustScan(t, from)
	dstPath, d := newFolder(t)
	dst := mustOpen(t, d, dstPath)
	mustScan(t, dst)
	swap(t, src)
	if s, err := dst.StageLink(from, 1, nil); !errors.Is(err, storage.ErrNoMessage) {
		if err == nil {
			s.Abort()
		}
		t.Fatalf("StageLink: %v, want ErrNoMessage", err)
	}
	for _, name := range listDir(t, dstPath) {
		if name != seqFile && name != propsFile && name != numbersFile {
			t.Errorf("%s left in the destination", name)
		}
	}
}

// TestUnchangedAfterReplacedOpen: a folder whose directory time did not
// move (a coarse clock, or another program that set it back) still gets
// read again once an open found a number holding another file: the
// Folder no longer vouches for it.
func TestUnchangedAfterReplacedOpen(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
	old := time.Now().Add(-time.Hour)
	setDirTime := func() {
		t.Helper()
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	setDirTime()
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	// The scan wrote .mu-prop and .mh_sequences: age them, and scan again.
	for _, name := range []string{propsFile, seqFile} {
		os.Chtimes(filepath.Join(path, name), old, old)
	}
	setDirTime()
	mustScan(t, f)
	if !f.Unchanged() {
		t.Fatal("Unchanged false before any change")
	}
	swap(t, path)
	setDirTime()
	if _, err := f.Open(1); !errors.Is(err, storage.ErrNoMessage) {
		t.Fatalf("Open(1): %v, want ErrNoMessage", err)
	}
	if f.Unchanged() {
		t.Error("Unchanged true after an open found another file under number 1")
	}
}

// TestNmhRenumber: the real nmh programs renumber a folder that mailgate
// has scanned: sortm (by renames), rmm with folder -pack, and anno,
// which annotates a message in place. Until mailgate's next scan, no
// open gives a number's new file as the old message; after it, every
// message is there once, and a UID holds the content it had (or is
// gone): the annotated message keeps its UID, with the new header.
func TestNmhRenumber(t *testing.T) {
	nmhRenumberSteps(t, func(step string, f *Folder, had map[uint32]string) map[uint32]string {
		for uid := range had {
			if rc, err := f.Open(uid); err == nil {
				b, _ := io.ReadAll(rc)
				rc.Close()
				if string(b) != had[uid] {
					t.Errorf("%s: Open(%d) before the scan gave %q, the message was %q", step, uid, b, had[uid])
				}
			}
		}
		now := map[uint32]string{}
		for _, m := range mustScan(t, f).Messages {
			now[m.UID] = readAll(t, f, m.UID)
		}
		return now
	})
}

// nmhRenumberSteps makes, in a new nmh user's inbox, three messages
// dated in the reverse order of their numbers (so that sortm swaps 1 and
// 3) through the Folder f it opens, and runs on them the real nmh
// programs that renumber: sortm (by renames), rmm with folder -pack, and
// anno, which annotates a message in place. look is called first with
// step "", then after each step with its name, with f and what it
// returned last, and returns every message's content by UID as the
// Folder under test sees the folder then. A UID must keep its content
// (anno's fields added above it aside) or be gone, and each step must
// have done what it does.
func nmhRenumberSteps(t *testing.T, look func(step string, f *Folder, had map[uint32]string) map[uint32]string) {
	t.Helper()
	for _, tool := range []string{"sortm", "folder", "rmm", "anno"} {
		nmhTool(t, tool)
	}
	e := newNmhEnv(t)
	d := &Driver{}
	inbox := filepath.Join(e.home, "Mail", "inbox")
	if err := d.Create(inbox, 0o600); err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, d, inbox)
	mustScan(t, f)
	for i, day := range []string{"03", "02", "01"} {
		appendMsg(t, f, fmt.Sprintf("From: a@example.org\nDate: Mon, %s Jan 2024 00:00:00 +0000\nSubject: %d\n\nbody %s\n", day, i+1, strings.Repeat("x", i)))
	}
	had := look("", f, nil)
	all := slices.Sorted(maps.Values(had))
	step := func(name string) {
		t.Helper()
		now := look(name, f, had)
		checkUIDsKept(t, name, had, now)
		had = now
	}

	e.run("sortm", "+inbox")
	step("sortm")
	if got := slices.Sorted(maps.Values(had)); !slices.Equal(got, all) {
		t.Fatalf("after sortm: %q, want %q", got, all)
	}
	if _, ok := had[2]; !ok {
		t.Errorf("after sortm: UID 2, which sortm left alone, is gone: %v", slices.Sorted(maps.Keys(had)))
	}

	e.run("rmm", "+inbox", "first")
	e.run("folder", "+inbox", "-pack")
	step("rmm, folder -pack")
	if len(had) != 2 {
		t.Fatalf("after folder -pack: %d messages, want 2", len(had))
	}

	last := slices.Max(slices.Collect(maps.Keys(had)))
	e.run("anno", "+inbox", strconv.FormatUint(uint64(last), 10), "-component", "Replied", "-text", "yes")
	step("anno")
	if got, ok := had[last]; !ok || !strings.HasPrefix(got, "Replied:") {
		t.Errorf("after anno: UID %d = %q, want it annotated", last, got)
	}
}
