package storage_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/fts"
	"github.com/mailgate/mailgate/storage/maildir"
)

// fileStates lists every file below root with its size and modification
// time, and fails the test on a temporary file (a write cut short).
func fileStates(t *testing.T, root string) map[string]string {
	t.Helper()
	out := make(map[string]string)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(d.Name(), ".tmp") || strings.HasPrefix(d.Name(), ".mailgate-tmp") {
			t.Errorf("temporary file left: %s", path)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[path] = fmt.Sprintf("%d %d", info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// quietAfterClose checks that nothing below root changes within wait
// after the store's Close returned.
func quietAfterClose(t *testing.T, root string, wait time.Duration) {
	t.Helper()
	before := fileStates(t, root)
	time.Sleep(wait)
	if after := fileStates(t, root); !maps.Equal(before, after) {
		for p, st := range after {
			if before[p] != st {
				t.Errorf("written after Close returned: %s (%q, was %q)", p, st, before[p])
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Errorf("removed after Close returned: %s", p)
			}
		}
	}
}

// waitFor waits until cond holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// noBackground checks that none of s's background work runs or waits.
func noBackground(t *testing.T, s *storage.Store) {
	t.Helper()
	for _, kind := range []string{storage.BgBuild, storage.BgRefresh, storage.BgSettle, storage.BgPoll, storage.BgWatch, storage.BgQuiet} {
		if running, waiting := storage.Background(s, kind); running+waiting > 0 {
			t.Errorf("after Close, %s: %d running, %d waiting", kind, running, waiting)
		}
	}
}

// TestCloseStopsFullTextBuild: Close cancels a full-text build that
// waits for its StartDelay, and stops one that runs after the message it
// reads; once Close returned nothing is written, no temporary file is
// left, and the next store goes on from the index written so far.
func TestCloseStopsFullTextBuild(t *testing.T) {
	const n = 300
	for _, tt := range []struct {
		name     string
		delay    time.Duration // FullText.StartDelay
		running  bool          // Close once the build read a message
		viewOpen bool          // the session's view is open at Close
	}{
		{name: "pending", delay: 300 * time.Millisecond},
		{name: "pending, view open", delay: 300 * time.Millisecond, viewOpen: true},
		{name: "running", running: true},
		{name: "running, view open", running: true, viewOpen: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			ftsDir := filepath.Join(root, "fts")
			var read atomic.Int32
			newStore := func(delay time.Duration) *storage.Store {
				return storage.New(storage.Options{
					Drivers: []storage.Driver{maildir.New()},
					Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
					FullText: &storage.FullText{Dir: ftsDir, StartDelay: delay,
						Extract: func(r io.Reader) (*fts.Doc, error) {
							read.Add(1)
							time.Sleep(time.Millisecond) // a build that takes a while
							return rawDoc(r)
						}},
				})
			}
			home := filepath.Join(root, "alice")
			os.MkdirAll(home, 0o700)
			user := storage.User{Name: "alice", Home: home}
			layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
			// The mail is there before the store starts: its own
			// APPENDs would start the build.
			fill := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			appendN(t, fill.Account(user, layout), n)
			fill.Close()
			s := newStore(tt.delay)
			a := s.Account(user, layout)
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			v.Settle()
			if tt.running {
				waitFor(t, "the build to read a message", func() bool { return read.Load() > 0 })
			} else {
				waitFor(t, "the build to wait for its start", func() bool {
					_, waiting := storage.Background(s, storage.BgBuild)
					return waiting == 1
				})
			}
			if !tt.viewOpen {
				v.Close()
			}
			start := time.Now()
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			took := time.Since(start)
			t.Logf("Close took %v", took)
			noBackground(t, s)
			readAtClose := read.Load()
			quietAfterClose(t, root, tt.delay+100*time.Millisecond)
			if got := read.Load(); got != readAtClose {
				t.Errorf("%d messages read for the index after Close returned", got-readAtClose)
			}
			if !tt.running && readAtClose != 0 {
				t.Errorf("a build waiting for its start read %d messages", readAtClose)
			}
			if tt.running && took > 5*time.Second {
				t.Errorf("Close waited %v for the build", took)
			}
			v.Close()
			// The next process goes on from what was written.
			s2 := newStore(0)
			defer s2.Close()
			v2, err := s2.Account(user, layout).Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v2.Close()
			v2.Settle()
			files, _ := filepath.Glob(filepath.Join(ftsDir, "*.fts"))
			waitFor(t, "the index file", func() bool {
				files, _ = filepath.Glob(filepath.Join(ftsDir, "*.fts"))
				return len(files) == 1
			})
			waitPeek(t, files[0], n)
		})
	}
}

// TestCloseWaitBound: a build stuck in a read (a hung disk) does not
// hold Close beyond Options.CloseWait; Close says what still runs, and a
// later Close, once the read came back, finds it ended.
func TestCloseWaitBound(t *testing.T) {
	root := t.TempDir()
	reading := make(chan struct{}, 1)
	stuck := make(chan struct{})
	s := storage.New(storage.Options{
		Drivers:   []storage.Driver{maildir.New()},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		CloseWait: 50 * time.Millisecond,
		FullText: &storage.FullText{Dir: filepath.Join(root, "fts"),
			Extract: func(r io.Reader) (*fts.Doc, error) {
				select {
				case reading <- struct{}{}:
				default:
				}
				<-stuck
				return rawDoc(r)
			}},
	})
	home := filepath.Join(root, "alice")
	os.MkdirAll(home, 0o700)
	a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"})
	appendN(t, a, 3)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Settle()
	<-reading
	v.Close()
	start := time.Now()
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), storage.BgBuild) {
		t.Errorf("Close with a stuck build: %v, want an error naming the build", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close waited %v, bound 50ms", took)
	}
	close(stuck)
	waitFor(t, "the build to end", func() bool { return s.Close() == nil })
	noBackground(t, s)
	quietAfterClose(t, root, 50*time.Millisecond)
}

// writeMaildir makes a maildir of n messages at dir, as another program
// would, so that a first SELECT leaves its index file to Settle.
func writeMaildir(t *testing.T, dir string, n int) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("1700000000.M%dP1.host:2,", i)
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte("Subject: m\n\nbody\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCloseAfterQuietBatch: Close right after a large STORE, whose
// folder is checked, or re-read, a moment later (storage/quiet.go):
// nothing is re-read and nothing written once Close returned.
func TestCloseAfterQuietBatch(t *testing.T) {
	const n = 600
	for _, tt := range []struct {
		name     string
		watched  bool // the mailbox settled: its watch is lifted for the batch
		viewOpen bool
	}{
		{name: "before the watch"},
		{name: "before the watch, view open", viewOpen: true},
		{name: "watched", watched: true},
		{name: "watched, view open", watched: true, viewOpen: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, a, root := newAccount(t)
			writeMaildir(t, filepath.Join(root, "alice", "INBOX"), n)
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			if tt.watched {
				v.Settle()
				waitFor(t, "the mailbox to settle", func() bool { return storage.Settled(v) })
			}
			lifted := false
			defer storage.SetQuietHook(func() { lifted = true })()
			if _, err := v.Store(v.UIDs()[:n-1], storage.AddFlags, []string{storage.FlagFlagged}); err != nil {
				t.Fatal(err)
			}
			if !lifted {
				t.Fatal("not a quiet batch")
			}
			if !tt.viewOpen {
				v.Close()
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			noBackground(t, s)
			rescans := s.Rescans()
			quietAfterClose(t, root, 100*time.Millisecond)
			if got := s.Rescans(); got != rescans {
				t.Errorf("%d re-reads after Close returned", got-rescans)
			}
			v.Close()
		})
	}
}

// TestCloseDuringSettle: Close while the work a first SELECT left to
// View.Settle (the maildir's index file, the watch) waits or runs, and
// Settle after Close: nothing is written once Close returned, and the
// next store reads the mailbox whole.
func TestCloseDuringSettle(t *testing.T) {
	const n = 600
	for _, tt := range []struct {
		name        string
		settleAfter bool // Settle comes after Close
		viewOpen    bool
	}{
		{name: "settle then close"},
		{name: "settle then close, view open", viewOpen: true},
		{name: "close then settle", settleAfter: true, viewOpen: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, a, root := newAccount(t)
			writeMaildir(t, filepath.Join(root, "alice", "INBOX"), n)
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.settleAfter {
				v.Settle()
			}
			if !tt.viewOpen {
				v.Close()
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if tt.settleAfter {
				v.Settle()
			}
			noBackground(t, s)
			quietAfterClose(t, root, 300*time.Millisecond) // past settleDelay and watchDelay
			if got := v.Count(); got != n {
				t.Errorf("the view holds %d messages, want %d", got, n)
			}
			v.Close()
			s2, a2, _ := newAccount(t)
			defer s2.Close()
			a2 = s2.Account(a.User(), &storage.Layout{Inbox: "maildir:" + filepath.Join(root, "alice", "INBOX"), DefaultType: "maildir"})
			st, err := a2.Status("INBOX")
			if err != nil || st.Messages != n {
				t.Errorf("the next store: %d messages, %v; want %d", st.Messages, err, n)
			}
		})
	}
}

// TestCloseTwice: Close may be called again, and at once from several
// goroutines (a daemon's shutdown and its Close); each returns nil.
func TestCloseTwice(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			s, a, _ := newAccount(t)
			if _, _, err := a.Append("INBOX", msg("x"), nil, time.Time{}); err != nil {
				t.Fatal(err)
			}
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			v.Settle()
			v.Close() // lingering: Close closes it
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i := range errs {
				if concurrent {
					wg.Go(func() { errs[i] = s.Close() })
				} else {
					errs[i] = s.Close()
				}
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Close #%d: %v", i+1, err)
				}
			}
			noBackground(t, s)
		})
	}
}

