package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseMailboxIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]mailboxID
	}{
		{"", map[string]mailboxID{}},
		{"Mabc 7 INBOX\nMdef 9 a b/c\n", map[string]mailboxID{"INBOX": {"Mabc", 7}, "a b/c": {"Mdef", 9}}},
		{"bad line\nM1 x box\nM2 4294967296 box\nM! 1 box\nM3 1 \nM4 2 ok", map[string]mailboxID{"ok": {"M4", 2}}},
	} {
		got := parseMailboxIDs([]byte(tc.in))
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
			continue
		}
		for n, w := range tc.want {
			if got[n] != w {
				t.Errorf("%q: %q is %v, want %v", tc.in, n, got[n], w)
			}
		}
	}
}

func TestMailboxIDRenameDelete(t *testing.T) {
	a := testAccountForIDs(t)
	id, err := a.MailboxID("a", 1)
	if err != nil || !validObjectID(id) {
		t.Fatalf("MailboxID: %q, %v", id, err)
	}
	child, _ := a.MailboxID("a/b", 2)
	if again, _ := a.MailboxID("a", 1); again != id {
		t.Fatalf("second call: %q, want %q", again, id)
	}
	if other, _ := a.MailboxID("a", 5); other == id {
		t.Fatal("a new UIDVALIDITY kept the identifier")
	}
	a.renameMailboxIDs("a", "z", "/")
	if got, _ := a.MailboxID("z/b", 2); got != child {
		t.Fatalf("child after rename: %q, want %q", got, child)
	}
	a.forgetMailboxID("z/b")
	if got, _ := a.MailboxID("z/b", 2); got == child {
		t.Fatal("deleted mailbox's identifier given again")
	}
}

// A process keeps the identifier file it read (idFiles) and must still
// see what another process wrote since (found by the device, inode,
// size and times): a rename there moves the
// identifier, a delete drops it, and a hand-edited file of the same size
// is read again too.
func TestMailboxIDAnotherProcess(t *testing.T) {
	home := t.TempDir()
	account := func() *Account {
		s := New(Options{})
		t.Cleanup(func() { s.Close() })
		return s.Account(User{Name: "u", Home: home}, &Layout{})
	}
	// Files are kept at once, so that what is checked is the cache's
	// test of a replaced file, not the time it waits for one to settle.
	defer func(d time.Duration) { idFileSettle = d }(idFileSettle)
	idFileSettle = 0
	a, b := account(), account()
	id, err := a.MailboxID("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.MailboxID("a", 1); err != nil || len(a.store.mailboxIDs.files) != 1 {
		t.Fatalf("the file was not kept: %v", err)
	}
	if got, _ := b.MailboxID("a", 1); got != id {
		t.Fatalf("other process: %q, want %q", got, id)
	}
	b.renameMailboxIDs("a", "z", "/")
	if got, _ := a.MailboxID("z", 1); got != id {
		t.Fatalf("after the other process's rename: %q, want %q", got, id)
	}
	if got, _ := a.MailboxID("a", 1); got == id {
		t.Fatal("the renamed mailbox's identifier given to its old name")
	}
	b.forgetMailboxID("z")
	if got, _ := a.MailboxID("z", 1); got == id {
		t.Fatal("an identifier the other process deleted given again")
	}

	// Changed to a file of the same size and time: the inode tells.
	// Before: a and z. The other process deletes z, renames a to z and
	// gives a new a an identifier of its own.
	idA, _ := a.MailboxID("a", 1)
	idZ, _ := a.MailboxID("z", 1)
	path := a.mailboxIDFile()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b.forgetMailboxID("z")
	b.renameMailboxIDs("a", "z", "/")
	idNew, _ := b.MailboxID("a", 1)
	if after, _ := os.Stat(path); after.Size() != fi.Size() {
		t.Fatalf("size %d, then %d: the test needs the same", fi.Size(), after.Size())
	}
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	if got, _ := a.MailboxID("a", 1); got != idNew || got == idA || got == idZ {
		t.Fatalf("a: %q, want the other process's %q", got, idNew)
	}
	if got, _ := a.MailboxID("z", 1); got != idA {
		t.Fatalf("z: %q, want a's %q", got, idA)
	}
}

// testAccountForIDs is an account whose home is a temporary directory.
func testAccountForIDs(t *testing.T) *Account {
	s := New(Options{})
	t.Cleanup(func() { s.Close() })
	return s.Account(User{Name: "u", Home: t.TempDir()}, &Layout{})
}

