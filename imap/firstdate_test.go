package imap_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// firstDates are the internal dates (file times) of the messages of
// writeForeignMaildir, by UID: not in UID order, so that SORT ARRIVAL
// tells whether they were read.
var firstDates = []time.Time{
	time.Date(2020, 1, 2, 10, 0, 0, 0, time.UTC),
	time.Date(2021, 6, 15, 12, 30, 0, 0, time.UTC),
	time.Date(2019, 3, 4, 8, 15, 0, 0, time.UTC),
}

// writeForeignMaildir writes a maildir as another program (imap4d)
// leaves it: names with S=, W= and u=, a .mu-prop, no mailgate files,
// and directories last changed an hour ago. The files' times are
// firstDates.
func writeForeignMaildir(t *testing.T, dir string) []string {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for i, date := range firstDates {
		uid := i + 1
		body := fmt.Sprintf("From: a@example.org\nSubject: %d\n\nBody %d.\n", uid, uid)
		crlf := len(body) + strings.Count(body, "\n")
		name := fmt.Sprintf("%d.M%dP1.host,S=%d,W=%d,u=%d:2,S", date.Unix(), uid, len(body), crlf, uid)
		p := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		setFileTime(t, p, date)
		paths = append(paths, p)
	}
	prop := fmt.Sprintf("uidnext: %d\nuid-validity: 1700000000\n", len(firstDates)+1)
	if err := os.WriteFile(filepath.Join(dir, ".mu-prop"), []byte(prop), 0o600); err != nil {
		t.Fatal(err)
	}
	// Written a while ago: a scan may record the state in an index.
	for _, sub := range []string{"cur", "new"} {
		setFileTime(t, filepath.Join(dir, sub), time.Now().Add(-time.Hour))
	}
	return paths
}

func setFileTime(t *testing.T, path string, date time.Time) {
	t.Helper()
	if err := os.Chtimes(path, date, date); err != nil {
		t.Fatal(err)
	}
}

// imapDate is date as INTERNALDATE shows it.
func imapDate(date time.Time) string {
	return `"` + time.Unix(date.Unix(), 0).Format("02-Jan-2006 15:04:05 -0700") + `"`
}