// TestOperationsAfterClose: after Close a session's commands get an
// error or still work on the view it has, and never panic; a mailbox is
// not opened again.
func TestOperationsAfterClose(t *testing.T) {
	s, a, _ := newAccount(t)
	for i := range 3 {
		if _, _, err := a.Append("INBOX", msg(fmt.Sprint(i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Create("other"); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Settle()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		op      func() error
		wantErr error // nil: any outcome but a panic
	}{
		{"SELECT", func() error { _, err := a.Select("other", false); return err }, storage.ErrClosed},
		{"SELECT of the open mailbox", func() error { _, err := a.Select("INBOX", true); return err }, storage.ErrClosed},
		{"STATUS", func() error { _, err := a.Status("other"); return err }, storage.ErrClosed},
		{"APPEND", func() error { _, _, err := a.Append("other", msg("late"), nil, time.Time{}); return err }, storage.ErrClosed},
		{"COPY", func() error { _, _, _, err := a.Copy(v, v.UIDs()[:1], "other"); return err }, storage.ErrClosed},
		{"STORE", func() error {
			_, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagSeen})
			return err
		}, nil},
		{"SETTLE", func() error { v.Settle(); return nil }, nil},
		{"POLL", func() error { var r recorder; v.Poll(true, &r); return nil }, nil},
		{"EXPUNGE", func() error {
			if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{storage.FlagDeleted}); err != nil {
				return err
			}
			return v.Expunge(v.UIDs()[:1], false)
		}, nil},
		{"CLOSE", func() error { v.Close(); return nil }, nil},
		{"SELECT after the last view", func() error { _, err := a.Select("INBOX", false); return err }, storage.ErrClosed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("%s after Close: %v, want %v", tt.name, err, tt.wantErr)
			}
		})
	}
	noBackground(t, s)
}
