package imap_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// sortMessage is a message for the SORT and THREAD tests.
func sortMessage(from, subject, date, id, refs string) string {
	m := "From: " + from + "\r\nTo: list@example.org\r\nSubject: " + subject + "\r\n"
	if date != "" {
		m += "Date: " + date + "\r\n"
	}
	m += "Message-ID: <" + id + ">\r\n"
	if refs != "" {
		m += "References: " + refs + "\r\n"
	}
	return m + "\r\n" + strings.Repeat("body ", len(id)) + "\r\n"
}

// TestSortThreadSession drives SORT and THREAD over a real socket, the
// unhappy paths included.
func TestSortThreadSession(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	for _, m := range []string{
		sortMessage("Carol <carol@example.org>", "Hello", "Mon, 2 Nov 2026 10:00:00 +0000", "a@x", ""),
		sortMessage("alice@example.org", "Re: Hello", "Mon, 2 Nov 2026 12:00:00 +0000", "b@x", "<a@x>"),
		sortMessage("\"Bob\" <zed@example.org>", "[list] Agenda", "Mon, 2 Nov 2026 10:30:00 +0100", "c@x", ""),
		sortMessage("bob@example.org", "Re: Hello", "", "d@x", "<a@x>"),
		sortMessage("Dave <dave@example.org>", "re: re: agenda", "Tue, 3 Nov 2026 09:00:00 +0000", "e@x", "<c@x>"),
	} {
		c.appendMsg("INBOX", "", m)
	}
	c.ok("s SELECT INBOX")
	for _, tc := range []struct{ cmd, want string }{
		{"a SORT (SUBJECT) UTF-8 ALL", "* SORT 3 5 1 2 4"},
		{"a SORT (REVERSE SUBJECT) UTF-8 ALL", "* SORT 1 2 4 3 5"},
		// Message 4 has no Date: its internal date, now, is the latest.
		{"a SORT (DATE) US-ASCII ALL", "* SORT 3 1 2 5 4"},
		{"a SORT (REVERSE DATE) US-ASCII ALL", "* SORT 4 5 2 1 3"},
		{"a SORT (FROM) UTF-8 ALL", "* SORT 2 4 1 5 3"},
		{"a SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 2 3 4 1 5"},
		{"a SORT (SIZE ARRIVAL) UTF-8 ALL", "* SORT 4 1 3 2 5"},
		{"a SORT (SUBJECT REVERSE DATE) UTF-8 FROM example", "* SORT 5 3 4 2 1"},
		{"a UID SORT (SUBJECT) UTF-8 2:5", "* SORT 3 5 2 4"},
		{"a SORT (SUBJECT) UTF-8 SUBJECT nothing", "* SORT"},
		{"a THREAD REFERENCES UTF-8 ALL", "* THREAD (3 5)(1 (2)(4))"},
		{"a THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (3 5)(1 (2)(4))"},
		// REFS: no gathering by subject; threads by their latest
		// message (4, without a Date, is the newest).
		{"a THREAD REFS UTF-8 ALL", "* THREAD (3 5)(1 (2)(4))"},
		{"a UID THREAD REFS UTF-8 NOT 4", "* THREAD (1 2)(3 5)"},
		{"a UID THREAD REFERENCES UTF-8 NOT 1", "* THREAD (3 5)((2)(4))"},
		{"a THREAD REFERENCES UTF-8 SUBJECT nothing", "* THREAD"},
		// ESORT (RFC 5267 section 3.2): MIN and MAX are the first and
		// the last in the sort order; ALL is in the sort order.
		{"a SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "a") MIN 3 MAX 4 COUNT 5 ALL 3,5,1:2,4`},
		{"a UID SORT RETURN () (REVERSE SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "a") UID ALL 1:2,4,3,5`},
		{"a SORT RETURN (COUNT) (SUBJECT) UTF-8 SUBJECT nothing", `* ESEARCH (TAG "a") COUNT 0`},
		// PARTIAL (RFC 9394 section 3): positions in the result,
		// negative ones from its end.
		{"a SORT RETURN (PARTIAL 2:3) (SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "a") PARTIAL (2:3 5,1)`},
		{"a SORT RETURN (PARTIAL -1:-2) (SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "a") PARTIAL (-1:-2 2,4)`},
		{"a SEARCH RETURN (PARTIAL -2:-1) ALL", `* ESEARCH (TAG "a") PARTIAL (-1:-2 4:5)`},
		{"a SEARCH RETURN (PARTIAL 4:9 COUNT) ALL", `* ESEARCH (TAG "a") COUNT 5 PARTIAL (4:9 4:5)`},
		{"a UID SEARCH RETURN (PARTIAL 6:9) ALL", `* ESEARCH (TAG "a") UID PARTIAL (6:9 NIL)`},
		{"a SEARCH RETURN (PARTIAL -6:-9) ALL", `* ESEARCH (TAG "a") PARTIAL (-6:-9 NIL)`},
	} {
		if u := c.ok(tc.cmd); !slices.Contains(u, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.cmd, u, tc.want)
		}
	}
	for _, tc := range []struct{ cmd, want string }{
		{"b SORT (SUBJECT) KOI8-R ALL", "b NO [BADCHARSET (US-ASCII UTF-8)]"},
		{"b SORT (NOSUCHKEY) UTF-8 ALL", "b BAD"},
		{"b SORT () UTF-8 ALL", "b BAD"},
		{"b SORT (REVERSE) UTF-8 ALL", "b BAD"},
		{"b SORT (SUBJECT) UTF-8", "b BAD"},
		{"b SORT SUBJECT UTF-8 ALL", "b BAD"},
		{"b THREAD NOSUCH UTF-8 ALL", "b BAD"},
		{"b THREAD REFERENCES UTF-8", "b BAD"},
		{"b THREAD REFERENCES KOI8-R ALL", "b NO [BADCHARSET"},
		{"b SORT RETURN (PARTIAL 1) (SUBJECT) UTF-8 ALL", "b BAD"},
		{"b SEARCH RETURN (PARTIAL 1:*) ALL", "b BAD"},
		{"b SEARCH RETURN (PARTIAL 0:3) ALL", "b BAD"},
		{"b SEARCH RETURN (PARTIAL -1:3) ALL", "b BAD"},
		{"b SEARCH RETURN (PARTIAL 1:99999999999) ALL", "b BAD"},
		{"b SORT RETURN (NOSUCH) (SUBJECT) UTF-8 ALL", "b BAD"},
	} {
		if _, done := c.do(tc.cmd); !strings.HasPrefix(done, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.cmd, done, tc.want)
		}
	}
	// The session goes on after each refusal.
	c.ok("n NOOP")
}

// TestSortWarmReadsNoMessages checks that a second SORT answers from the
// cache: the messages' files are rewritten with other subjects in
// between, and the order stays that of the first reading.
func TestSortWarmReadsNoMessages(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	for _, s := range []string{"b", "c", "a"} {
		c.appendMsg("INBOX", "", sortMessage("x@y", s, "", s+"@x", ""))
	}
	c.ok("s SELECT INBOX")
	const want = "* SORT 3 1 2"
	if u := c.ok("a SORT (SUBJECT) UTF-8 ALL"); !slices.Contains(u, want) {
		t.Fatalf("first SORT: %q", u)
	}
	files, _ := filepath.Glob(filepath.Join(env.root, "alice", "INBOX", "cur", "*"))
	news, _ := filepath.Glob(filepath.Join(env.root, "alice", "INBOX", "new", "*"))
	files = append(files, news...)
	if len(files) != 3 {
		t.Fatalf("found %d message files, want 3", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Same size, another subject: "a" and "c" swap places.
		data = bytes.Replace(data, []byte("Subject: a"), []byte("Subject: d"), 1)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if u := c.ok("b SORT (SUBJECT) UTF-8 ALL"); !slices.Contains(u, want) {
		t.Errorf("warm SORT read the messages again: %q, want %q", u, want)
	}
}

// TestSearchContextSession checks SEARCH RETURN (UPDATE) (RFC 5267
// section 4) over a socket: another session's changes reach the context
// at the next command, an expunge is removed with its old number before
// the EXPUNGE, and CANCELUPDATE ends it.
func TestSearchContextSession(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	for _, s := range []string{"a", "b", "c", "d"} {
		c.appendMsg("INBOX", "", sortMessage("x@y", s, "", s+"@x", ""))
	}
	c.ok("s SELECT INBOX")
	if u := c.ok("u1 SEARCH RETURN (UPDATE ALL) SEEN"); !slices.Contains(u, `* ESEARCH (TAG "u1")`) {
		t.Fatalf("first answer %q", u)
	}
	c.ok("u2 UID SEARCH RETURN (UPDATE COUNT) SEEN")
	other := env.raw()
	other.login("alice")
	other.ok("s SELECT INBOX")
	other.ok("o STORE 2:3 +FLAGS (\\Seen)")
	u := c.ok("n NOOP")
	for _, want := range []string{`* ESEARCH (TAG "u1") ADDTO (0 2:3)`, `* ESEARCH (TAG "u2") UID COUNT 2`} {
		if !slices.Contains(u, want) {
			t.Errorf("after another session's STORE: %q lacks %q", u, want)
		}
	}
	other.ok("o STORE 2 +FLAGS (\\Deleted)")
	other.ok("o EXPUNGE")
	u = c.ok("n NOOP")
	if i := slices.Index(u, `* ESEARCH (TAG "u1") REMOVEFROM (0 2)`); i < 0 || !slices.Contains(u[i:], "* 2 EXPUNGE") {
		t.Errorf("after EXPUNGE: %q, want REMOVEFROM (0 2) before * 2 EXPUNGE", u)
	}
	c.ok(`c CANCELUPDATE "u1" "u2"`)
	other.ok("o STORE 1 +FLAGS (\\Seen)")
	if u := c.ok("n NOOP"); slices.ContainsFunc(u, func(l string) bool { return strings.Contains(l, "ESEARCH") }) {
		t.Errorf("update after CANCELUPDATE: %q", u)
	}
	for _, tc := range []struct{ cmd, want string }{
		{`b CANCELUPDATE "u1"`, "b BAD"},
		{"b CANCELUPDATE", "b BAD"},
	} {
		if _, done := c.do(tc.cmd); !strings.HasPrefix(done, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.cmd, done, tc.want)
		}
	}
	for i := range 8 {
		c.ok("m" + strconv.Itoa(i) + " SEARCH RETURN (UPDATE) ALL")
	}
	// A ninth: refused with an untagged NO, the rest of the command
	// answered (RFC 5267 section 4.3.1).
	if u, done := c.do("m9 SEARCH RETURN (UPDATE COUNT) ALL"); !strings.HasPrefix(done, "m9 OK") ||
		!slices.Contains(u, `* NO [NOUPDATE "m9"] Too many updating searches; CANCELUPDATE one first`) ||
		!slices.ContainsFunc(u, func(l string) bool { return strings.HasPrefix(l, `* ESEARCH (TAG "m9") COUNT`) }) {
		t.Errorf("a ninth updating search: %q %q", u, done)
	}
	if _, done := c.do(`c CANCELUPDATE "m9"`); !strings.HasPrefix(done, "c BAD") {
		t.Errorf("the refused context m9 can be cancelled: %q", done)
	}
	// A new SELECT ends them all.
	c.ok("s SELECT INBOX")
	if _, done := c.do(`c CANCELUPDATE "m0"`); !strings.HasPrefix(done, "c BAD") {
		t.Errorf("CANCELUPDATE after SELECT: %q", done)
	}
}

// TestSortKeysComeFromCache checks that whatever reads a message's header
// first fills its sort keys, so that SORT reads no message afterwards:
// FETCH ENVELOPE, a SEARCH on a header field, the full-text indexer after
// APPEND, and a first SORT of many messages (read in parallel). Each case
// then rewrites every file with the subjects in reverse order (same
// sizes), and SORT must still answer the order first read.
func TestSortKeysComeFromCache(t *testing.T) {
	const n = 80 // above minParallelReads: the first SORT reads in parallel
	for _, tc := range []struct {
		name    string
		indexed bool   // the full-text indexer runs
		prime   string // the command that reads the headers first
	}{
		{"fetch envelope", false, "FETCH 1:* ENVELOPE"},
		{"search header", false, "SEARCH FROM nobody"},
		{"first sort", false, "SORT (SUBJECT) UTF-8 ALL"},
		{"indexer after append", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e *testEnv
			if tc.indexed {
				e = startServerStore(t, func(root string, o *storage.Options) {
					o.FullText = &storage.FullText{Dir: filepath.Join(root, "fts"), Extract: imap.FullTextDoc, Derive: imap.HeaderCache}
				}, nil, nil)
			} else {
				e = startServer(t, nil)
			}
			c := e.raw()
			c.login("alice")
			// Message i (from 1) has subject number (i*37)%n+10: two
			// digits, a permutation.
			subject := func(i int) int { return (i*37)%n + 10 }
			for i := 1; i <= n; i++ {
				c.appendMsg("INBOX", "", sortMessage("x@y", "s"+strconv.Itoa(subject(i)), "", strconv.Itoa(i)+"@x", ""))
			}
			c.ok("s SELECT INBOX")
			if tc.indexed {
				waitIndexed(t, e.root, n)
			} else {
				c.ok("p " + tc.prime)
			}
			seqs := make([]int, n)
			for i := range seqs {
				seqs[i] = i + 1
			}
			slices.SortFunc(seqs, func(a, b int) int { return subject(a) - subject(b) })
			want := "* SORT"
			for _, s := range seqs {
				want += " " + strconv.Itoa(s)
			}
			files, _ := filepath.Glob(filepath.Join(e.root, "alice", "INBOX", "cur", "*"))
			news, _ := filepath.Glob(filepath.Join(e.root, "alice", "INBOX", "new", "*"))
			files = append(files, news...)
			if len(files) != n {
				t.Fatalf("found %d message files, want %d", len(files), n)
			}
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				i := bytes.Index(data, []byte("Subject: s")) + len("Subject: s")
				k, _ := strconv.Atoi(string(data[i : i+2]))
				copy(data[i:], strconv.Itoa(n+19-k)) // 10..n+9 reversed
				if err := os.WriteFile(f, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if u := c.ok("a SORT (SUBJECT) UTF-8 ALL"); !slices.Contains(u, want) {
				t.Errorf("SORT read the messages again: %q, want %q", u, want)
			}
		})
	}
}
