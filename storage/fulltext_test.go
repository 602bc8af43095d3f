package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/fts"
	"github.com/mailgate/mailgate/storage/maildir"
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
	for i := range n {
		if _, _, err := a.Append("INBOX", strings.NewReader(fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i)), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("INBOX", true)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(ftsDir, "*.fts"))
		got := 0
		if len(files) == 1 {
			got, _ = fts.Peek(files[0])
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index holds %d of %d messages a minute after the session left", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
