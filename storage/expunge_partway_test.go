package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestExpungePartwayTellsViews: an EXPUNGE of three \Deleted messages
// fails at the second, whose file another program replaced with a
// directory that cannot be removed. The first file is gone by then: the
// EXPUNGE must fail, and every view must still hear that message 1 is
// gone (and message 2, which has no file left), not keep a message whose
// file is gone until some later re-read; message 3 stays.
func TestExpungePartwayTellsViews(t *testing.T) {
	_, a, root := newAccount(t)
	dir := writeQuietMaildir(t, root, 3)
	v := selectSettled(t, a)
	other := selectSettled(t, a)
	uids := v.UIDs()
	if _, err := v.Store(uids, storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	storage.Quiesce(t, v)
	pollOnce(v)
	pollOnce(other)
	f := findFile(t, dir, 2)
	failExpungeAt(t, f, nil)
	if err := v.Expunge(nil, false); err == nil {
		t.Fatal("EXPUNGE succeeded with a directory in the way")
	}
	if _, err := os.Stat(findFile(t, dir, 3)); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "cur", "1700000000.M1P1*")); len(files) != 0 {
		t.Fatalf("message 1's file is still there: %q", files)
	}
	for name, view := range map[string]*storage.View{"the expunging view": v, "another view": other} {
		got := pollOnce(view)
		if strings.Count(got, "EXPUNGE 1") != 2 {
			t.Errorf("%s was told %q, want EXPUNGE 1 twice (messages 1 and 2)", name, got)
		}
		if left := view.UIDs(); !slices.Equal(left, uids[2:]) {
			t.Errorf("%s has UIDs %v, want %v", name, left, uids[2:])
		}
		if _, _, err := view.Open(uids[2]); err != nil {
			t.Errorf("%s: message 3: %v", name, err)
		}
		if _, _, err := view.Open(uids[0]); !errors.Is(err, storage.ErrNoMessage) {
			t.Errorf("%s: message 1: %v, want ErrNoMessage", name, err)
		}
	}
}

// writeMH makes an MH folder at dir as another program would: an empty
// .mh_sequences and the given files, name -> content.
func writeMH(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".mh_sequences"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// failExpungeAt makes the next expunge of any mailbox fail at file: just
// before the folder removes its messages, another program puts a
// non-empty directory in the file's place, which cannot be removed, and
// then runs also (when not nil). Later expunges are left alone.
func failExpungeAt(t *testing.T, file string, also func()) {
	t.Helper()
	var once sync.Once
	t.Cleanup(storage.SetExpungeHook(func() {
		once.Do(func() {
			os.Remove(file)
			if err := os.MkdirAll(filepath.Join(file, "x"), 0o700); err != nil {
				t.Error(err)
			}
			if also != nil {
				also()
			}
		})
	}))
}
