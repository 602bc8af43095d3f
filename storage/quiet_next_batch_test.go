package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/maildir/maildirtest"
)

// hookDriver is the maildir driver whose Folders run noteHook before
// each NoteWatched call reaches the Folder: it stands for the scheduler
// running another goroutine at that moment.
type hookDriver struct{ storage.Driver }

var noteHook atomic.Pointer[func(watched bool)]

func (d hookDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.Driver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &hookFolder{f.(*maildir.Folder)}, nil
}

type hookFolder struct{ *maildir.Folder }

func (f *hookFolder) NoteWatched(watched bool) {
	if h := noteHook.Load(); h != nil {
		(*h)(watched)
	}
	f.Folder.NoteWatched(watched)
}

// TestAfterQuietTellsWatchedBeforeNextBatch: session A's large STORE
// lifts the watch; its afterQuiet, in the background, watches again and
// tells the folder NoteWatched(true). Session B's large STORE is made to
// come just before that news reaches the folder: its quiet calls
// NoteWatched(false) and lifts the watch again. Were A's NoteWatched(true)
// to land after it, the folder would record its own changes while
// nothing watches it, until afterQuiet B: a single STORE then leaves a
// record that no notification uses up, and another program's removal of
// that file within 10 s is taken for the process's own, so the session
// never hears EXPUNGE. unquiet tells the folder under quietMu, so B's
// quiet waits for it.
func TestAfterQuietTellsWatchedBeforeNextBatch(t *testing.T) {
	a, dir := largeInbox(t, storage.Options{Drivers: []storage.Driver{hookDriver{maildir.New()}}})
	v := selectSettled(t, a)
	vb := selectSettled(t, a)
	woken := notified(t, v)
	storage.Quiesce(t, v)
	uids := v.UIDs()

	hold := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(hold) }) }
	t.Cleanup(release)
	var afterQuiets atomic.Int32
	t.Cleanup(storage.SetAfterQuietHook(func() {
		if afterQuiets.Add(1) == 2 {
			<-hold // afterQuiet B: watch back only after the single STORE
		}
	}))
	var armed atomic.Bool
	bDone := make(chan error, 1)
	h := func(watched bool) {
		if watched && armed.CompareAndSwap(true, false) {
			// afterQuiet A, between unquiet and NoteWatched(true):
			// session B's large STORE runs now.
			// (In a goroutine, waited for a while: a fix that tells
			// the folder under quietMu makes B wait instead.)
			done := make(chan struct{})
			go func() {
				_, err := vb.Store(uids, storage.RemoveFlags, []string{storage.FlagFlagged})
				bDone <- err
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(time.Second):
			}
		}
	}
	noteHook.Store(&h)
	t.Cleanup(func() { noteHook.Store(nil) })

	armed.Store(true)
	if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("afterQuiet A never told the folder it is watched")
	}
	time.Sleep(20 * time.Millisecond) // afterQuiet A's NoteWatched(true) reached the folder
	if _, err := v.Store(uids[:1], storage.AddFlags, []string{storage.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	release()
	storage.Quiesce(t, v) // watched again, checked
	expectForeignRemoval(t, v, woken, dir)
}

// largeInbox makes a Store with opts, its logger silent, and alice's
// maildir INBOX of 600 messages, large enough for a STORE of all of them
// to lift the watch (quietMin); it returns alice's Account and INBOX's
// directory.
func largeInbox(t *testing.T, opts storage.Options) (*storage.Account, string) {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s := storage.New(opts)
	t.Cleanup(func() { s.Close() })
	home := filepath.Join(t.TempDir(), "alice")
	os.MkdirAll(home, 0o700)
	layout := &storage.Layout{
		Inbox:       "maildir:$home/INBOX",
		DefaultType: "maildir",
		LookupHome:  func(u string) (string, bool) { return home, u == "alice" },
	}
	a := s.Account(storage.User{Name: "alice", Home: home}, layout)
	dir := filepath.Join(home, "INBOX")
	maildirtest.WriteQuiet(t, dir, 600, func(int) string { return "Subject: m\n\nbody\n" })
	return a, dir
}
