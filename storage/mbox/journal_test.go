package mbox

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// crash leaves f as a process killed now would: its journal stays on
// disk, nothing else is written, and it no longer counts as live.
func crash(t *testing.T, f *Folder) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timer != nil {
		f.timer.Stop()
	}
	if f.jnl != nil {
		f.jnl.file.Close()
		liveFiles.Delete(f.jnl.file.Name())
	}
	f.closed = true
}

// waitingFolder opens path with flag changes that wait an hour.
func waitingFolder(t *testing.T, d *Driver, path string) *Folder {
	t.Helper()
	f := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
	mustScan(t, f)
	f.lastRewrite = time.Hour
	return f
}

func flagsOfUID(t *testing.T, s storage.Snapshot, uid uint32) []string {
	t.Helper()
	for _, m := range s.Messages {
		if m.UID == uid {
			return m.Flags
		}
	}
	t.Fatalf("no uid %d", uid)
	return nil
}

// TestJournalReplay: flag changes that SetFlags reported done are in the
// journal, synced, before the file has them; after a crash the next
// Folder replays them, except where another program changed that
// message's flags in the file since; a change undone is replayed undone;
// a torn last record is ignored; a live process's journal is left alone.
func TestJournalReplay(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox+msgText("four"))
	orig := readFile(t, path)
	f := waitingFolder(t, d, path)
	for _, c := range []struct {
		uid   uint32
		flags []string
	}{
		{1, []string{storage.FlagFlagged, "$label1"}},
		{3, nil},
		{4, []string{storage.FlagDeleted}},
		{5, []string{storage.FlagAnswered}},
		{5, nil}, // undone
		{1, []string{storage.FlagFlagged, storage.FlagSeen, "$label1"}},
	} {
		if err := f.SetFlags(c.uid, c.flags); err != nil {
			t.Fatal(err)
		}
	}
	if readFile(t, path) != orig {
		t.Fatal("SetFlags rewrote the file")
	}
	if j := ownFiles(path, kindJournal); len(j) != 1 {
		t.Fatalf("journals %v", j)
	}
	jname := f.jnl.file.Name()
	crash(t, f)
	// A torn record after the last whole one.
	tail, _ := os.OpenFile(jname, os.O_WRONLY|os.O_APPEND, 0)
	tail.Write([]byte{40, 0, 0, 0, 1, 2})
	tail.Close()
	// Another process, alive, has a journal too: pid 1.
	live := ownPrefix(path, kindJournal) + "1." + hostTag() + ".1"
	os.WriteFile(live, appendRecord(nil, journalRecord{validity: 1795729968, uid: 4, before: flagState{}, after: flagState{bits: bitSeen}}), 0o600)
	// mutt unflags message 3 in the file meanwhile.
	os.WriteFile(path, []byte(strings.Replace(orig, "Subject: two\nStatus: ROAF\n", "Subject: two\nStatus: RO\nX-Status: A\n", 1)), 0o600)

	g := waitingFolder(t, d, path)
	s := mustScan(t, g)
	for _, c := range []struct {
		uid  uint32
		want []string
	}{
		{1, []string{"$label1", storage.FlagFlagged, storage.FlagSeen}},
		{3, []string{storage.FlagAnswered, storage.FlagSeen}}, // mutt's
		{4, []string{storage.FlagDeleted}},
		{5, nil},
	} {
		if got := flagsOfUID(t, s, c.uid); !slices.Equal(got, c.want) {
			t.Errorf("uid %d: %q after the replay; want %q", c.uid, got, c.want)
		}
	}
	if _, err := os.Stat(jname); !os.IsNotExist(err) {
		t.Error("the dead journal is still there")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live process's journal was taken")
	}
	// The replayed changes are in g's journal: a second crash keeps them.
	crash(t, g)
	h := mustOpen(t, d, path)
	s = mustScan(t, h)
	if got := flagsOfUID(t, s, 4); !slices.Equal(got, []string{storage.FlagDeleted}) {
		t.Errorf("after a second crash, uid 4 has %q", got)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if j := ownFiles(path, kindJournal); len(j) != 1 || j[0].name != live {
		t.Errorf("journals after Close: %v", j)
	}
	c := readFile(t, path)
	if !strings.Contains(c, "Status: ROF\nX-Status: F\nX-Keywords: $label1\nX-UID: 1\n") ||
		!strings.Contains(c, "Subject: three\nContent-Length: 999\nStatus: D\nX-Status: D\nX-UID: 4\n") {
		t.Errorf("the file lacks the replayed flags:\n%s", c)
	}
}

// TestJournalEmptiedByRewrite: a rewrite that writes every pending
// change empties the journal; one that leaves changes pending (made
// while it wrote) keeps them, moving them to a fresh journal once the
// journal is large.
func TestJournalEmptiedByRewrite(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := waitingFolder(t, d, path)
	t.Cleanup(func() { f.Close() })
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if f.jnl.size == 0 {
		t.Fatal("nothing journaled")
	}
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{3: nil, 4: nil})); err != nil {
		t.Fatal(err)
	}
	if f.jnl.size != 0 {
		t.Errorf("journal holds %d bytes after every change was written", f.jnl.size)
	}

	// A change made while a rewrite writes stays journaled; the records
	// before it go once the journal is large.
	f.mu.Lock()
	f.journalLimit, f.lastRewrite = 1024, time.Hour // no timer meanwhile
	f.mu.Unlock()
	for i := range 100 {
		if err := f.SetFlags(1, []string{"k" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	first := f.jnl.file.Name()
	storeDuringRewrite(t, f, 3, []string{"late"})
	f.mu.Lock()
	name, size := f.jnl.file.Name(), f.jnl.size
	f.mu.Unlock()
	if name == first || size == 0 || size > 100 {
		t.Errorf("journal %s of %d bytes after the rewrite; was %s", name, size, first)
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Error("the old journal is still there")
	}
	crash(t, f)
	g := mustOpen(t, d, path)
	s := mustScan(t, g)
	if got := flagsOfUID(t, s, 3); !slices.Equal(got, []string{"late"}) {
		t.Errorf("uid 3 has %q after a crash; want late", got)
	}
	if got := flagsOfUID(t, s, 1); !slices.Equal(got, []string{"k99"}) {
		t.Errorf("uid 1 has %q after a crash; want k99", got)
	}
}
