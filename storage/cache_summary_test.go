package storage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestCacheReadAfterSummarySelect: a cache file of 30 messages of 40 KB values (well under 64 KB
// a message) is read back by a new store's first Cached after SELECT.
func TestCacheReadAfterSummarySelect(t *testing.T) {
	newStore, home, layout := cacheTestSetup(t)
	s1 := newStore()
	a := s1.Account(storage.User{Name: "alice", Home: home}, layout)
	const n = 30
	for range n {
		if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, uid := range v.UIDs() {
		v.SetCached(uid, "imap.envelope", bytes.Repeat([]byte("x"), 40<<10))
	}
	v.SaveCache()
	v.Close()
	s1.Close()
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"cur", "new"} {
		if err := os.Chtimes(filepath.Join(home, "INBOX", sub), old, old); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		s := newStore()
		x, err := s.Account(storage.User{Name: "alice", Home: home}, layout).Select("INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("intermediate summarized: %v", storage.Summarized(x))
		x.Close()
		s.Close()
	}
	s2 := newStore()
	defer s2.Close()
	b := s2.Account(storage.User{Name: "alice", Home: home}, layout)
	w, err := b.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	t.Logf("summarized: %v", storage.Summarized(w))
	if _, ok := w.Cached(1, "imap.envelope"); !ok {
		t.Errorf("the cache file of %d messages (%d KB) was not read", n, n*40)
	}
}
