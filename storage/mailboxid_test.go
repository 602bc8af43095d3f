package storage

import (
	"bytes"
	"testing"
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
