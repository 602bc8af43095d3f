package storage_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// slowIndexDriver is the in-test format with folders whose deferred
// index write (storage.IndexDeferrer) takes as long as the test wants:
// WriteIndex tells started, then waits for release.
type slowIndexDriver struct {
	*memDriver
	started chan struct{}
	release chan struct{}
}

func (d *slowIndexDriver) Open(path string, perm os.FileMode) (storage.Folder, error) {
	f, err := d.memDriver.Open(path, perm)
	if err != nil {
		return nil, err
	}
	return &slowIndexFolder{Folder: f, d: d}, nil
}

type slowIndexFolder struct {
	storage.Folder
	d *slowIndexDriver
}

func (f *slowIndexFolder) DeferIndex() {}
func (f *slowIndexFolder) DropIndex()  {}
func (f *slowIndexFolder) WriteIndex() {
	f.d.started <- struct{}{}
	<-f.d.release
}

// The index write that Settle starts after a first SELECT's answer does
// not hold the mailbox's lock: a command sent at once (a FETCH of flags,
// a STORE) is answered while the write goes on, not after it.
func TestSettleIndexWriteLeavesMailboxFree(t *testing.T) {
	d := &slowIndexDriver{memDriver: newMemDriver("slowindex", false),
		started: make(chan struct{}, 1), release: make(chan struct{})}
	a := storageWith(t, d, storage.User{Name: "alice", Home: t.TempDir()})
	for _, subj := range []string{"a", "b", "c"} {
		if _, _, err := a.Append("INBOX", msg(subj), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.Settle()
	select {
	case <-d.started:
	case <-time.After(10 * time.Second):
		t.Fatal("Settle did not write the index")
	}
	done := make(chan error, 1)
	go func() {
		msgs := make([]storage.Message, v.Count())
		v.Lookup(v.UIDs(), msgs)
		_, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagFlagged})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("FETCH and STORE waited for the index write")
	}
	close(d.release)
}

// storageWith returns u's account, every mailbox of format d, in a store
// of its own.
func storageWith(t *testing.T, d *slowIndexDriver, u storage.User) *storage.Account {
	t.Helper()
	s := storage.New(storage.Options{Drivers: []storage.Driver{d}, Linger: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{Inbox: "slowindex:$home/INBOX", DefaultType: "slowindex",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "slowindex"}}}}
	return s.Account(u, layout)
}
