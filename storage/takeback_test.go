package storage_test

// Tests of caa259a: a failed MOVE or COPY takes back only what it can
// tell is its own. They use resetBox and contentsOf of
// move_reset_test.go.

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// hookMemDriver is memDriver whose folders call hooks: onExpunge, when
// set for a folder's path, decides which of the UIDs asked for are
// removed before the expunge fails (an expunge that failed part way);
// onOpen, when set for a UID, runs before that message is opened and
// its error, if any, is Open's (another program's change, a transient
// failure). Hooks run without the driver's lock.
type hookMemDriver struct {
	*memDriver
	onExpunge map[string]func(uids []uint32) (remove []uint32)
	onOpen    map[uint32]func() error
}

func (d *hookMemDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.memDriver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &hookMemFolder{memFolder: f.(*memFolder), d: d}, nil
}

type hookMemFolder struct {
	*memFolder
	d *hookMemDriver
}

func (f *hookMemFolder) Open(uid uint32) (io.ReadCloser, error) {
	if hook := f.d.onOpen[uid]; hook != nil {
		if err := hook(); err != nil {
			return nil, err
		}
	}
	return f.memFolder.Open(uid)
}

func (f *hookMemFolder) Expunge(uids []uint32) error {
	hook := f.d.onExpunge[f.path]
	if hook == nil || len(uids) == 0 {
		return f.memFolder.Expunge(uids)
	}
	delete(f.d.onExpunge, f.path)
	if err := f.memFolder.Expunge(hook(uids)); err != nil {
		return err
	}
	return errors.New("expunge: injected failure part way")
}