// FuzzParseMailboxIDs: any file reads without panic, and what it yields
// is written and read back the same.
func FuzzParseMailboxIDs(f *testing.F) {
	f.Add([]byte("Mabc 7 INBOX\nMdef 9 a b/c\n"))
	f.Add([]byte("x 1\n\n M 2 3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ids := parseMailboxIDs(data)
		out := formatMailboxIDs(ids)
		back := parseMailboxIDs(out)
		if len(back) != len(ids) {
			t.Fatalf("%q: %d names, %d after a round trip", data, len(ids), len(back))
		}
		for n, m := range ids {
			if back[n] != m {
				t.Fatalf("%q: %q is %v, then %v", data, n, m, back[n])
			}
		}
		if !bytes.Equal(formatMailboxIDs(back), out) {
			t.Fatal("format is not stable")
		}
	})
}

// The identifiers were kept in the home before they moved to the mail
// directory: a user who has only the old file keeps every identifier,
// and the first change writes them all to the new file, leaving the old
// one as it was. A layout without a personal namespace keeps them in
// the home, and panics nowhere.
func TestMailboxIDsMigrateFromHome(t *testing.T) {
	s := New(Options{})
	t.Cleanup(func() { s.Close() })
	home := t.TempDir()
	old := "Mold1 7 INBOX\nMold2 9 a/b\n"
	legacy := filepath.Join(home, ".mailgate-mailbox-ids")
	if err := os.WriteFile(legacy, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	layout := &Layout{Personal: Namespace{Prefixes: []Prefix{{Prefix: "", Delimiter: "/", Directory: "$home/Mail"}}}}
	a := s.Account(User{Name: "u", Home: home}, layout)
	newFile := filepath.Join(home, "Mail", ".mailgate-mailbox-ids")
	if a.mailboxIDFile() != newFile {
		t.Fatalf("identifier file %q, want %q", a.mailboxIDFile(), newFile)
	}
	for _, tc := range []struct {
		name     string
		validity uint32
		want     string
	}{{"INBOX", 7, "Mold1"}, {"a/b", 9, "Mold2"}} {
		if got, err := a.MailboxID(tc.name, tc.validity); err != nil || got != tc.want {
			t.Errorf("MailboxID(%q) = %q, %v; want the old %q", tc.name, got, err, tc.want)
		}
	}
	data, err := os.ReadFile(newFile)
	if err != nil || !bytes.Contains(data, []byte("Mold1 7 INBOX")) || !bytes.Contains(data, []byte("Mold2 9 a/b")) {
		t.Fatalf("new file after the first use: %q, %v", data, err)
	}
	a.renameMailboxIDs("a", "z", "/")
	if got, _ := a.MailboxID("z/b", 9); got != "Mold2" {
		t.Errorf("after RENAME: %q, want Mold2", got)
	}
	if got, _ := os.ReadFile(legacy); string(got) != old {
		t.Errorf("the old file changed: %q", got)
	}

	// A rename as the first change migrates too.
	home2 := t.TempDir()
	os.WriteFile(filepath.Join(home2, ".mailgate-mailbox-ids"), []byte(old), 0o600)
	a2 := s.Account(User{Name: "v", Home: home2}, layout)
	a2.renameMailboxIDs("a", "c", "/")
	if got, _ := a2.MailboxID("c/b", 9); got != "Mold2" {
		t.Errorf("rename before any read: %q, want Mold2", got)
	}
	if got, _ := a2.MailboxID("INBOX", 7); got != "Mold1" {
		t.Errorf("INBOX after a rename migrated: %q, want Mold1", got)
	}

	// No personal namespace at all.
	a3 := s.Account(User{Name: "w", Home: t.TempDir()}, &Layout{})
	if id, err := a3.MailboxID("INBOX", 1); err != nil || !validObjectID(id) {
		t.Errorf("without a personal namespace: %q, %v", id, err)
	}
}

// A file written less than idFileSettle ago is read every time, not kept:
// on a coarse clock a replacement within the same tick would look the
// same (TestMailboxIDCacheInodeReuse).
func TestMailboxIDFreshFileNotKept(t *testing.T) {
	a := testAccountForIDs(t)
	if _, err := a.MailboxID("a", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MailboxID("a", 1); err != nil {
		t.Fatal(err)
	}
	if n := len(a.store.mailboxIDs.files); n != 0 {
		t.Fatalf("%d files kept, want none while just written", n)
	}
}
