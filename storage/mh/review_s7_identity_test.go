//go:build linux

package mh

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestReviewS7SetFlagsAfterRenumber: a STORE that reaches the folder
// after sortm swapped messages 1 and 2, before the Folder's next scan,
// writes the flags into .mh_sequences under number 1, which is now the
// other message's: the next Scan moves that membership with the file to
// its fresh number, so the other message carries \Deleted (and the next
// EXPUNGE removes mail the user never deleted). SetFlags and
// SetFlagsBatch must check the file as Expunge does.
func TestReviewS7SetFlagsAfterRenumber(t *testing.T) {
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

// TestReviewS7InodeReuseKeepsUID: a message file removed by unlink
// (rmm with rmmproc or -unlink, rm, an MUA) and a new message written
// under the same number before the next scan: ext4 gives the new file
// the old inode number at once, and Scan's sameMessage (device and inode
// only) keeps UID 1 for another message, with other content and size.
// Open's check (inode, size, time) catches it; Scan must too.
func TestReviewS7InodeReuseKeepsUID(t *testing.T) {
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
		if got := f.sameMessage(&candidate{num: 1, uid: 1, meta: tt.now}); got != tt.message {
			t.Errorf("%s: sameMessage %v, want %v", tt.name, got, tt.message)
		}
	}
}

// TestReviewS7ReadOnlyRenumber: a shared MH folder this user may only
// read (another user ran sortm in it). Scan sees reused numbers and
// must rename them, which it cannot: every Scan of the open Folder then
// fails, for good, where before 9ff93ea it read the folder. As root it
// runs as another user (runAsOtherUser).
func TestReviewS7ReadOnlyRenumber(t *testing.T) {
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
// read, the moved files get UIDs in memory only: each UID reads its own
// message, the flags in .mh_sequences follow the file's number, and the
// next scans keep the UIDs. Once the folder may be written again, a
// STORE and an EXPUNGE of such a UID act on its file's number, and the
// other message stays. As root it runs as another user.
func TestReadOnlyRenumberUIDs(t *testing.T) {
	if runAsOtherUser(t) {
		return
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgLong, "3": msgB,
		seqFile: "flagged: 1\nunseen: 3\n"})
	f := mustOpen(t, testDriver(), path)
	mustScan(t, f)
	swap(t, path) // number 1 is msgLong's file now, 2 msgA's; 3 stays
	if err := os.Chmod(path, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(path, 0o755) })
	want := map[uint32]string{3: msgB, 4: msgLong, 5: msgA}
	check := func(when string) {
		t.Helper()
		s, err := f.Scan()
		if err != nil {
			t.Fatalf("%s: Scan: %v", when, err)
		}
		if got := uidsOf(s); !slices.Equal(got, []uint32{3, 4, 5}) {
			t.Fatalf("%s: UIDs %v, want 3 4 5", when, got)
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
		if m, _ := message(s, 4); !slices.Contains(m.Flags, storage.FlagFlagged) {
			t.Errorf("%s: UID 4 (number 1) has flags %v, want \\Flagged", when, m.Flags)
		}
	}
	check("read-only")
	check("read-only, scanned again")
	if _, err := os.Stat(filepath.Join(path, "4")); err == nil {
		t.Error("a read-only scan made a file")
	}
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	check("writable")
	if err := f.SetFlags(5, []string{storage.FlagSeen, storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{5}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(path, ",2")); err != nil {
		t.Errorf("UID 5's file (number 2) was not expunged: %v", err)
	}
	s := mustScan(t, f)
	if got := uidsOf(s); !slices.Equal(got, []uint32{3, 4}) {
		t.Fatalf("after the expunge: UIDs %v, want 3 4", got)
	}
	if got := readAll(t, f, 4); got != msgLong {
		t.Errorf("after the expunge: UID 4 reads %q", got)
	}
}
