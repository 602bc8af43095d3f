package storage_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/mh"
)

// TestMHBackupsOnlyForWriters: an MH folder's old ",N" backups of
// expunged messages are removed when its owner opens it, never when
// another user reads it through the other users' namespace, which is
// read-only, even where the file system would let that process remove
// them (here every user's mail is the test's uid, as with a virtual
// user).
func TestMHBackupsOnlyForWriters(t *testing.T) {
	root := t.TempDir()
	homes := map[string]string{"alice": filepath.Join(root, "alice"), "bob": filepath.Join(root, "bob")}
	box := filepath.Join(homes["alice"], "Mail", "inbox")
	writeMH(t, box, map[string]string{"1": "Subject: a\n\nalpha\n", ",7": "Subject: gone\n\nold\n"})
	backup := filepath.Join(box, ",7")
	layout := &storage.Layout{
		Inbox:      "mh:$home/Mail/inbox",
		Other:      storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Directory: "$home"}}},
		LookupHome: func(u string) (string, bool) { h, ok := homes[u]; return h, ok },
	}
	// One Store stands for one process; backups are old after a
	// nanosecond.
	process := func(user string) (*storage.Store, *storage.Account) {
		s := storage.New(storage.Options{
			Drivers: []storage.Driver{&mh.Driver{Options: mh.Options{KeepExpunged: time.Nanosecond}}},
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		t.Cleanup(func() { s.Close() })
		return s, s.Account(storage.User{Name: user, Home: homes[user]}, layout)
	}
	time.Sleep(10 * time.Millisecond)

	s, bob := process("bob")
	v, err := bob.Select("~alice/Mail/inbox", false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Count() != 1 {
		t.Fatalf("bob sees %d messages, want 1", v.Count())
	}
	if _, err := bob.Status("~alice/Mail/inbox"); err != nil {
		t.Fatal(err)
	}
	// A removal would take a few milliseconds.
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Lstat(backup); err != nil {
			t.Fatalf("while another user reads the folder, the backup: %v", err)
		}
	}
	v.Close()
	s.Close() // waits for any removal the folder started
	if _, err := os.Lstat(backup); err != nil {
		t.Errorf("after another user read the folder, the backup: %v", err)
	}

	_, alice := process("alice")
	v, err = alice.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	waitFor(t, "the owner's process to remove the old backup", func() bool {
		_, err := os.Lstat(backup)
		return os.IsNotExist(err)
	})
}
