//go:build linux

package mh

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestNumbersPlantedTemp: another member of a group-writable folder
// plants a symbolic link, or a file of theirs, at the name the numbers
// file's temporary file once had. The next write of the numbers file
// neither writes through the link nor takes their file: the numbers
// file is this user's own, not writable by others.
func TestNumbersPlantedTemp(t *testing.T) {
	for _, kind := range []string{"symlink", "foreign file"} {
		t.Run(kind, func(t *testing.T) {
			path := mkFolder(t, map[string]string{"1": msgA, "2": msgB})
			f := mustOpen(t, testDriver(), path)
			mustScan(t, f) // the first scan removed stale temporary files
			tmp := filepath.Join(path, tmpPrefix+numbersFile)
			victim := filepath.Join(t.TempDir(), "victim")
			writeFile(t, victim, "precious\n", time.Now())
			switch kind {
			case "symlink":
				if err := os.Symlink(victim, tmp); err != nil {
					t.Fatal(err)
				}
			default:
				writeFile(t, tmp, "", time.Now())
				if err := os.Chmod(tmp, 0o666); err != nil {
					t.Fatal(err)
				}
				if os.Geteuid() == 0 {
					if err := os.Chown(tmp, nobodyID, nobodyID); err != nil {
						t.Fatal(err)
					}
				}
			}
			writeFile(t, filepath.Join(path, "3"), "Subject: inc\n\nnew\n", time.Now()) // nmh's inc
			mustScan(t, f)
			if got := readFile(t, victim); got != "precious\n" {
				t.Errorf("the symlink's target was overwritten: %q", got)
			}
			fi, err := os.Lstat(filepath.Join(path, numbersFile))
			if err != nil {
				t.Fatal(err)
			}
			st := fi.Sys().(*syscall.Stat_t)
			if int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o022 != 0 || !fi.Mode().IsRegular() {
				t.Errorf("%s is %v, uid %d: not this user's own file", numbersFile, fi.Mode(), st.Uid)
			}
		})
	}
}

// TestNumbersForged: another user of a sticky shared folder (who may
// add files there but not rename or remove ours) leaves a numbers file
// of their own, with a valid checksum, the folder's UIDVALIDITY and
// directory identity (all of which they may read) and no entries below
// a high UIDNEXT. A new process does not trust it: it would take every
// message for one that another program put under a known number and
// renumber the whole folder. (As root, the file is nobody's; as another
// user, the test checks only that a writable file of ours is still
// read.)
func TestNumbersForged(t *testing.T) {
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB, "3": msgLong})
	f := mustOpen(t, testDriver(), path)
	before := uidsOf(mustScan(t, f))
	f.Close()
	p, err := readProps(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, ok := dirIDOf(path)
	if !ok {
		t.Skip("no directory identity here")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make a file of another user's")
	}
	if err := os.Chmod(path, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	forged := numbering{validity: p.UIDValidity, uidNext: 1 << 30, dir: dir}
	file := filepath.Join(path, numbersFile)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, forged.encode(), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, nobodyID, nobodyID); err != nil {
		t.Fatal(err)
	}
	g := mustOpen(t, testDriver(), path)
	if after := uidsOf(mustScan(t, g)); !slices.Equal(after, before) {
		t.Errorf("a numbers file of another user's renumbered the folder: UIDs %v, were %v; files %v", after, before, listDir(t, path))
	}
	fi, err := os.Lstat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != os.Geteuid() {
		t.Errorf("%s still belongs to uid %d", numbersFile, st.Uid)
	}
}

// shareWithMember makes the folder at path a group-shared one of a
// third user's, where the numbers file is another member's (written by
// their process): this process is then neither the file's owner nor
// the folder's. The folder is not sticky.
func shareWithMember(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(filepath.Join(path, numbersFile), nobodyID, nobodyID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, nobodyID-1, nobodyID); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o2770); err != nil {
		t.Fatal(err)
	}
}

// TestNumbersOtherMemberSortm: in a group-shared folder (not sticky)
// member B's process wrote the numbers file; an nmh user then runs
// sortm. Member A's new process still reads B's numbers file, so UID 1
// keeps its message (or the UIDVALIDITY changes): any member could as
// well have renamed the messages themselves, so their numbers file is
// no less trusted than the messages. Needs root.
func TestNumbersOtherMemberSortm(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make files of other users")
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB, "3": msgLong})
	f := mustOpen(t, testDriver(), path) // member B's process
	before := mustScan(t, f)
	was := map[uint32]string{}
	for _, m := range before.Messages {
		was[m.UID] = readAll(t, f, m.UID)
	}
	f.Close()
	shareWithMember(t, path)
	swap(t, path)                        // sortm by an nmh user
	g := mustOpen(t, testDriver(), path) // member A's process
	after := mustScan(t, g)
	if after.UIDValidity != before.UIDValidity {
		return
	}
	for _, m := range after.Messages {
		if old, ok := was[m.UID]; ok {
			if got := readAll(t, g, m.UID); got != old {
				t.Errorf("UID %d under UIDVALIDITY %d was %q, now %q: another member's numbers file was ignored", m.UID, after.UIDValidity, old, got)
			}
		}
	}
}

// TestNumbersOtherMemberNothingChanged: in a group-shared folder (not
// sticky) nothing changes between member B's process and member A's;
// A's process reads B's numbers file and is not untold (which would
// restart every modseq and drop the cache and full-text index at each
// member's turn). Needs root.
func TestNumbersOtherMemberNothingChanged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make files of other users")
	}
	path := mkFolder(t, map[string]string{"1": msgA, "2": msgB, "3": msgLong})
	f := mustOpen(t, testDriver(), path) // member B's process
	mustScan(t, f)
	f.Close()
	shareWithMember(t, path)
	g := mustOpen(t, testDriver(), path) // member A's process
	if s := mustScan(t, g); s.Untold {
		t.Errorf("a folder nobody touched is untold for the next member")
	}
}
