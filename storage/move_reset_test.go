package storage_test

// Tests of 0544e17, 0da367c, 9bd5d8e (MH's lock-free open, the scans
// counter, Move's keepMoved) against other programs that reset or
// renumber a mailbox under a MOVE or an open view.

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// failingMemDriver is memDriver whose folders' Expunge, when onExpunge is
// set for the folder's path, removes the first message asked for and
// then runs onExpunge (another program's change, with the driver's lock
// held) and fails: an expunge that failed part way.
type failingMemDriver struct {
	*memDriver
	onExpunge map[string]func(b *memBox)
	// openErr, when set, is what Open returns for a UID (a transient
	// failure: EMFILE, EIO), with the message still there.
	openErr map[uint32]error
}

func (d *failingMemDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.memDriver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &failingMemFolder{memFolder: f.(*memFolder), d: d}, nil
}

type failingMemFolder struct {
	*memFolder
	d *failingMemDriver
}

func (f *failingMemFolder) Open(uid uint32) (io.ReadCloser, error) {
	f.d.mu.Lock()
	err := f.d.openErr[uid]
	f.d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return f.memFolder.Open(uid)
}

func (f *failingMemFolder) Expunge(uids []uint32) error {
	hook := f.d.onExpunge[f.path]
	if hook == nil || len(uids) == 0 {
		return f.memFolder.Expunge(uids)
	}
	delete(f.d.onExpunge, f.path)
	if err := f.memFolder.Expunge(uids[:1]); err != nil {
		return err
	}
	f.d.mu.Lock()
	hook(f.d.boxes[f.path])
	f.d.mu.Unlock()
	return errors.New("expunge: injected failure after the first message")
}

// resetBox stands for another program's reset of a mailbox (a restore
// from a backup, a migration tool): a new UIDVALIDITY whose messages
// take the UIDs 1..n again, with other contents; d.mu is held.
func resetBox(b *memBox, subjects ...string) {
	b.validity += 100
	b.msgs, b.data, b.next = nil, map[uint32][]byte{}, 1
	for _, s := range subjects {
		data := []byte("Subject: " + s + "\r\n\r\nnew\r\n")
		uid := b.next
		b.next++
		b.msgs = append(b.msgs, storage.Message{UID: uid, Size: int64(len(data)), InternalDate: time.Unix(1_700_000_000, 0)})
		b.data[uid] = data
	}
}

// newFailingMemAccount returns an account on a failingMemDriver with the
// mailboxes src (holding the messages subjects) and dst.
func newFailingMemAccount(t *testing.T, subjects ...string) (*failingMemDriver, *storage.Account, string) {
	t.Helper()
	d := &failingMemDriver{memDriver: newMemDriver("mem", false), onExpunge: map[string]func(*memBox){}}
	home := t.TempDir()
	s := storage.New(storage.Options{Drivers: []storage.Driver{d},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "mem"}}}}
	a := s.Account(storage.User{Name: "alice", Home: home}, layout)
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
	return d, a, home
}

// contentsOf returns the contents of every message of the mailbox.
func contentsOf(t *testing.T, a *storage.Account, name string) []string {
	t.Helper()
	w, err := a.Select(name, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var out []string
	for _, uid := range w.UIDs() {
		rc, _, err := w.Open(uid)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, string(b))
	}
	return out
}

// TestMoveSourceResetKeepsMoved: a MOVE copies messages 1-3 into
// dst, and its expunge of the sources removes message 1 and fails; in
// that moment another program resets src (new UIDVALIDITY, new messages
// under UIDs 1-3). The re-read after the failure lists the new messages,
// so keepMoved's open of UIDs 1-3 succeeds, and it takes back the copies
// of all three: message "one", expunged from src, loses its only copy.
// keepMoved must not take an open of the same UID under another
// UIDVALIDITY for the message that was copied.
func TestMoveSourceResetKeepsMoved(t *testing.T) {
	d, a, _ := newFailingMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	d.onExpunge[filepath.Join(filepath.Dir(d.anyBox(t, "src")), "src")] = func(b *memBox) {
		resetBox(b, "new-a", "new-b", "new-c")
	}
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	if err == nil {
		t.Fatal("MOVE succeeded with an injected expunge failure")
	}
	got := strings.Join(contentsOf(t, a, "dst"), "|")
	if !strings.Contains(got, "Subject: one") {
		t.Errorf("message \"one\" was expunged from src and its copy taken back from dst: dst holds %q", got)
	}
}