// TestFirstAccessDates: on the first access ever to a maildir another
// program wrote (no index: the scan stats no file, see storage.Dater),
// FETCH INTERNALDATE, SEARCH BEFORE/SINCE/ON and SORT ARRIVAL, each the
// first command after SELECT, answer from the files' times; so does a
// COPY, whose copy keeps the date. A time another program changed before
// the date was first asked for is the one answered, and once answered a
// date stays what it was, in that process and in the next one.
func TestFirstAccessDates(t *testing.T) {
	d := firstDates
	tests := []struct {
		name  string
		touch time.Time // when not zero, message 2's time before the first access
		cmd   string
		want  []string // untagged lines the command must answer
	}{
		{name: "FETCH INTERNALDATE", cmd: "f FETCH 1:* (INTERNALDATE)", want: []string{
			"* 1 FETCH (INTERNALDATE " + imapDate(d[0]) + ")",
			"* 2 FETCH (INTERNALDATE " + imapDate(d[1]) + ")",
			"* 3 FETCH (INTERNALDATE " + imapDate(d[2]) + ")",
		}},
		{name: "FETCH FAST", cmd: "f UID FETCH 2 FAST", want: []string{
			`* 2 FETCH (UID 2 FLAGS (\Seen) INTERNALDATE ` + imapDate(d[1]) + " RFC822.SIZE 44)",
		}},
		{name: "SEARCH SINCE", cmd: "s SEARCH SINCE 1-Jan-2020", want: []string{"* SEARCH 1 2"}},
		{name: "SEARCH BEFORE", cmd: "s SEARCH BEFORE 1-Jan-2020", want: []string{"* SEARCH 3"}},
		{name: "SEARCH ON", cmd: "s SEARCH ON 15-Jun-2021", want: []string{"* SEARCH 2"}},
		{name: "SEARCH NOT SINCE in OR", cmd: "s SEARCH OR NOT SINCE 1-Jan-2020 ON 2-Jan-2020", want: []string{"* SEARCH 1 3"}},
		{name: "SORT ARRIVAL", cmd: "s SORT (ARRIVAL) UTF-8 ALL", want: []string{"* SORT 3 1 2"}},
		{name: "SORT REVERSE ARRIVAL", cmd: "s SORT (REVERSE ARRIVAL) UTF-8 ALL", want: []string{"* SORT 2 1 3"}},
		{name: "changed before the first access: FETCH",
			touch: time.Date(2018, 7, 8, 9, 10, 11, 0, time.UTC),
			cmd:   "f FETCH 2 (INTERNALDATE)",
			want:  []string{"* 2 FETCH (INTERNALDATE " + imapDate(time.Date(2018, 7, 8, 9, 10, 11, 0, time.UTC)) + ")"}},
		{name: "changed before the first access: SORT",
			touch: time.Date(2018, 7, 8, 9, 10, 11, 0, time.UTC),
			cmd:   "s SORT (ARRIVAL) UTF-8 ALL",
			want:  []string{"* SORT 2 3 1"}},
		{name: "changed before the first access: SEARCH",
			touch: time.Date(2018, 7, 8, 9, 10, 11, 0, time.UTC),
			cmd:   "s SEARCH SINCE 1-Jan-2020",
			want:  []string{"* SEARCH 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "INBOX")
			paths := writeForeignMaildir(t, dir)
			if !tt.touch.IsZero() {
				setFileTime(t, paths[1], tt.touch)
			}
			inbox := func(_ string, l *storage.Layout) { l.Inbox = "maildir:" + dir }
			env := startServerLayout(t, inbox, nil)
			c := env.raw()
			c.login("alice")
			c.ok("a SELECT INBOX")
			got := c.ok(tt.cmd)
			for _, w := range tt.want {
				if !contains(got, w) {
					t.Errorf("%s: got %q, want %q", tt.cmd, got, w)
				}
			}

			// Once answered, the dates stay, whatever the files' times
			// do: in this session, and in the next process.
			before := c.ok("b FETCH 1:* (INTERNALDATE)")
			for _, p := range paths {
				setFileTime(t, p, time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC))
			}
			if again := c.ok("c FETCH 1:* (INTERNALDATE)"); strings.Join(again, "\n") != strings.Join(before, "\n") {
				t.Errorf("after the times changed: %q, before %q", again, before)
			}
			c.ok("l LOGOUT")
			env.store.Close()
			next := startServerLayout(t, inbox, nil).raw()
			next.login("alice")
			next.ok("a SELECT INBOX")
			if again := next.ok("c FETCH 1:* (INTERNALDATE)"); strings.Join(again, "\n") != strings.Join(before, "\n") {
				t.Errorf("next process: %q, first %q", again, before)
			}
		})
	}
}

// TestFirstAccessCopyDate: a COPY on the first access to a maildir, to a
// mailbox of another format (which cannot link the file), gives the copy
// the file's time as its internal date.
func TestFirstAccessCopyDate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "INBOX")
	writeForeignMaildir(t, dir)
	env := startServerLayout(t, func(_ string, l *storage.Layout) {
		l.Inbox, l.DefaultType = "maildir:"+dir, "mh"
	}, nil)
	c := env.raw()
	c.login("alice")
	c.ok("a CREATE box")
	c.ok("b SELECT INBOX")
	c.ok("c COPY 2:3 box")
	c.ok("d SELECT box")
	got := c.ok("e FETCH 1:* (INTERNALDATE)")
	for i, w := range []string{imapDate(firstDates[1]), imapDate(firstDates[2])} {
		if want := fmt.Sprintf("* %d FETCH (INTERNALDATE %s)", i+1, w); !contains(got, want) {
			t.Errorf("copies: %q, want %q", got, want)
		}
	}
}

// TestFirstAccessGhostDate: a message another session expunged, on the
// first access, before any date was asked for, still answers FETCH
// INTERNALDATE in a session not yet told (RFC 2180 section 4.1.1): its
// date was learnt before its file went.
func TestFirstAccessGhostDate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "INBOX")
	writeForeignMaildir(t, dir)
	env := startServerLayout(t, func(_ string, l *storage.Layout) { l.Inbox = "maildir:" + dir }, nil)
	a, b := env.raw(), env.raw()
	a.login("alice")
	b.login("alice")
	a.ok("a SELECT INBOX")
	b.ok("b SELECT INBOX")
	b.ok(`b STORE 2 +FLAGS.SILENT (\Deleted)`)
	b.ok("b EXPUNGE")
	got := a.ok("a FETCH 1:3 (INTERNALDATE)")
	for i, d := range firstDates {
		if want := fmt.Sprintf("* %d FETCH (INTERNALDATE %s)", i+1, imapDate(d)); !contains(got, want) {
			t.Errorf("FETCH: %q, want %q", got, want)
		}
	}
}
