package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/fts"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mbox"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestFullTextBuildOutlivesSessions: the index of a mailbox is built to
// the end even when every session left the mailbox (and its lingering
// ran out) in the middle of the build.
func TestFullTextBuildOutlivesSessions(t *testing.T) {
	root := t.TempDir()
	ftsDir := filepath.Join(root, "fts")
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{maildir.New()},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Linger:  time.Millisecond,
		FullText: &storage.FullText{Dir: ftsDir, Extract: func(r io.Reader) (*fts.Doc, error) {
			time.Sleep(2 * time.Millisecond) // a build that outlasts the session
			b, err := io.ReadAll(r)
			return &fts.Doc{Text: b}, err
		}},
	})
	defer s.Close()
	home := filepath.Join(root, "alice")
	os.MkdirAll(home, 0o700)
	a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"})
	const n = 300
	appendN(t, a, n)
	v, err := a.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	var files []string
	for deadline := time.Now().Add(10 * time.Second); len(files) != 1 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		files, _ = filepath.Glob(filepath.Join(ftsDir, "*.fts"))
	}
	if len(files) != 1 {
		t.Fatalf("index files %q", files)
	}
	waitPeek(t, files[0], n)
}

// appendN appends n messages to a's INBOX; message i's body holds
// "word<i>".
func appendN(t *testing.T, a *storage.Account, n int) {
	t.Helper()
	for i := range n {
		if _, _, err := a.Append("INBOX", strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody word%d\r\n", i, i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFullTextBeside: with FullText.Beside (a session process running
// as the mail's owner) the index is kept beside each mailbox's cache
// file, for a maildir, an MH folder and an mbox alike, and it is what
// answers; a mailbox of another user gets none.
func TestFullTextBeside(t *testing.T) {
	root := t.TempDir()
	s := storage.New(storage.Options{
		Drivers:  []storage.Driver{maildir.New(), mh.New(), mbox.New(mbox.Options{})},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		FullText: &storage.FullText{Beside: true, Extract: rawDoc},
	})
	defer s.Close()
	home := filepath.Join(root, "alice")
	os.MkdirAll(home, 0o700)
	for _, c := range []struct{ inbox, index string }{
		{"maildir:$home/Maildir", "Maildir/.mailgate-fts"},
		{"mh:$home/Mail/inbox", "Mail/inbox/.mailgate-fts"},
		{"mbox:$home/mbox", ".mbox.mgfts"},
	} {
		t.Run(strings.SplitN(c.inbox, ":", 2)[0], func(t *testing.T) {
			a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: c.inbox, DefaultType: "maildir"})
			const n = 20
			appendN(t, a, n)
			v, err := a.Select("INBOX", true)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			path := filepath.Join(home, c.index)
			waitPeek(t, path, n)
			if f := v.TextFilter("word7", fts.Body); f == nil || f.Count() != 1 {
				t.Errorf("the index beside the mailbox does not answer: %v", f)
			}
		})
	}
	if os.Geteuid() != 0 {
		return
	}
	// Another user's mailbox: no index, and nothing written into it.
	other := filepath.Join(root, "bob")
	os.MkdirAll(other, 0o700)
	b := s.Account(storage.User{Name: "bob", Home: other}, &storage.Layout{Inbox: "maildir:$home/Maildir", DefaultType: "maildir"})
	b.Append("INBOX", strings.NewReader("Subject: x\r\n\r\nbody\r\n"), nil, time.Time{})
	os.Chown(filepath.Join(other, "Maildir"), 4242, 4242)
	v, err := b.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if f := v.TextFilter("body", fts.Body); f != nil {
		t.Errorf("another user's mailbox was indexed")
	}
	// The indexer was woken: Close waits for whatever it does.
	v.Settle()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(other, "Maildir", ".mailgate-fts")); err == nil {
		t.Errorf("an index was written into another user's mailbox")
	}
}

func rawDoc(r io.Reader) (*fts.Doc, error) {
	b, err := io.ReadAll(r)
	return &fts.Doc{Text: b}, err
}

// waitPeek waits until the index at path holds n messages.
func waitPeek(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, _ := fts.Peek(path)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index %s holds %d of %d messages", path, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDerivesHeaders: a view says that the build derives the header's
// values only when the store builds an index of its mailbox with a
// Derive.
func TestDerivesHeaders(t *testing.T) {
	derive := func([]byte) map[string][]byte { return nil }
	for _, c := range []struct {
		name string
		ft   *storage.FullText
		want bool
	}{
		{"none", nil, false},
		{"no Derive", &storage.FullText{Beside: true, Extract: rawDoc}, false},
		{"Derive", &storage.FullText{Beside: true, Extract: rawDoc, Derive: derive}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), FullText: c.ft})
			defer s.Close()
			a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"})
			appendN(t, a, 1)
			v, err := a.Select("INBOX", true)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if got := v.DerivesHeaders(); got != c.want {
				t.Errorf("DerivesHeaders = %v, want %v", got, c.want)
			}
		})
	}
}