// TestMoveDestResetSparesOthers: the MOVE's expunge of the
// sources removes message 1 and fails, so keepMoved takes back the
// copies of messages 2 and 3 from dst by their UIDs; meanwhile another
// program reset dst (new UIDVALIDITY, its own messages under UIDs 1-3).
// keepMoved expunges dst's new messages 2 and 3, which the MOVE never
// wrote: it must check dst's UIDVALIDITY is still the one its copies
// got before it takes any back.
func TestMoveDestResetSparesOthers(t *testing.T) {
	d, a, _ := newFailingMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srcPath := d.anyBox(t, "src")
	dstPath := filepath.Join(filepath.Dir(srcPath), "dst")
	d.onExpunge[srcPath] = func(*memBox) {
		resetBox(d.boxes[dstPath], "theirs-a", "theirs-b", "theirs-c")
	}
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	got := strings.Join(contentsOf(t, a, "dst"), "|")
	for _, s := range []string{"theirs-a", "theirs-b", "theirs-c"} {
		if !strings.Contains(got, "Subject: "+s) {
			t.Errorf("dst's own message %q (written by another program after a reset) was expunged by the MOVE's take-back: dst holds %q", s, got)
		}
	}
}

// anyBox returns the path under which the driver keeps the mailbox
// name (the core resolves names; the test only knows the leaf).
func (d *failingMemDriver) anyBox(t *testing.T, name string) string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for p := range d.boxes {
		if filepath.Base(p) == name {
			return p
		}
	}
	t.Fatalf("no mailbox %s", name)
	return ""
}

