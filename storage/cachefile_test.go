package storage_test

import (
	"bytes"
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

// cacheFileSetup returns an in-memory driver whose folders keep a cache
// file, a function that makes a new Store on it (as a new process
// would), and the user and layout of a home with a mailbox "box" of n
// messages.
func cacheFileSetup(t testing.TB, n int) (d *memDriver, newStore func() *storage.Store, u storage.User, layout *storage.Layout) {
	t.Helper()
	d = newMemDriver("mem", false)
	d.cacheFiles = true
	u = storage.User{Name: "alice", Home: t.TempDir()}
	layout = &storage.Layout{Inbox: "mem:$home/INBOX", DefaultType: "mem",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home", Type: "mem"}}}}
	newStore = func() *storage.Store {
		s := storage.New(storage.Options{Drivers: []storage.Driver{d},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		t.Cleanup(func() { s.Close() })
		return s
	}
	a := newStore().Account(u, layout)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	// Straight into the folder: as another program would add them, and
	// 100,000 of them in a second.
	f, err := d.Open(filepath.Join(u.Home, "box"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := f.Append(msg(fmt.Sprint(i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	return d, newStore, u, layout
}

// selectBox selects "box" in a new Store, and returns the view and its
// account; the view is closed at the test's end, or earlier.
func selectBox(t testing.TB, newStore func() *storage.Store, u storage.User, layout *storage.Layout) (*storage.View, *storage.Account) {
	t.Helper()
	a := newStore().Account(u, layout)
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v, a
}

// setValues caches key's value "<key><uid>" for each UID.
func setValues(v *storage.View, key string, uids ...uint32) {
	for _, uid := range uids {
		v.SetCached(uid, key, []byte(fmt.Sprint(key, uid)))
	}
}

// wantValues checks that v answers key's value "<key><uid>" for each
// UID of want, and nothing for each of none.
func wantValues(t *testing.T, v *storage.View, key string, want, none []uint32) {
	t.Helper()
	for _, uid := range want {
		if got, ok := v.CachedBytes(uid, key); !ok || string(got) != fmt.Sprint(key, uid) {
			t.Errorf("%s of UID %d: %q, %v", key, uid, got, ok)
		}
	}
	for _, uid := range none {
		if got, ok := v.Cached(uid, key); ok {
			t.Errorf("%s of UID %d: %q, want none", key, uid, got)
		}
	}
}

// TestCacheFileKeepsKeysNotRead: a process that reads only the
// envelopes of the cache file and adds a value writes the file again
// with the body structures it never read.
func TestCacheFileKeepsKeysNotRead(t *testing.T) {
	_, newStore, u, layout := cacheFileSetup(t, 3)
	v, _ := selectBox(t, newStore, u, layout)
	setValues(v, "env", 1, 2, 3)
	setValues(v, "bs", 1, 2, 3)
	v.Close()
	w, _ := selectBox(t, newStore, u, layout)
	wantValues(t, w, "env", []uint32{1}, nil)
	setValues(w, "sk", 2)
	w.Close()
	x, _ := selectBox(t, newStore, u, layout)
	wantValues(t, x, "env", []uint32{1, 2, 3}, nil)
	wantValues(t, x, "bs", []uint32{1, 2, 3}, nil)
	wantValues(t, x, "sk", []uint32{2}, []uint32{1, 3})
}

// TestCacheFileOldFormat: a cache file of the previous format (one
// record per value) is ignored, and written again in the new one once
// values are added.
func TestCacheFileOldFormat(t *testing.T) {
	_, newStore, u, layout := cacheFileSetup(t, 2)
	path := filepath.Join(u.Home, "box.cache")
	var old bytes.Buffer
	old.WriteString("MGCACHE1")
	v, _ := selectBox(t, newStore, u, layout)
	info := v.Info()
	old.Write([]byte{byte(info.UIDValidity >> 24), byte(info.UIDValidity >> 16), byte(info.UIDValidity >> 8), byte(info.UIDValidity)})
	old.Write([]byte{0, 0, 0, 1, 3, 'e', 'n', 'v', 0, 0, 0, 3, 'o', 'l', 'd'})
	v.Close()
	if err := os.WriteFile(path, old.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	w, _ := selectBox(t, newStore, u, layout)
	wantValues(t, w, "env", nil, []uint32{1, 2})
	setValues(w, "env", 2)
	w.Close()
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(data, []byte("MGCACHE2")) {
		t.Fatalf("the file after a save: %.12q, %v", data, err)
	}
	x, _ := selectBox(t, newStore, u, layout)
	wantValues(t, x, "env", []uint32{2}, []uint32{1})
}

// TestCacheFileDamagedSection: a section whose bytes changed is ignored,
// the others are still read, and the next save writes a sound file.
func TestCacheFileDamagedSection(t *testing.T) {
	_, newStore, u, layout := cacheFileSetup(t, 2)
	v, _ := selectBox(t, newStore, u, layout)
	setValues(v, "bs", 1, 2)
	setValues(v, "env", 1, 2)
	v.Close()
	path := filepath.Join(u.Home, "box.cache")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("env1")) // in the section of env, after bs's
	if i < 0 {
		t.Fatal("no env1 in the file")
	}
	data[i+3] = '9'
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	w, _ := selectBox(t, newStore, u, layout)
	wantValues(t, w, "env", nil, []uint32{1, 2})
	wantValues(t, w, "bs", []uint32{1, 2}, nil)
	setValues(w, "env", 1)
	w.Close()
	x, _ := selectBox(t, newStore, u, layout)
	wantValues(t, x, "env", []uint32{1}, []uint32{2})
	wantValues(t, x, "bs", []uint32{1, 2}, nil)
}

// TestCacheFileExpunged: the file's values of a message that is gone
// are not served, whether it went before the file was read or after.
func TestCacheFileExpunged(t *testing.T) {
	_, newStore, u, layout := cacheFileSetup(t, 4)
	v, _ := selectBox(t, newStore, u, layout)
	setValues(v, "env", 1, 2, 3, 4)
	if _, err := v.Store([]uint32{2}, storage.AddFlags, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	// Gone before a new process reads the file.
	e, _ := selectBox(t, newStore, u, layout)
	if err := e.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	e.Close()
	w, wa := selectBox(t, newStore, u, layout)
	wantValues(t, w, "env", []uint32{1, 3, 4}, []uint32{2})
	// Gone after the file was read: a view that has not learnt of the
	// expunge still gets the value, as of a value stored in this
	// process; once every view has, nobody does.
	other, err := wa.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	w.Store([]uint32{3}, storage.AddFlags, []string{`\Deleted`})
	if err := w.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	wantValues(t, other, "env", []uint32{1, 3, 4}, nil)
	other.Poll(true, &recorder{})
	w.Poll(true, &recorder{})
	wantValues(t, w, "env", []uint32{1, 4}, []uint32{3})
}

// TestCacheFileUIDValidityChange: when another program replaces the
// mailbox, the new messages, which reuse the UIDs, are never answered
// with the cache file's values of the old ones: not from a section read
// before the change, nor from the file by a new process, nor from a file
// written after the change.
func TestCacheFileUIDValidityChange(t *testing.T) {
	d, newStore, u, layout := cacheFileSetup(t, 2)
	v, _ := selectBox(t, newStore, u, layout)
	setValues(v, "env", 1, 2)
	v.Close()
	w, a := selectBox(t, newStore, u, layout)
	wantValues(t, w, "env", []uint32{1, 2}, nil) // the section is read
	d.mu.Lock()
	b := d.boxes[filepath.Join(u.Home, "box")]
	b.validity, b.next, b.msgs, b.data = b.validity+1, 1, nil, map[uint32][]byte{}
	d.mu.Unlock()
	for _, s := range []string{"new one", "new two"} {
		if _, _, err := a.Append("box", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	w.Poll(true, &recorder{})
	wantValues(t, w, "env", nil, []uint32{1, 2})
	x, _ := selectBox(t, newStore, u, layout) // a new process: the file is for the old UIDVALIDITY
	wantValues(t, x, "env", nil, []uint32{1, 2})
	w.SetCached(1, "bs", []byte("bs1"))
	w.SaveCache()
	w.Close()
	x.Close()
	y, _ := selectBox(t, newStore, u, layout)
	wantValues(t, y, "env", nil, []uint32{1, 2})
	wantValues(t, y, "bs", []uint32{1}, []uint32{2})
}

// TestCacheFileReadWhileSaving: the file's sections are read, values
// stored and the file saved at once (run with -race); every value, read
// or stored, is in the file after the close.
func TestCacheFileReadWhileSaving(t *testing.T) {
	const n = 40
	_, newStore, u, layout := cacheFileSetup(t, n)
	var all []uint32
	for uid := uint32(1); uid <= n; uid++ {
		all = append(all, uid)
	}
	v, _ := selectBox(t, newStore, u, layout)
	for _, k := range []string{"a", "b", "c", "d"} {
		setValues(v, k, all...)
	}
	v.Close()
	w, _ := selectBox(t, newStore, u, layout)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			w.SaveCache()
		}
	}()
	for _, k := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, uid := range all {
				w.CachedBytes(uid, k)
				if uid%2 == 0 {
					setValues(w, k+"2", uid)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	x, _ := selectBox(t, newStore, u, layout)
	var even []uint32
	for _, uid := range all {
		if uid%2 == 0 {
			even = append(even, uid)
		}
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		wantValues(t, x, k, all, nil)
		wantValues(t, x, k+"2", even, []uint32{1, 3})
	}
}
