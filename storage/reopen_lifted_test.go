package storage_test

import (
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// TestReopenWhileWatchLifted: session A's large STORE lifts the watch on
// INBOX and A closes the mailbox (no lingering) before afterQuiet has
// watched again. Session B selects INBOX anew (a new mailbox, a new
// Folder) and waits for news: the watch is left to the batch's end, so
// the new Folder must not hear it is watched before then, nor afterQuiet
// tell only A's closed Folder. Else B's single STORE records its rename
// as a notification to come; none comes, and another program's removal
// of the file within 10 s is taken for the process's own: B never hears
// EXPUNGE.
func TestReopenWhileWatchLifted(t *testing.T) {
	a, dir := largeInbox(t, storage.Options{Drivers: []storage.Driver{maildir.New()}, Linger: -1})

	va, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	va.Settle()
	for !storage.Settled(va) {
		time.Sleep(5 * time.Millisecond)
	}
	notified(t, va)
	storage.Quiesce(t, va) // watched

	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release)
	t.Cleanup(storage.SetAfterQuietHook(func() { <-hold }))

	uids := va.UIDs()
	if _, err := va.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	va.SetNotify(nil)
	va.Close()

	vb := selectSettled(t, a)
	woken := notified(t, vb)
	time.Sleep(100 * time.Millisecond) // the quiet batch of va holds its check: nothing to wait on
	if _, err := vb.Store(vb.UIDs()[:1], storage.AddFlags, []string{storage.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	release()
	storage.Quiesce(t, vb) // watched again, checked
	expectForeignRemoval(t, vb, woken, dir)
}
