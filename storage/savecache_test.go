package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSaveCacheBeforeClose: values a frontend derived reach the cache
// file at View.SaveCache, while the mailbox stays open, so that another
// process (a restart after a kill) finds them.
func TestSaveCacheBeforeClose(t *testing.T) {
	newStore, home, layout := cacheTestSetup(t)
	open := func() *storage.Store {
		s := newStore()
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := open().Account(storage.User{Name: "alice", Home: home}, layout)
	if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	v.SetCached(1, "imap.sortkeys", []byte("keys"))
	// Another store on the same files, the view still open.
	b := open().Account(storage.User{Name: "alice", Home: home}, layout)
	look := func() (any, bool) {
		w, err := b.Select("INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		return w.Cached(1, "imap.sortkeys")
	}
	if _, ok := look(); ok {
		t.Fatal("the value reached the file before SaveCache")
	}
	v.SaveCache()
	if got, ok := look(); !ok || string(got.([]byte)) != "keys" {
		t.Errorf("after SaveCache another store reads %v, %v", got, ok)
	}
}

// TestCacheFileNotRegular: a cache file that is a symbolic link (here to
// /dev/zero, which would be read until memory ran out) is ignored, and
// the mailbox works without it.
func TestCacheFileNotRegular(t *testing.T) {
	newStore, home, layout := cacheTestSetup(t)
	s := newStore()
	defer s.Close()
	a := s.Account(storage.User{Name: "alice", Home: home}, layout)
	if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(home, "INBOX", ".mailgate-cache")); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if got, ok := v.Cached(1, "imap.sortkeys"); ok {
		t.Errorf("a value %v from a cache file that is a symbolic link", got)
	}
	v.SetCached(1, "imap.sortkeys", []byte("keys"))
	if got, ok := v.Cached(1, "imap.sortkeys"); !ok || string(got.([]byte)) != "keys" {
		t.Errorf("after SetCached: %v, %v", got, ok)
	}
}

// TestSaveCacheWhileCaching: SaveCache writes outside the mailbox lock,
// so values are cached and read while saves run (run with -race); every
// value reaches the file by the close, none is lost to an older save.
func TestSaveCacheWhileCaching(t *testing.T) {
	open, home, layout := cacheTestSetup(t)
	s := open()
	a := s.Account(storage.User{Name: "alice", Home: home}, layout)
	const n = 50
	for i := range n {
		if _, _, err := a.Append("INBOX", msg(fmt.Sprint(i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				v.SaveCache()
			}
		}()
	}
	w, err := a.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	for uid := uint32(1); uid <= n; uid++ {
		w.SetCached(uid, "k", []byte(fmt.Sprint("v", uid)))
		w.Cached(uid, "k")
	}
	wg.Wait()
	v.Close()
	w.Close()
	s.Close()
	s = open()
	defer s.Close()
	r, err := s.Account(storage.User{Name: "alice", Home: home}, layout).Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for uid := uint32(1); uid <= n; uid++ {
		if got, ok := r.Cached(uid, "k"); !ok || string(got.([]byte)) != fmt.Sprint("v", uid) {
			t.Errorf("UID %d: %v, %v after the close", uid, got, ok)
		}
	}
}

// cacheTestSetup returns a function that makes a new Store (as a new
// process would be) on one maildir home, with the home and its layout.
func cacheTestSetup(t *testing.T) (newStore func() *storage.Store, home string, layout *storage.Layout) {
	root := t.TempDir()
	home = filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	layout = &storage.Layout{
		Inbox:       "maildir:$home/INBOX",
		DefaultType: "maildir",
		Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "maildir"}}},
	}
	newStore = func() *storage.Store {
		d := realDriver("maildir", storage.NewUIDValidities(filepath.Join(root, "uidvalidity")), &tickingClock{now: time.Now()})
		return storage.New(storage.Options{Drivers: []storage.Driver{d}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	}
	return newStore, home, layout
}
