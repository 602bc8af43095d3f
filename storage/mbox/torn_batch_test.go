package mbox

import (
	"os"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestTornBatchBeforeNextMessage: a MULTIAPPEND whose process died after
// its intent named the next message but before that message's From_
// line was written, with another program's message appended after it,
// is taken away whole; the other program's message stays. (Found by
// TestKilledDuringBatch on a loaded machine: "batch 7 has 3 of 4
// messages", the recovery having left the batch because the bytes where
// the intent put the next message were the other program's.)
func TestTornBatchBeforeNextMessage(t *testing.T) {
	otherRaw, otherView := otherMessage(1)
	next := string(fromLine(appendSender, testDate))
	for _, c := range []struct {
		name string
		// What the batch wrote of the next message before it died: its
		// separator, and fromPart bytes of its From_ line.
		sep      bool
		fromPart int
		others   string // what another program appended then ("" none)
		removed  bool   // whether the batch is taken away
	}{
		{"nothing written, others straight after", false, 0, otherRaw, true},
		{"nothing written, others after a line ending", false, 0, "\n" + otherRaw, true},
		{"the separator written", true, 0, otherRaw, true},
		{"nothing written, no others", false, 0, "", true},
		{"the separator written, no others", true, 0, "", true},
		{"part of the From_ line written, no others", true, 9, "", true},
		{"part of the From_ line written, others after a line ending", true, 9, "\n" + otherRaw, true},
		// Glued to a From_ line of ours that was cut short: the line
		// reads as a From_ line (with our bytes in its sender), so it
		// starts the other program's message, which stays whole.
		{"part of the From_ line written, others glued to it", true, 9, otherRaw, true},
		// A line that is no From_ line glued to ours: whose is it?
		// Nothing is cut that may be the other program's.
		{"part of the From_ line written, no From_ line glued to it", true, 9, "garbage\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeMbox(t, imap4dMbox)
			d := testDriver(t, Options{})
			f := mustOpen(t, d, path)
			before := mustScan(t, f)
			var list []storage.Staged
			for k := range 2 {
				st, err := f.Stage(strings.NewReader(numberedMessage(k)), nil, testDate)
				if err != nil {
					t.Fatal(err)
				}
				list = append(list, st)
			}
			if _, err := f.CommitBatch(list); err != nil {
				t.Fatal(err)
			}
			f.Close()
			// Make the file what a batch of three that died before its
			// third message leaves: its intent, as it was then.
			file, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			content := readFile(t, path)
			off := int64(len(imap4dMbox))
			from := off + int64(strings.Index(content[off:], "From "))
			firstLine := content[from : from+int64(strings.IndexByte(content[from:], '\n'))+1]
			sep, err := separator(file, int64(len(content)))
			if err != nil {
				t.Fatal(err)
			}
			last := int64(len(content) + len(sep))
			fi, err := file.Stat()
			if err != nil {
				t.Fatal(err)
			}
			in, err := d.startIntent(path, fi, appendIntent{kind: intentBatch, off: off, from: from, fromLine: []byte(firstLine)})
			if err != nil {
				t.Fatal(err)
			}
			in.update(batchTail(last, []byte(next)))
			in.file.Close()
			appending.Delete(in.name) // its process is gone
			ours := next[:c.fromPart]
			if c.sep {
				ours = string(sep) + ours
			}
			appendFile(t, path, ours+c.others)

			g := mustOpen(t, testDriver(t, Options{}), path)
			defer g.Close()
			s := mustScan(t, g)
			var batch, others int
			for _, m := range s.Messages {
				switch view := readAll(t, g, m.UID); {
				case strings.HasPrefix(view, "Subject: big "):
					batch++
				case view == otherView:
					others++
				}
			}
			if want := 2; c.removed {
				want = 0
				if batch != want {
					t.Errorf("%d messages of the batch left, want %d", batch, want)
				}
			} else if batch != want {
				t.Errorf("%d messages of the batch, want %d left as they were", batch, want)
			}
			want := 0
			if strings.Contains(c.others, otherRaw) {
				want = 1
			}
			if others != want {
				t.Errorf("%d messages of the other program, want %d", others, want)
			}
			if got := len(s.Messages) - batch - others; got != len(before.Messages) {
				t.Errorf("%d messages from before the batch, want %d", got, len(before.Messages))
			}
			if _, ok := readIntent(path, false); ok {
				t.Error("the intent is still there")
			}
		})
	}
}
