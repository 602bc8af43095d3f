//go:build linux

package mh

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSetFlagsAfterRenumber: a STORE that reaches the folder
// after sortm swapped messages 1 and 2, before the Folder's next scan,
// writes the flags into .mh_sequences under number 1, which is now the
// other message's: the next Scan moves that membership with the file to
// its fresh number, so the other message carries \Deleted (and the next
// EXPUNGE removes mail the user never deleted). SetFlags and
// SetFlagsBatch must check the file as Expunge does.
func TestSetFlagsAfterRenumber(t *testing.T) {
	for _, batch := range []bool{false, true} {
		path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
		f := mustOpen(t, testDriver(), path)
		mustScan(t, f)
		swap(t, path) // sortm: number 1 is now msgLong's file
		flags := []string{storage.FlagDeleted}
		if batch {
			f.SetFlagsBatch([]storage.FlagChange{{UID: 1, Flags: flags}})
		} else {
			f.SetFlags(1, flags)
		}
		s := mustScan(t, f)
		for _, m := range s.Messages {
			if readAll(t, f, m.UID) == msgLong && slices.Contains(m.Flags, storage.FlagDeleted) {
				t.Errorf("batch %v: the message the client never touched (UID %d now) is \\Deleted", batch, m.UID)
			}
		}
	}
}

// TestInodeReuseNewUID: a message file removed by unlink
// (rmm with rmmproc or -unlink, rm, an MUA) and a new message written
// under the same number before the next scan: ext4 gives the new file
// the old inode number at once, and Scan's sameMessage (device and inode
// only) keeps UID 1 for another message, with other content and size.
// Open's check (inode, size, time) catches it; Scan must too.
func TestInodeReuseNewUID(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	ino := func() uint64 {
		fi, err := os.Lstat(filepath.Join(path, "1"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	before := ino()
	mustRemove(t, filepath.Join(path, "1"))
	other := "Subject: another message entirely\n\nnew mail\n"
	writeFile(t, filepath.Join(path, "1"), other, time.Unix(1700000100, 0))
	if ino() != before {
		t.Skip("this file system did not reuse the inode number")
	}
	s := mustScan(t, f)
	if _, ok := message(s, 1); ok && readAll(t, f, 1) != msgA {
		t.Errorf("UID 1 now holds %q, was %q: a UID's content changed", readAll(t, f, 1), msgA)
	}
}

// TestSameMessageGeneration: a file under a known number with the
// message's inode number is the message changed in place unless its
// inode generation says that the file system handed the number out
// again; a generation of 0 (tmpfs, or the call failed) proves nothing.
func TestSameMessageGeneration(t *testing.T) {
	id := fileID{dev: 1, ino: 7, mtime: 10, fsize: 20}
	grown := fileID{dev: 1, ino: 7, mtime: 11, fsize: 35}
	for _, tt := range []struct {
		name    string
		had     uint32
		now     fileMeta
		message bool
	}{
		{"unchanged", 5, fileMeta{fileID: id, gen: 5}, true},
		{"changed in place", 5, fileMeta{fileID: grown, gen: 5}, true},
		{"inode number reused", 5, fileMeta{fileID: grown, gen: 6}, false},
		{"no generation then", 0, fileMeta{fileID: grown, gen: 6}, true},
		{"no generation now", 5, fileMeta{fileID: grown}, true},
		{"another inode", 5, fileMeta{fileID: fileID{dev: 1, ino: 8}, gen: 5}, false},
	} {
		f := &Folder{known: map[uint32]known{1: {fileID: id, gen: tt.had}}}
		if got := f.sameMessage(&candidate{num: 1, meta: tt.now}, nil); got != tt.message {
			t.Errorf("%s: sameMessage %v, want %v", tt.name, got, tt.message)
		}
		// A new process decides the same from the numbers file.
		f = &Folder{known: map[uint32]known{}}
		numbers := &numbering{entries: []numberEntry{{num: 1, ino: id.ino, gen: tt.had}}}
		if got := f.sameMessage(&candidate{num: 1, meta: tt.now}, numbers); got != tt.message {
			t.Errorf("%s, from the numbers file: sameMessage %v, want %v", tt.name, got, tt.message)
		}
	}
}

// TestReadOnlyRenumberScans: a shared MH folder this user may only
// read (another user ran sortm in it). Scan sees reused numbers and
// must rename them, which it cannot: every Scan of the open Folder then
// fails, for good, where before 9ff93ea it read the folder. As root it
// runs as another user (runAsOtherUser).
func TestReadOnlyRenumberScans(t *testing.T) {
	if runAsOtherUser(t) { // root writes a read-only directory anyway
		return
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong})
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	swap(t, path)
	if err := os.Chmod(path, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, 0o755) })
	s, err := f.Scan()
	if err != nil {
		t.Fatalf("Scan of the read-only folder after sortm: %v", err)
	}
	for _, m := range s.Messages {
		rc, err := f.Open(m.UID)
		if err != nil {
			t.Errorf("Open(%d): %v", m.UID, err)
			continue
		}
		rc.Close()
	}
	if len(s.Messages) != 2 {
		t.Errorf("%d messages, want 2", len(s.Messages))
	}
}

