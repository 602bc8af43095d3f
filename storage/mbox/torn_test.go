package mbox

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// otherMessage is what another program delivers: as in the file, and as
// Open returns it.
func otherMessage(k int) (raw, view string) {
	view = fmt.Sprintf("Subject: other %d\n\nbody of other %d\n", k, k)
	return "From other@example.org Tue Nov  7 08:00:00 2023\n" + view + "\n", view
}

// TestTornAppendRemoved (issue 8 item 1): an APPEND that a crash cut
// short, with its intent left, is removed by whoever locks the mailbox
// next, before anything reads it; what another program appended after it
// stays, and so does everything where the recovery cannot be sure what is
// the APPEND's.
func TestTornAppendRemoved(t *testing.T) {
	otherRaw, _ := otherMessage(1)
	type torn struct {
		full      string // the mailbox with the whole APPEND
		off, from int    // where the APPEND starts, and its From_ line
	}
	cases := []struct {
		name string
		prev string                                  // the mailbox before the APPEND ("": imap4dMbox, "-": empty)
		file func(a torn) string                     // what the crash and others left
		edit func(t *testing.T, a torn, path string) // more to do before the next lock
		in   func(in appendIntent) appendIntent      // the intent left, changed
		want func(a torn, file string) string        // the mailbox after the next lock
		d    Options
	}{
		{name: "cut in the body",
			file: func(a torn) string { return a.full[:len(a.full)-1000] },
			want: func(a torn, _ string) string { return a.full[:a.off] }},
		{name: "cut in the From_ line",
			file: func(a torn) string { return a.full[:a.from+10] },
			want: func(a torn, _ string) string { return a.full[:a.off] }},
		{name: "cut in the separator", prev: strings.TrimSuffix(imap4dMbox, "\n\n"),
			file: func(a torn) string { return a.full[:a.off+1] },
			want: func(a torn, _ string) string { return a.full[:a.off] }},
		{name: "whole but not answered",
			file: func(a torn) string { return a.full },
			want: func(a torn, _ string) string { return a.full[:a.off] }},
		{name: "another program after it, on a new line",
			file: func(a torn) string { return a.full[:len(a.full)-1000] + "\n" + otherRaw },
			want: func(a torn, _ string) string { return a.full[:a.from] + otherRaw }},
		{name: "another program after it, after an empty line",
			file: func(a torn) string { return a.full[:len(a.full)-1000] + "\n\n" + otherRaw },
			want: func(a torn, _ string) string { return a.full[:a.from] + otherRaw }},
		{name: "another program after it, glued to its last line",
			file: func(a torn) string { return a.full[:len(a.full)-1000] + otherRaw },
			want: func(_ torn, file string) string { return file }},
		{name: "a move cut short",
			file: func(a torn) string {
				moved := a.full[:len(a.full)-1000] + "\n" + otherRaw
				return a.full[:a.from] + otherRaw[:20] + moved[a.from+20:]
			},
			in: func(in appendIntent) appendIntent {
				in.kind, in.tail = intentMove, []byte(otherRaw)
				return in
			},
			want: func(a torn, _ string) string { return a.full[:a.from] + otherRaw }},
		{name: "before a restart of the system",
			file: func(a torn) string { return a.full[:len(a.full)-1000] },
			in: func(in appendIntent) appendIntent {
				in.boot = "another boot"
				return in
			},
			want: func(_ torn, file string) string { return file }},
		{name: "in a file replaced since",
			file: func(a torn) string { return a.full[:len(a.full)-1000] },
			edit: func(t *testing.T, a torn, path string) {
				// Another inode, the old one still there meanwhile.
				os.WriteFile(path+".new", []byte(readFile(t, path)), 0o600)
				if err := os.Rename(path+".new", path); err != nil {
					t.Fatal(err)
				}
			},
			want: func(_ torn, file string) string { return file }},
		{name: "an end that is not the APPEND's",
			file: func(a torn) string { return a.full[:a.from] + otherRaw },
			want: func(_ torn, file string) string { return file }},
		// A first APPEND torn within "From " leaves a file that does not
		// start with it: still an mbox, by its intent, and repaired.
		{name: "the first APPEND cut within From", prev: "-",
			file: func(a torn) string { return a.full[:3] },
			want: func(torn, string) string { return "" }},
		{name: "the first APPEND cut within From, another program after it", prev: "-",
			file: func(a torn) string { return a.full[:3] + "\n" + otherRaw },
			want: func(torn, string) string { return otherRaw }},
		{name: "a live writer's, without locks",
			d:    Options{Type: "null"},
			file: func(a torn) string { return a.full[:len(a.full)-1000] },
			in: func(in appendIntent) appendIntent {
				in.pid = 1
				return in
			},
			want: func(_ torn, file string) string { return file }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := testDriver(t, c.d)
			prev := c.prev
			switch prev {
			case "":
				prev = imap4dMbox
			case "-":
				prev = ""
			}
			path := writeMbox(t, prev)
			f := mustOpen(t, d, path)
			mustScan(t, f)
			if _, err := f.Append(strings.NewReader(bigMessage("torn", 30_000)), nil, testDate); err != nil {
				t.Fatal(err)
			}
			f.Close()
			a := torn{full: readFile(t, path), off: len(prev)}
			a.from = a.off + strings.Index(a.full[a.off:], "From ")
			fromLine := a.full[a.from : a.from+strings.Index(a.full[a.from:], "\n")+1]
			file := c.file(a)
			if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
			// The APPEND's intent, as a crash leaves it.
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			in := appendIntent{kind: intentAppend, off: int64(a.off), from: int64(a.from), fromLine: []byte(fromLine)}
			in.pid, in.host, in.boot = os.Getpid(), hostTag(), bootID()
			in.dev, in.ino, _ = fsutil.FileIDs(fi)
			if c.in != nil {
				in = c.in(in)
			}
			if err := os.WriteFile(intentPath(path), in.encode(), 0o600); err != nil {
				t.Fatal(err)
			}
			if c.edit != nil {
				c.edit(t, a, path)
			}
			want := c.want(a, file)
			g := mustOpen(t, d, path)
			s := mustScan(t, g)
			if got := readFile(t, path); got != want {
				t.Fatalf("the mailbox has %d bytes:\n%.300q\n...\n%.300q\nwant %d bytes:\n%.300q\n...%.300q",
					len(got), got, got[max(len(got)-300, 0):], len(want), want, want[max(len(want)-300, 0):])
			}
			for _, m := range s.Messages {
				if v := readAll(t, g, m.UID); strings.Contains(v, "torn") {
					if want != file {
						t.Errorf("uid %d is the APPEND's, %d bytes", m.UID, len(v))
					}
				}
			}
			if _, ok := readIntent(path, false); ok && c.d.Type != "null" {
				t.Error("the intent is still there")
			}
		})
	}
}

// TestAppendIntentCleared: a successful APPEND, staged or not, leaves its
// intent cleared, so that nothing is cut on the next lock; a failed one
// that was cut back too.
func TestAppendIntentCleared(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	appendText(t, f, "one")
	if _, ok := readIntent(path, false); ok {
		t.Fatal("intent left after Append")
	}
	st, err := f.Stage(strings.NewReader("Subject: two\r\n\r\nbody\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, ok := readIntent(path, false); ok {
		t.Fatal("intent left after Commit")
	}
	before := readFile(t, path)
	if _, err := f.Append(&droppedReader{r: io.LimitReader(strings.NewReader(bigMessage("x", 100_000)), 50_000), err: io.ErrUnexpectedEOF}, nil, time.Time{}); err == nil {
		t.Fatal("Append of a failing reader worked")
	}
	if _, ok := readIntent(path, false); ok {
		t.Fatal("intent left after a failed Append")
	}
	if readFile(t, path) != before {
		t.Fatal("a failed Append changed the mailbox")
	}
	if s := mustScan(t, f); len(s.Messages) != 5 {
		t.Fatalf("%d messages", len(s.Messages))
	}
}
