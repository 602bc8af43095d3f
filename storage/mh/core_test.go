package mh_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/mh"
)

// newAccount gives a user whose INBOX and folders are MH folders under
// $home/Mail, through the storage core.
func newAccount(t *testing.T, home string) *storage.Account {
	t.Helper()
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{mh.New()},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	t.Cleanup(func() { s.Close() })
	layout := &storage.Layout{
		Inbox:       "mh:$home/Mail/inbox",
		DefaultType: "mh",
		Personal:    storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home/Mail", Type: "mh"}}},
		LookupHome:  func(string) (string, bool) { return "", false },
	}
	return s.Account(storage.User{Name: "alice", Home: home}, layout)
}

func TestThroughTheCore(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "Mail"), 0o700); err != nil {
		t.Fatal(err)
	}
	a := newAccount(t, home)
	for _, subject := range []string{"one", "two"} {
		if _, _, err := a.Append("INBOX", strings.NewReader("Subject: "+subject+"\r\n\r\nbody\r\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.Status("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 2 || st.Recent != 2 || st.Unseen != 2 || st.UIDNext != 3 {
		t.Fatalf("STATUS = %+v", st)
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	if v.RecentCount() != 2 {
		t.Fatalf("RECENT %d", v.RecentCount())
	}
	if _, err := v.Store([]uint32{1}, storage.AddFlags, []string{storage.FlagSeen, "$Label1"}); err != nil {
		t.Fatal(err)
	}
	v.Close()
	seq, _ := os.ReadFile(filepath.Join(home, "Mail", "inbox", ".mh_sequences"))
	if string(seq) != "unseen: 2\n$Label1: 1\n" {
		t.Fatalf(".mh_sequences = %q", seq)
	}

	// A new process: nothing is recent any more, the flags stayed.
	b := newAccount(t, home)
	if st, err := b.Status("INBOX"); err != nil || st.Recent != 0 || st.Unseen != 1 || st.Messages != 2 {
		t.Fatalf("STATUS after restart = %+v, %v", st, err)
	}

	// Folders nest; a bare directory level is \Noselect.
	if err := b.Create("work/projects"); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	b.List(func(string) bool { return true }, func(mi storage.MailboxInfo) { got[mi.Name] = mi.NoSelect })
	if noSelect, ok := got["work"]; !ok || !noSelect {
		t.Errorf("work: listed %v, NoSelect %v", ok, noSelect)
	}
	if noSelect, ok := got["work/projects"]; !ok || noSelect {
		t.Errorf("work/projects: listed %v, NoSelect %v (%v)", ok, noSelect, got)
	}
	// All-digit names are message files in MH, not folder names.
	if err := b.Create("2024"); !errors.Is(err, storage.ErrBadName) {
		t.Errorf("Create(2024): %v", err)
	}
}