// newHookMemAccount returns an account on a hookMemDriver with the
// mailboxes src (holding the messages subjects) and dst, and their paths.
func newHookMemAccount(t *testing.T, subjects ...string) (d *hookMemDriver, a *storage.Account, srcPath, dstPath string) {
	t.Helper()
	d = &hookMemDriver{memDriver: newMemDriver("mem", false),
		onExpunge: map[string]func([]uint32) []uint32{}, onOpen: map[uint32]func() error{}}
	home := t.TempDir()
	s := storage.New(storage.Options{Drivers: []storage.Driver{d},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "mem"}}}}
	a = s.Account(storage.User{Name: "alice", Home: home}, layout)
	for _, name := range []string{"src", "dst"} {
		if err := a.Create(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, subj := range subjects {
		if _, _, err := a.Append("src", strings.NewReader("Subject: "+subj+"\r\n\r\nold\r\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	d.mu.Lock()
	for p := range d.boxes {
		switch filepath.Base(p) {
		case "src":
			srcPath = p
		case "dst":
			dstPath = p
		}
	}
	d.mu.Unlock()
	return d, a, srcPath, dstPath
}

// resetDst stands for another program resetting dst (new UIDVALIDITY,
// its own messages under UIDs from 1).
func (d *hookMemDriver) resetDst(dstPath string, subjects ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	resetBox(d.boxes[dstPath], subjects...)
}

// atSecondBatch has copies and moves committed in batches of one and
// runs another program's change f as the second batch is committed,
// until the test ends.
func atSecondBatch(t *testing.T, f func()) {
	commits := 0
	t.Cleanup(storage.SetCopyBatch(1, func() {
		if commits++; commits == 2 {
			f()
		}
	}))
}

// TestCopyTakeBackStaleValidity: a COPY of one, two, three in
// batches of one. Before the second batch another program resets dst
// (new UIDVALIDITY, its message "theirs-a" as UID 1, UIDNEXT 2); the
// second copy gets UID 2, the UIDNEXT the core expected, so the core
// never reads dst back and still holds the old UIDVALIDITY. The third
// message's open fails, so the COPY takes back its copies 1 and 2.
// Comparing against the UIDVALIDITY the core remembers, the stale one,
// takeBack would expunge UID 1, "theirs-a", a message the COPY never
// wrote; it must not.
func TestCopyTakeBackStaleValidity(t *testing.T) {
	d, a, _, dstPath := newHookMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	atSecondBatch(t, func() {
		d.resetDst(dstPath, "theirs-a")
	})
	d.onOpen[3] = func() error { return errors.New("open: input/output error") }
	_, src, dst, err := a.Copy(v, v.UIDs(), "dst")
	t.Logf("Copy: src %v dst %v: %v", src, dst, err)
	if err == nil {
		t.Fatal("COPY succeeded with an injected open failure")
	}
	d.onOpen = map[uint32]func() error{}
	got := strings.Join(contentsOf(t, a, "dst"), "|")
	if !strings.Contains(got, "Subject: theirs-a") {
		t.Errorf("the failed COPY's take-back expunged dst's own message theirs-a: dst holds %q", got)
	}
}

// TestMoveMixedBatchesSparesOthers: a MOVE of one and two in
// batches of one. Before the second batch another program resets dst
// (theirs-a, theirs-b as UIDs 1, 2); the second copy gets UID 3, the
// core reads dst back and learns the new UIDVALIDITY. copyMessages
// marks the batches mixed but returns, on success, the new UIDVALIDITY
// with dst [1 3], UID 1 being of the old one. The expunge of the sources
// removes two and fails; keepMoved must not take back the copy of one
// by UID 1 under the new UIDVALIDITY, which is theirs-a.
func TestMoveMixedBatchesSparesOthers(t *testing.T) {
	d, a, srcPath, dstPath := newHookMemAccount(t, "one", "two")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	atSecondBatch(t, func() {
		d.resetDst(dstPath, "theirs-a", "theirs-b")
	})
	d.onExpunge[srcPath] = func(uids []uint32) []uint32 { return uids[len(uids)-1:] }
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	got := strings.Join(contentsOf(t, a, "dst"), "|")
	for _, s := range []string{"theirs-a", "theirs-b"} {
		if !strings.Contains(got, "Subject: "+s) {
			t.Errorf("the MOVE's take-back expunged dst's own message %s: dst holds %q", s, got)
		}
	}
}

// TestCopyMixedBatchesCOPYUID: as above but a COPY that succeeds:
// it answers COPYUID with the new UIDVALIDITY and the UIDs of both
// batches, though the first was stored under the old one; under the new
// one UID 1 is theirs-a. A client that trusts COPYUID (RFC 4315) then
// takes theirs-a for its copy of one. The answer must leave out, or
// not claim, the UIDs stored under another UIDVALIDITY.
func TestCopyMixedBatchesCOPYUID(t *testing.T) {
	d, a, _, dstPath := newHookMemAccount(t, "one", "two")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	atSecondBatch(t, func() {
		d.resetDst(dstPath, "theirs-a", "theirs-b")
	})
	validity, src, dst, err := a.Copy(v, v.UIDs(), "dst")
	t.Logf("Copy: validity %d src %v dst %v: %v", validity, src, dst, err)
	if err != nil {
		return // a NO claims nothing
	}
	w, err := a.Select("dst", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.Info().UIDValidity != validity {
		return // the client starts over: nothing claimed is trusted
	}
	want := map[uint32]string{1: "one", 2: "two"}
	for i, uid := range dst {
		rc, _, err := w.Open(uid)
		if err != nil {
			t.Errorf("COPYUID says source %d is dst UID %d, which does not open: %v", src[i], uid, err)
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !strings.Contains(string(b), "Subject: "+want[src[i]]+"\r\n") {
			t.Errorf("COPYUID %d says source %d (%s) is dst UID %d, which is %.30q", validity, src[i], want[src[i]], uid, b)
		}
	}
}

// TestMoveSourceRenamedKeepsMoved: a maildir MOVE of one, two in batches of one; the first batch
// renames one's file into dst; before the second, another session of
// the user RENAMEs src. two's staged move fails (a partial MOVE), the
// expunge of UID 1 on the gone mailbox finds nothing to do and returns
// nil, so keepMoved is not reached. Every message must be left in dst
// or in the renamed mailbox.
func TestMoveSourceRenamedKeepsMoved(t *testing.T) {
	_, a, _ := newAccount(t)
	for _, name := range []string{"src", "dst"} {
		if err := a.Create(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"one", "two"} {
		if _, _, err := a.Append("src", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	atSecondBatch(t, func() {
		if err := a.Rename("src", "renamed"); err != nil {
			t.Errorf("RENAME: %v", err)
		}
	})
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	var all []string
	for _, name := range []string{"dst", "renamed"} {
		all = append(all, contentsOf(t, a, name)...)
	}
	joined := strings.Join(all, "|")
	for _, s := range []string{"one", "two"} {
		if !strings.Contains(joined, "Subject: "+s+"\r\n") {
			t.Errorf("message %s is in neither dst nor renamed: %q", s, all)
		}
	}
}

// selectMineMH makes alice's MH folder MHBox holding message 1,
// "Subject: mine", and selects it, settled; it returns the folder's path.
func selectMineMH(t *testing.T) (*storage.Account, string, *storage.View) {
	t.Helper()
	_, a, root := newAccount(t)
	box := filepath.Join(root, "alice", "MHBox")
	writeMH(t, box, map[string]string{"1": "Subject: mine\n\nx\n"})
	return a, box, selectSettledName(t, a, "MHBox")
}

// TestMHGoneViewSparesNewFolderExpunge: caa259a makes a gone mailbox's
// opens refuse, since what is at its old path now is another mailbox's,
// but writes still go to that path. A session has MH folder MHBox
// selected and message 1 flagged \Deleted; another session RENAMEs it to
// Other, and a new MH folder MHBox is made (nmh's folder -create and
// inc, or a CREATE) whose message 1 is another message. The first
// session's EXPUNGE must not remove the new folder's message 1 (rename
// it to ",1" as rmm does).
func TestMHGoneViewSparesNewFolderExpunge(t *testing.T) {
	a, box, v := selectMineMH(t)
	if _, err := v.Store([]uint32{1}, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if err := a.Rename("MHBox", "Other"); err != nil {
		t.Fatal(err)
	}
	writeMH(t, box, map[string]string{"1": "Subject: the new folder's message\n\nz\n"})
	err := v.Expunge(nil, false)
	t.Logf("EXPUNGE on the gone view: %v", err)
	if _, serr := os.Stat(filepath.Join(box, "1")); serr != nil {
		t.Errorf("the gone view's EXPUNGE removed message 1 of the new folder MHBox: %v", serr)
	}
}

// TestMHGoneViewSparesNewFolderStore: as
// TestMHGoneViewSparesNewFolderExpunge, with a STORE: the gone view's
// flag change must not land in the new folder's .mh_sequences, on its
// message 1.
func TestMHGoneViewSparesNewFolderStore(t *testing.T) {
	a, box, v := selectMineMH(t)
	if err := a.Rename("MHBox", "Other"); err != nil {
		t.Fatal(err)
	}
	writeMH(t, box, map[string]string{"1": "Subject: the new folder's message\n\nz\n"})
	_, err := v.Store([]uint32{1}, storage.AddFlags, []string{storage.FlagFlagged, storage.FlagDeleted})
	t.Logf("STORE on the gone view: %v", err)
	seq, _ := os.ReadFile(filepath.Join(box, ".mh_sequences"))
	if len(strings.TrimSpace(string(seq))) > 0 {
		t.Errorf("the gone view's STORE wrote the new folder's sequences: %q", seq)
	}
}

// TestCopyTakeBackStaleValidityMH is TestCopyTakeBackStaleValidity
// on real folders: a COPY of three messages from a maildir into the MH
// folder MHDst in batches of one. Before the second batch another
// program re-creates MHDst (rm -r, then a restore or a migration writes
// its own message as 1). The second batch's commit fails (its staged
// file went with the old directory), and the take-back of batch one's
// copy, UID 1, finds the UIDVALIDITY the core remembers unchanged (it
// never read MHDst back); it must not have MH rename "1", the restored
// message, to ",1".
func TestCopyTakeBackStaleValidityMH(t *testing.T) {
	_, a, root := newAccount(t)
	writeQuietMaildir(t, root, 3)
	dst := filepath.Join(root, "alice", "MHDst")
	writeMH(t, dst, nil)
	v := selectSettled(t, a)
	uids := v.UIDs()
	atSecondBatch(t, func() {
		os.RemoveAll(dst)
		writeMH(t, dst, map[string]string{"1": "Subject: restored\n\nr\n"})
	})
	_, src, dstUIDs, err := a.Copy(v, uids, "MHDst")
	t.Logf("Copy: src %v dst %v: %v", src, dstUIDs, err)
	names, _ := filepath.Glob(filepath.Join(dst, "*"))
	t.Logf("MHDst: %q", names)
	if !mhHolds(t, dst, "Subject: restored") {
		t.Errorf("the failed COPY's take-back removed MHDst's restored message 1")
	}
}

// TestMoveTakeBackWatchedDestMH: D1 through Move's keepMoved. A
// MOVE of three messages from a maildir into MH folder MHDst, which
// another session has selected (watched: Account.open does not re-read
// it). When the sources' expunge begins, another program re-creates
// MHDst with its own messages 1-3, and the expunge fails at message 2
// (a directory has its file's name), so keepMoved takes back the copies
// 2 and 3 by UID: unless the watcher's re-read came first, MH renames
// the restored 2 and 3 to ",2" and ",3". (Timing-dependent: the watcher
// may win; then it passes.)
func TestMoveTakeBackWatchedDestMH(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	dst := filepath.Join(root, "alice", "MHDst")
	writeMH(t, dst, nil)
	w, err := a.Select("MHDst", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Settle()
	v := selectSettled(t, a)
	uids := v.UIDs()
	f2 := findFile(t, dir, 2)
	failExpungeAt(t, f2, func() {
		os.RemoveAll(dst)
		writeMH(t, dst, map[string]string{"1": "Subject: r1\n\nr\n", "2": "Subject: r2\n\nr\n", "3": "Subject: r3\n\nr\n"})
	})
	_, src, dstUIDs, err := a.Move(v, uids, "MHDst")
	t.Logf("Move: src %v dst %v: %v", src, dstUIDs, err)
	names, _ := filepath.Glob(filepath.Join(dst, "*"))
	t.Logf("MHDst: %q", names)
	for _, subject := range []string{"r1", "r2", "r3"} {
		if !mhHolds(t, dst, "Subject: "+subject+"\n") {
			t.Errorf("the MOVE's take-back removed MHDst's restored message %s", subject)
		}
	}
}

// mhHolds reports whether a message of the MH folder at dir (a file
// named by its number, not a ",N" that an expunge left) holds text. A
// re-read may have given a restored message another number: an old
// number another program used again is renumbered (mh's renumber).
func mhHolds(t *testing.T, dir, text string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := strconv.ParseUint(e.Name(), 10, 32); err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && strings.Contains(string(b), text) {
			return true
		}
	}
	return false
}