// TestMHSortmUnderOpen: nmh's sortm (or folder -pack) renumbers
// an MH folder's files by rename; until the core's next Scan, UID 1
// still has the size of the old message 1, and View.Open, quick or
// locked, opens the file now named 1: the other message. FETCH BODY[]
// then sends message 2's content cut to message 1's size (the literal
// is padded or cut to size), and whatever the frontend derives from it
// is cached for UID 1 under an unchanged epoch. Both opens must check
// that the file is the one Scan saw (its inode and size are known to
// the scan's meta), never trust a stale mapping.
func TestMHSortmUnderOpen(t *testing.T) {
	_, a, root := newAccount(t)
	box := filepath.Join(root, "alice", "MHBox")
	if err := os.MkdirAll(box, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(box, ".mh_sequences"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	short := "Subject: short\n\nx\n"
	long := "Subject: a much longer message that sortm moved to number one\n\n" + strings.Repeat("y", 200) + "\n"
	os.WriteFile(filepath.Join(box, "1"), []byte(short), 0o600)
	os.WriteFile(filepath.Join(box, "2"), []byte(long), 0o600)
	v, err := a.Select("MHBox", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	if got := v.UIDs(); len(got) != 2 {
		t.Fatalf("UIDs %v", got)
	}
	// sortm: 1 -> tmp, 2 -> 1, tmp -> 2.
	tmp := filepath.Join(box, "tmp")
	os.Rename(filepath.Join(box, "1"), tmp)
	os.Rename(filepath.Join(box, "2"), filepath.Join(box, "1"))
	os.Rename(tmp, filepath.Join(box, "2"))
	rc, size, err := v.Open(1)
	if err != nil {
		t.Logf("Open: %v (an error is a fine answer)", err)
		return
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if int64(len(b)) != size || !bytes.Contains(b, []byte("Subject: short")) {
		t.Errorf("View.Open(1) after sortm: size %d, content %d bytes %.40q: another message's content under the old size", size, len(b), b)
	}
}

// TestMoveIntoItselfPartway: a MOVE
// of messages 1-3 into their own mailbox copies them as 4-6, and the
// expunge of 1-3 removes 1 and fails. Move must report 1 -> 4 alone and
// take back 5 and 6, leaving 2, 3 and 4: each message once.
func TestMoveIntoItselfPartway(t *testing.T) {
	d, a, _ := newFailingMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	d.onExpunge[d.anyBox(t, "src")] = func(*memBox) {}
	_, src, dst, err := a.Move(v, v.UIDs(), "src")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	if len(src) != 1 || src[0] != 1 || len(dst) != 1 || dst[0] != 4 {
		t.Errorf("Move reported src %v dst %v, want [1] [4]", src, dst)
	}
	got := contentsOf(t, a, "src")
	if len(got) != 3 {
		t.Errorf("src holds %d messages, want 3: %q", len(got), got)
	}
	for _, s := range []string{"one", "two", "three"} {
		if n := strings.Count(strings.Join(got, "|"), "Subject: "+s+"\r\n"); n != 1 {
			t.Errorf("message %q is in src %d times", s, n)
		}
	}
}

// TestMoveTransientOpenNotMoved: the MOVE's expunge removes
// message 1 and fails; the re-read succeeds and the source still lists
// 2 and 3. keepMoved decides by opening them, and message 2's open fails
// for a passing reason (too many open files) though it is there: Move
// reports it moved (COPYUID), keeps its copy in dst, and the source keeps
// it too, with no EXPUNGE. The re-read's state is authoritative here:
// only a message the mailbox no longer lists (or whose open says
// ErrNoMessage) may count as moved.
func TestMoveTransientOpenNotMoved(t *testing.T) {
	d, a, _ := newFailingMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	d.onExpunge[d.anyBox(t, "src")] = func(*memBox) {
		d.openErr = map[uint32]error{2: errors.New("open: too many open files")}
	}
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	d.mu.Lock()
	d.openErr = nil
	d.mu.Unlock()
	var r recorder
	v.Poll(true, &r)
	left := v.UIDs()
	for _, uid := range src {
		if slices.Contains(left, uid) {
			t.Errorf("message %d is reported moved (COPYUID) but is still in the source, and its copy kept in dst", uid)
		}
	}
	if n := len(contentsOf(t, a, "dst")); n+len(left) != 3 {
		t.Errorf("dst holds %d and src %d (%v): a message is in both", n, len(left), left)
	}
}

// TestMHRenamedUnderView: a session has MH folder MHBox selected;
// another session RENAMEs it to Other, and another program (or mailgate)
// makes a new MH folder MHBox whose message 1 is a different message.
// The first session's FETCH of UID 1 must not read the new folder's
// file under the old message's size (IMAP: the mailbox it selected is
// gone, or renamed; never another mailbox's message).
func TestMHRenamedUnderView(t *testing.T) {
	a, box, v := selectMineMH(t)
	if err := a.Rename("MHBox", "Other"); err != nil {
		t.Fatal(err)
	}
	writeMH(t, box, map[string]string{"1": "Subject: a message of the new folder, not the renamed one\n\n" + strings.Repeat("z", 100) + "\n"})
	rc, size, err := v.Open(1)
	if err != nil {
		t.Logf("Open: %v (fine)", err)
		return
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Contains(b, []byte("Subject: mine")) {
		t.Errorf("after RENAME, the old view's Open(1) read %.50q (size %d, %d bytes): the new folder's message", b, size, len(b))
	}
}

// TestMovePartwayViewsHear: with a view of dst
// open, a MOVE of 1-3 whose expunge removes 1 and fails: the source's
// view hears the EXPUNGE of 1 alone, dst's view ends with the one copy
// Move reported, having heard the others come and go.
func TestMovePartwayViewsHear(t *testing.T) {
	d, a, _ := newFailingMemAccount(t, "one", "two", "three")
	v, err := a.Select("src", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	w, err := a.Select("dst", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d.onExpunge[d.anyBox(t, "src")] = func(*memBox) {}
	_, src, dst, err := a.Move(v, v.UIDs(), "dst")
	t.Logf("Move: src %v dst %v: %v", src, dst, err)
	var rv, rw recorder
	v.Poll(true, &rv)
	w.Poll(true, &rw)
	t.Logf("src view heard %q; dst view heard %q", rv.events, rw.events)
	if got := v.UIDs(); !slices.Equal(got, []uint32{2, 3}) {
		t.Errorf("src view has %v, want [2 3]", got)
	}
	if got := w.UIDs(); !slices.Equal(got, dst) {
		t.Errorf("dst view has %v, want the reported %v", got, dst)
	}
}
