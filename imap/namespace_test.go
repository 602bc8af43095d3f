package imap_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// The seed's namespace examples, with maildir mailboxes: personal "" in
// $home/mailfolder, other users under "~" in /var/imap/$user (here below
// the test directory), and "#shared/".
func seedLayout(root string, l *storage.Layout) {
	l.Personal = storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "", Delimiter: "/", Directory: "$home/mailfolder"}}}
	l.Other = storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Delimiter: "/", Directory: filepath.Join(root, "imap", "$user")}}}
	l.Shared = storage.Namespace{Mode: 0o060, Prefixes: []storage.Prefix{{Prefix: "#shared/", Delimiter: "/", Directory: filepath.Join(root, "imap", "shared")}}}
}

func TestNamespaces(t *testing.T) {
	e := startServerLayout(t, seedLayout, nil)
	// bob has two mailboxes in the other users' directory.
	for _, m := range []string{"Projects", "Projects/2024"} {
		d := filepath.Join(e.root, "imap", "bob", m)
		for _, sub := range []string{"cur", "new", "tmp"} {
			os.MkdirAll(filepath.Join(d, sub), 0o700)
		}
	}
	c := e.raw()
	c.login("alice")
	u := c.ok("n NAMESPACE")
	if u[0] != `* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/"))` {
		t.Errorf("NAMESPACE: %q", u)
	}
	for _, tc := range []struct {
		cmd       string
		ok        bool
		untagged  string // a line the answer must contain, if any
		forbidden string // a line it must not contain
	}{
		{"a CREATE Work", true, "", ""},
		{`b LIST "" "*"`, true, `"/" Work`, "Projects"},
		{`c LIST "~" "%"`, false, "", ""},
		{`d LIST "~bob/" "%"`, true, `(\HasChildren) "/" ~bob/Projects`, "2024"},
		{`e LIST "~bob/" "*"`, true, `"/" ~bob/Projects/2024`, ""},
		{`f LIST "~bob" "%"`, true, `"/" ~bob/Projects`, ""},
		{`g LIST "~nobody/" "*"`, true, "", "~nobody"}, // as for a user with no mailboxes: LIST tells nobody who has an account
		{`g2 LIST "" ~bob`, true, "", "Projects"},      // a user's name whole, no wildcard: imaptest's atoms
		{`g3 LIST "" ~nobody`, true, "", "~nobody"},    // likewise for nobody
		{`g4 LIST "" ~b%`, false, "", ""},              // but users are not enumerated
		{"h CREATE ~bob/Mine", false, "", ""},
		{"i DELETE ~bob/Projects", false, "", ""},
		{"j RENAME ~bob/Projects Stolen", false, "", ""},
		{"k APPEND ~bob/Projects {1}", false, "", ""},
		{"l EXAMINE ~bob/Projects", true, "READ-ONLY", ""},
		{"m SELECT ~bob/Projects", true, "READ-ONLY", ""},
		{"n CLOSE", true, "", ""},
		{"o CREATE #shared/team", true, "", ""},
		{`p LIST "#shared/" "%"`, true, `"/" #shared/team`, ""},
		{"q RENAME #shared/team #shared/crew", true, "", ""},
		{"r SELECT #shared/crew", true, "READ-WRITE", ""},
		// A DELETE of the selected mailbox ends the session (gone.go).
		{"r2 UNSELECT", true, "", ""},
		{"s DELETE #shared/crew", true, "", ""},
	} {
		u, done := c.do(tc.cmd)
		tag := strings.Fields(tc.cmd)[0]
		if tc.ok != strings.HasPrefix(done, tag+" OK") {
			t.Errorf("%s: %q, want ok=%v", tc.cmd, done, tc.ok)
		}
		all := append(u, done)
		if tc.untagged != "" && !contains(all, tc.untagged) {
			t.Errorf("%s: no %q in %q", tc.cmd, tc.untagged, all)
		}
		if tc.forbidden != "" && contains(all, tc.forbidden) {
			t.Errorf("%s: %q in %q", tc.cmd, tc.forbidden, all)
		}
	}
	// mailbox-mode g=rw: the shared mailbox's files are group read-write.
	c.ok("t CREATE #shared/modes")
	fi, err := os.Stat(filepath.Join(e.root, "imap", "shared", "modes"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o770 {
		t.Errorf("shared mailbox directory mode %o, want 770 (g=rw plus x)", fi.Mode().Perm())
	}
	// Mailboxes live in $home/mailfolder, INBOX where the pattern says.
	if _, err := os.Stat(filepath.Join(e.root, "alice", "mailfolder", "Work", "cur")); err != nil {
		t.Errorf("personal mailbox not in $home/mailfolder: %v", err)
	}
}

// The seed's personal example verbatim: "" in $home/mailfolder with any
// format, and "#MH:" in $home/Mail with MH folders only.
func TestSeedPersonalNamespace(t *testing.T) {
	e := startServerLayout(t, func(root string, l *storage.Layout) {
		l.Personal = storage.Namespace{Prefixes: []storage.Prefix{
			{Prefix: "", Directory: "$home/mailfolder"},
			{Prefix: "#MH:", Directory: "$home/Mail", Delimiter: "/", Type: "mh"},
		}}
		l.Other = storage.Namespace{}
	}, nil)
	home := filepath.Join(e.root, "alice")
	// A maildir inside $home/Mail is not an MH folder: not listed there.
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(home, "Mail", "notmh", sub), 0o700)
	}
	// An MH folder that nmh made, with one message.
	os.MkdirAll(filepath.Join(home, "Mail", "inbox"), 0o700)
	os.WriteFile(filepath.Join(home, "Mail", "inbox", ".mh_sequences"), []byte("unseen: 1\n"), 0o600)
	os.WriteFile(filepath.Join(home, "Mail", "inbox", "1"), []byte("Subject: from nmh\n\nhello\n"), 0o600)
	c := e.raw()
	c.login("alice")
	u := c.ok("n NAMESPACE")
	// RFC 2342's grammar puts no space between the descriptions.
	if u[0] != `* NAMESPACE (("" "/")("#MH:" "/")) NIL NIL` {
		t.Errorf("NAMESPACE: %q", u)
	}
	c.ok("a CREATE #MH:work")
	if _, err := os.Stat(filepath.Join(home, "Mail", "work", ".mh_sequences")); err != nil {
		t.Errorf("CREATE #MH:work did not make an MH folder: %v", err)
	}
	c.ok("b CREATE Lists")
	if _, err := os.Stat(filepath.Join(home, "mailfolder", "Lists", "cur")); err != nil {
		t.Errorf("CREATE Lists did not make a maildir in $home/mailfolder: %v", err)
	}
	u = c.ok(`c LIST "" "*"`)
	for _, want := range []string{`"/" #MH:inbox`, `"/" #MH:work`, `"/" Lists`, `"/" INBOX`} {
		if !contains(u, want) {
			t.Errorf("LIST lacks %s: %q", want, u)
		}
	}
	if contains(u, "notmh") {
		t.Errorf("a maildir is listed under the MH-only prefix: %q", u)
	}
	u = c.ok("d SELECT #MH:inbox")
	if !contains(u, "* 1 EXISTS") {
		t.Errorf("SELECT #MH:inbox: %q", u)
	}
	u = c.ok("e FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if !strings.Contains(strings.Join(u, "\n"), "from nmh") {
		t.Errorf("FETCH from the MH folder: %q", u)
	}
	c.ok(`f STORE 1 +FLAGS (\Seen \Flagged)`)
	seq, _ := os.ReadFile(filepath.Join(home, "Mail", "inbox", ".mh_sequences"))
	if strings.Contains(string(seq), "unseen: 1") || !strings.Contains(string(seq), "flagged: 1") {
		t.Errorf(".mh_sequences after STORE: %q", seq)
	}
	c.ok("g COPY 1 Lists")
	c.ok("h MOVE 1 #MH:work")
	if _, err := os.Stat(filepath.Join(home, "Mail", "inbox", ",1")); err != nil {
		t.Errorf("the moved message was not renamed to ,1 as MH does: %v", err)
	}
}
