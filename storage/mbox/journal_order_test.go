package mbox

import (
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestJournalChangeDuringRewrite: a change of a message whose pending
// change a rewrite is writing, made while it writes, is replayed after
// a crash onto the flags that rewrite wrote.
func TestJournalChangeDuringRewrite(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := waitingFolder(t, d, path)
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	storeDuringRewrite(t, f, 1, []string{storage.FlagAnswered})
	crash(t, f)
	g := mustOpen(t, d, path)
	if got := flagsOfUID(t, mustScan(t, g), 1); !slices.Equal(got, []string{storage.FlagAnswered}) {
		t.Errorf("uid 1 has %q after a crash; the last change made it \\Answered", got)
	}
}

// TestJournalBatchUndoes: a STORE on many messages that puts a message
// back to the flags the file holds, undoing a journaled change, is not
// undone by a replay of that change after a crash.
func TestJournalBatchUndoes(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := waitingFolder(t, d, path)
	was := flagsByUID(mustScan(t, f))
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(3, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: was[1], 3: was[3]})); err != nil {
		t.Fatal(err)
	}
	crash(t, f)
	g := mustOpen(t, d, path)
	s := mustScan(t, g)
	for _, uid := range []uint32{1, 3} {
		if got := flagsOfUID(t, s, uid); !slices.Equal(got, was[uid]) {
			t.Errorf("uid %d has %q after a crash; the last STORE gave %q", uid, got, was[uid])
		}
	}
}

// TestJournalBatchAfterRewrite: a change journaled and written by a
// rewrite that left other changes pending, then undone by a STORE on
// many messages, does not come back after a crash.
func TestJournalBatchAfterRewrite(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := waitingFolder(t, d, path)
	was := flagsByUID(mustScan(t, f))
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	// A rewrite during which another message changes: it stays pending.
	storeDuringRewrite(t, f, 3, []string{"late"})
	// Another process's Folder puts uid 1 back, in a batch.
	h := waitingFolder(t, d, path)
	if err := h.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: was[1], 5: {"other"}})); err != nil {
		t.Fatal(err)
	}
	h.Close()
	crash(t, f)
	g := mustOpen(t, d, path)
	s := mustScan(t, g)
	if got := flagsOfUID(t, s, 1); !slices.Equal(got, was[1]) {
		t.Errorf("uid 1 has %q after a crash; the last STORE gave %q", got, was[1])
	}
	if got := flagsOfUID(t, s, 3); !slices.Equal(got, []string{"late"}) {
		t.Errorf("uid 3 has %q after a crash; want late", got)
	}
}

// storeDuringRewrite sets the flags of uid while a rewrite (an Expunge of
// UID 4) writes the file, and waits for the rewrite.
func storeDuringRewrite(t *testing.T, f *Folder, uid uint32, flags []string) {
	t.Helper()
	started, resume := pauseRewrites(t, f)
	errc := make(chan error, 1)
	go func() { errc <- f.Expunge([]uint32{4}) }()
	<-started
	if err := f.SetFlags(uid, flags); err != nil {
		t.Fatal(err)
	}
	resume()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.duringWrite = nil
	f.mu.Unlock()
}

// flagsByUID returns the flags of each message of s.
func flagsByUID(s storage.Snapshot) map[uint32][]string {
	out := make(map[uint32][]string, len(s.Messages))
	for _, m := range s.Messages {
		out[m.UID] = m.Flags
	}
	return out
}