// TestFullTextStartDelay: with FullText.StartDelay (a one-session
// process, inetd mode) the first build waits on a timer of that delay,
// however long the session has settled, without reading a message, and
// Close cancels it; the build starts after it.
func TestFullTextStartDelay(t *testing.T) {
	for _, tt := range []struct {
		name  string
		delay time.Duration
		built bool // read before Close
	}{
		{"an hour", time.Hour, false},
		{"a moment", 50 * time.Millisecond, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			var read atomic.Int32
			s := storage.New(storage.Options{
				Drivers: []storage.Driver{maildir.New()},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
				FullText: &storage.FullText{Dir: filepath.Join(root, "fts"), StartDelay: tt.delay,
					Extract: func(r io.Reader) (*fts.Doc, error) {
						read.Add(1)
						b, err := io.ReadAll(r)
						return &fts.Doc{Text: b}, err
					}},
			})
			defer s.Close()
			home := filepath.Join(root, "alice")
			os.MkdirAll(home, 0o700)
			a := s.Account(storage.User{Name: "alice", Home: home}, &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"})
			appendN(t, a, 3)
			v, err := a.Select("INBOX", false)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			v.Settle()
			if tt.built {
				waitFor(t, "the build to read a message", func() bool { return read.Load() > 0 })
				return
			}
			waitFor(t, "the mailbox to settle", func() bool { return storage.Settled(v) })
			if running, waiting := storage.Background(s, storage.BgBuild); running != 0 || waiting != 1 {
				t.Errorf("settled: the build has %d running, %d waiting; want it waiting", running, waiting)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := read.Load(); got != 0 {
				t.Errorf("%d messages read for the index before the delay", got)
			}
		})
	}
}

// TestFullTextMergesBuildsCutShort: builds cut short by their process's
// end leave their messages in the index's log, which every open reads
// again; the update that finds many there merges them into the segment,
// although it added few itself.
func TestFullTextMergesBuildsCutShort(t *testing.T) {
	root := t.TempDir()
	ftsDir := filepath.Join(root, "fts")
	home := filepath.Join(root, "alice")
	inbox := filepath.Join(home, "INBOX")
	const n = 1200 // above mergeAfter; the first build stops at about half
	writeSelectMaildir(t, inbox, n)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	var extracted atomic.Int64
	cutShort := make(chan struct{})
	newStore := func(stopAt int64) *storage.Store {
		return storage.New(storage.Options{
			Drivers: []storage.Driver{maildir.New()},
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			FullText: &storage.FullText{Dir: ftsDir, Extract: func(r io.Reader) (*fts.Doc, error) {
				if extracted.Add(1) == stopAt {
					close(cutShort)
				}
				b, err := io.ReadAll(r)
				return &fts.Doc{Text: b}, err
			}},
		})
	}
	open := func(s *storage.Store) {
		v, err := s.Account(storage.User{Name: "alice", Home: home}, layout).Select("INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		v.Settle()
		v.Close()
	}

	first := newStore(n / 2)
	open(first)
	<-cutShort
	first.Close() // the build stops after the message it reads
	files, _ := filepath.Glob(filepath.Join(ftsDir, "*.fts"))
	if len(files) != 1 {
		t.Fatalf("index files %q", files)
	}
	half, _ := fts.Peek(files[0])
	if half < n/2 || half >= n || n-half >= mergeAfterForTest {
		t.Fatalf("first build indexed %d of %d messages; the test wants it cut short", half, n)
	}

	second := newStore(-1)
	open(second)
	waitPeek(t, files[0], n)
	second.Close()
	x, err := fts.Open(files[0], 1700000000)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if st := x.Stats(); st.Messages != n || st.TailMessages != 0 {
		t.Errorf("after the second build: %d messages, %d of them in the log; want %d, none in the log", st.Messages, st.TailMessages, n)
	}
}

// mergeAfterForTest is storage's mergeAfter.
const mergeAfterForTest = 1000

// TestFullTextDeriveKeepsFileValues: a rebuild of the full-text index
// derives values the cache file holds already; they are not kept a
// second time, and the file is not written again for them.
func TestFullTextDeriveKeepsFileValues(t *testing.T) {
	root := t.TempDir()
	ftsDir := filepath.Join(root, "fts")
	home := filepath.Join(root, "alice")
	inbox := filepath.Join(home, "INBOX")
	const n = 20
	writeSelectMaildir(t, inbox, n)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	build := func(derived string) {
		t.Helper()
		var built atomic.Int64
		s := storage.New(storage.Options{
			Drivers: []storage.Driver{maildir.New()},
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			FullText: &storage.FullText{Dir: ftsDir,
				Extract: func(r io.Reader) (*fts.Doc, error) {
					b, err := io.ReadAll(r)
					built.Add(1)
					return &fts.Doc{Text: b}, err
				},
				Derive: func([]byte) map[string][]byte { return map[string][]byte{"k": []byte(derived)} },
			},
		})
		v, err := s.Account(storage.User{Name: "alice", Home: home}, layout).Select("INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		v.Settle()
		for deadline := time.Now().Add(10 * time.Second); built.Load() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d messages indexed", built.Load(), n)
			}
		}
		v.Close()
		s.Close()
	}
	build("first")
	cacheFile := filepath.Join(inbox, ".mailgate-cache")
	before, err := os.Stat(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(ftsDir); err != nil {
		t.Fatal(err)
	}
	build("second")
	after, err := os.Stat(cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the cache file was written again for values it held")
	}
}