// TestReadOnlyRenumberUIDs: after sortm in a folder this user may only
// read, the folder is shown under a UIDVALIDITY of its own with each UID
// its number: each UID reads its own message, the flags in
// .mh_sequences follow the number, and the next scans keep the
// UIDVALIDITY and UIDs. Once a process that may write the folder has
// renumbered the moved files, the Folder shows the folder's UIDVALIDITY
// again, with their new UIDs, and a STORE and an EXPUNGE act on them. As
// root it runs as another user.
func TestReadOnlyRenumberUIDs(t *testing.T) {
	if runAsOtherUser(t) {
		return
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong, "3": msgB,
		seqFile: "flagged: 1\nunseen: 3\n"})
	f := mustOpen(t, testDriver(), path)
	stored := mustScan(t, f).UIDValidity
	swap(t, path) // number 1 is msgLong's file now, 2 msgA's; 3 stays
	if err := os.Chmod(path, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, 0o755) })
	check := func(when string, want map[uint32]string, flagged uint32) uint32 {
		t.Helper()
		s, err := f.Scan()
		if err != nil {
			t.Fatalf("%s: Scan: %v", when, err)
		}
		if got := uidsOf(s); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
			t.Fatalf("%s: UIDs %v, want those of %v", when, got, want)
		}
		for uid, content := range want {
			if got := readAll(t, f, uid); got != content {
				t.Errorf("%s: UID %d reads %q, want %q", when, uid, got, content)
			}
			rc, ok := f.OpenQuick(uid)
			if !ok {
				t.Errorf("%s: OpenQuick(%d) failed", when, uid)
				continue
			}
			rc.Close()
		}
		// \Flagged is on number 1 in .mh_sequences: the file now there.
		if m, _ := message(s, flagged); !slices.Contains(m.Flags, storage.FlagFlagged) {
			t.Errorf("%s: UID %d has flags %v, want \\Flagged", when, flagged, m.Flags)
		}
		return s.UIDValidity
	}
	swapped := map[uint32]string{1: msgLong, 2: msgA, 3: msgB}
	view := check("read-only", swapped, 1)
	if view == stored {
		t.Errorf("read-only: UIDVALIDITY %d, the folder's, though UIDs 1 and 2 name other messages", view)
	}
	if again := check("read-only, scanned again", swapped, 1); again != view {
		t.Errorf("scanned again: UIDVALIDITY %d, was %d", again, view)
	}
	g := mustOpen(t, testDriver(), path) // the next session derives the same
	if s := mustScan(t, g); s.UIDValidity != view {
		t.Errorf("a new process: UIDVALIDITY %d, the first's %d", s.UIDValidity, view)
	}
	g.Close()
	if _, err := os.Stat(filepath.Join(path, "4")); err == nil {
		t.Error("a read-only scan made a file")
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	owner := mustOpen(t, testDriver(), path) // a process that may write
	mustScan(t, owner)
	owner.Close()
	if v := check("renumbered", map[uint32]string{3: msgB, 4: msgLong, 5: msgA}, 4); v != stored {
		t.Errorf("renumbered: UIDVALIDITY %d, want the folder's %d", v, stored)
	}
	if err := f.SetFlags(5, []string{storage.FlagSeen, storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{5}); err != nil {
		t.Fatal(err)
	}
	s := mustScan(t, f)
	if got := uidsOf(s); !slices.Equal(got, []uint32{3, 4}) {
		t.Fatalf("after the expunge: UIDs %v, want 3 4", got)
	}
	if got := readAll(t, f, 4); got != msgLong {
		t.Errorf("after the expunge: UID 4 reads %q", got)
	}
}

// rootFolderEnv passes the folder that rootFolder made to the run as
// another user.
const rootFolderEnv = "MAILGATE_TEST_ROOT_FOLDER"

// rootFolder makes, as root, a folder with mode dirMode holding root's
// files 1 (msgA) and 2 (msgLong), mode 0644, where another user may
// reach it.
func rootFolder(t *testing.T, dirMode os.FileMode) string {
	t.Helper()
	base, err := os.MkdirTemp("", "mh-rootfiles")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	path := filepath.Join(base, "box")
	for _, err := range []error{os.Chmod(base, 0o755), os.Mkdir(path, 0o700), os.Chmod(path, dirMode)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for n, content := range map[string]string{"1": msgA, "2": msgLong} {
		writeFile(t, filepath.Join(path, n), content, time.Unix(1700000000, 0))
		if err := os.Chmod(filepath.Join(path, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// checkSwapped scans f, whose files 1 and 2 were swapped since its last
// scan, twice: neither fails, each of the two messages reads its own
// content, and either each has a UID above 2 and below .mu-prop's
// UIDNEXT (renumbered), or, with stuck true, each keeps its number as
// its UID under a UIDVALIDITY that is not the folder's and that the
// second scan keeps. It returns the last scan's UIDVALIDITY.
func checkSwapped(t *testing.T, f *Folder, stuck bool) uint32 {
	t.Helper()
	var view uint32
	for _, when := range []string{"after sortm", "scanned again"} {
		s, err := f.Scan()
		if err != nil {
			t.Fatalf("%s: Scan: %v", when, err)
		}
		if len(s.Messages) != 2 {
			t.Fatalf("%s: UIDs %v, want two", when, uidsOf(s))
		}
		p, err := readProps(f.path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !stuck:
			for _, m := range s.Messages {
				if m.UID <= 2 || m.UID >= p.UIDNext {
					t.Errorf("%s: UID %d, want one above 2 and below .mu-prop's UIDNEXT %d", when, m.UID, p.UIDNext)
				}
			}
		case !slices.Equal(uidsOf(s), []uint32{1, 2}) || s.UIDValidity == p.UIDValidity:
			t.Errorf("%s: UIDs %v under UIDVALIDITY %d (the folder's %d), want 1 2 under another", when, uidsOf(s), s.UIDValidity, p.UIDValidity)
		case view != 0 && s.UIDValidity != view:
			t.Errorf("%s: UIDVALIDITY %d, was %d", when, s.UIDValidity, view)
		}
		view = s.UIDValidity
		var got []string
		for _, m := range s.Messages {
			got = append(got, readAll(t, f, m.UID))
		}
		if slices.Sort(got); !slices.Equal(got, []string{msgA, msgLong}) {
			t.Errorf("%s: messages %q", when, got)
		}
	}
	return view
}

// TestRenumberFilesOfAnotherUser: a folder this user may write, whose
// message files are another user's, which protected_hardlinks (Linux's
// default) forbids this user to link: after sortm, the scan gives the
// moved files fresh numbers all the same (by rename, see linkExcl). It
// needs root, to make root's files, and runs as another user.
func TestRenumberFilesOfAnotherUser(t *testing.T) {
	if os.Geteuid() == 0 {
		runAsOtherUser(t, rootFolderEnv+"="+rootFolder(t, 0o777))
		return
	}
	path := os.Getenv(rootFolderEnv)
	if path == "" {
		t.Skip("needs root, to make a folder of root's files")
	}
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	swap(t, path)
	checkSwapped(t, f, false)
}

// stickySortm runs the calling test again as another user on a shared
// folder with the sticky bit whose files 1 and 2 are root's (see
// rootFolder), which that user may neither link nor rename, and returns
// false as root. As that user, it opens the folder, scans it, has root
// swap the two files as nmh's sortm does, and returns the folder's path
// and the Folder, which has not scanned since.
func stickySortm(t *testing.T) (string, *Folder, bool) {
	t.Helper()
	const scanned, swapped = ".test-scanned", ".test-swapped"
	if os.Geteuid() == 0 {
		path := rootFolder(t, 0o777|os.ModeSticky)
		done := make(chan struct{})
		defer func() { <-done }()
		go func() { // the owner's sortm, once the other user scanned
			defer close(done)
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if _, err := os.Lstat(filepath.Join(path, scanned)); err != nil {
					continue
				}
				for _, r := range [][2]string{{"1", "tmp"}, {"2", "1"}, {"tmp", "2"}, {scanned, swapped}} {
					if err := os.Rename(filepath.Join(path, r[0]), filepath.Join(path, r[1])); err != nil {
						t.Errorf("sortm: %v", err)
					}
				}
				return
			}
		}()
		runAsOtherUser(t, rootFolderEnv+"="+path)
		return "", nil, false
	}
	path := os.Getenv(rootFolderEnv)
	if path == "" {
		t.Skip("needs root, to make a folder of root's files")
	}
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	// Made under another name and renamed: the owner renames it away as
	// soon as it sees it, which may be before writeFile set its time.
	writeFile(t, filepath.Join(path, ".test-scanning"), "", time.Now())
	if err := os.Rename(filepath.Join(path, ".test-scanning"), filepath.Join(path, scanned)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Lstat(filepath.Join(path, swapped)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the files were not swapped")
		}
	}
	return path, f, true
}

// TestRenumberStickyFolder: a shared folder with the sticky bit, whose
// message files are another user's, which this user may neither link
// nor rename: after the owner's sortm, the scan cannot give the moved
// files new numbers; they keep their numbers as UIDs under a UIDVALIDITY
// of the view, .mu-prop's UIDNEXT stays, and the scan does not fail. It
// needs root, which makes the files and swaps them, and runs as another
// user.
func TestRenumberStickyFolder(t *testing.T) {
	path, f, ok := stickySortm(t)
	if !ok {
		return
	}
	before, err := readProps(path)
	if err != nil {
		t.Fatal(err)
	}
	checkSwapped(t, f, true)
	if p, err := readProps(path); err != nil || p.UIDNext != before.UIDNext {
		t.Errorf(".mu-prop's UIDNEXT %d, was %d (%v)", p.UIDNext, before.UIDNext, err)
	}
	for _, n := range []string{"1", "2"} {
		if _, err := os.Lstat(filepath.Join(path, n)); err != nil {
			t.Errorf("number %s moved: %v", n, err)
		}
	}
}
