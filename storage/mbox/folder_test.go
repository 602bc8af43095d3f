package mbox

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// msgText is a message as a delivery agent appends it: no IMAP fields.
func msgText(subject string) string {
	return "From sender@example.org Tue Nov  7 08:00:00 2023\nSubject: " + subject + "\n\nbody of " + subject + "\n\n"
}

func appendFile(t testing.TB, path, s string) {
	t.Helper()
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestFlagsRoundTrip(t *testing.T) {
	tests := []struct {
		flags  []string
		fields []string // in the file
	}{
		{nil, nil},
		{[]string{storage.FlagSeen}, []string{"Status: RO\n"}},
		{[]string{storage.FlagAnswered, storage.FlagDeleted, storage.FlagDraft, storage.FlagFlagged, storage.FlagSeen},
			[]string{"Status: ROAFDd\n", "X-Status: AFDT\n"}},
		{[]string{"$Forwarded", "Junk", storage.FlagFlagged}, []string{"Status: OF\n", "X-Status: F\n", "X-Keywords: $Forwarded Junk\n"}},
	}
	for _, tt := range tests {
		d := testDriver(t, Options{})
		path := writeMbox(t, msgText("a"))
		f := mustOpen(t, d, path)
		mustScan(t, f)
		if err := f.Seen([]uint32{1}); err != nil {
			t.Fatal(err)
		}
		if err := f.SetFlags(1, tt.flags); err != nil {
			t.Fatal(err)
		}
		s := mustScan(t, f)
		if m := s.Messages[0]; !slices.Equal(m.Flags, tt.flags) || m.New {
			t.Errorf("flags %q new %v; want %q", m.Flags, m.New, tt.flags)
		}
		content := readFile(t, path)
		for _, fld := range tt.fields {
			if !strings.Contains(content, "\n"+fld) {
				t.Errorf("file lacks %q:\n%s", fld, content)
			}
		}
		f.Close()
		g := mustOpen(t, d, path)
		os.Remove(indexPath(path))
		if m := mustScan(t, g).Messages[0]; !slices.Equal(m.Flags, tt.flags) || m.New || m.UID != 1 {
			t.Errorf("read back: %+v; want %q", m, tt.flags)
		}
	}
}

func TestDraftSpellings(t *testing.T) {
	for _, fld := range []string{"Status: d\n", "X-Status: T\n", "Status: O\nX-Status: T\n"} {
		d := testDriver(t, Options{})
		f := mustOpen(t, d, writeMbox(t, "From a@b Mon Nov  6 10:00:00 2023\n"+fld+"Subject: x\n\nbody\n"))
		if m := mustScan(t, f).Messages[0]; !slices.Equal(m.Flags, []string{storage.FlagDraft}) {
			t.Errorf("%q: flags %q", fld, m.Flags)
		}
	}
}

// TestForeignAppends: messages that others append without X-UID get new
// UIDs, kept across Folders (through the index) and written at the next
// rewrite; the file is not rewritten by a scan.
func TestForeignAppends(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	cold := f.parsedBytes
	appendFile(t, path, "\n"+msgText("procmail"))
	before := readFile(t, path)
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5}) || s.UIDNext != 6 || s.UIDValidity != 1795729968 {
		t.Fatalf("UIDs %v next %d validity %d", uidsOf(s), s.UIDNext, s.UIDValidity)
	}
	if m := s.Messages[3]; !m.New || readAll(t, f, 5) != "Subject: procmail\n\nbody of procmail\n" {
		t.Errorf("new message %+v %q", m, readAll(t, f, 5))
	}
	if readFile(t, path) != before {
		t.Fatal("Scan wrote the file")
	}
	if tail := f.parsedBytes - cold; f.parses != 2 || tail > int64(len(before)-len(imap4dMbox)+200) {
		t.Errorf("%d parses, the second of %d bytes; want the tail only", f.parses, tail)
	}
	f.Close()

	// Another Folder, as after a restart: the index keeps UID 5.
	appendFile(t, path, msgText("second"))
	g := mustOpen(t, d, path)
	if s := mustScan(t, g); !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5, 6}) {
		t.Fatalf("after reopening: %v", uidsOf(s))
	}
	// A rewrite writes X-UIDs; without the index they stay.
	if err := g.SetFlags(6, []string{storage.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if c := readFile(t, path); !strings.Contains(c, "X-UID: 5\n") || !strings.Contains(c, "X-UID: 6\n") {
		t.Fatalf("UIDs not written:\n%s", c)
	}
	checkCold(t, d, g)
	os.Remove(indexPath(path))
	h := mustOpen(t, d, path)
	if s := mustScan(t, h); !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5, 6}) || s.UIDNext != 7 {
		t.Fatalf("without the index: %v next %d", uidsOf(s), s.UIDNext)
	}
}

// TestRewriteByOthers: mutt rewrites the file (dropping a message, keeping
// unknown fields); UIDs not in the file are found again by identity.
func TestRewriteByOthers(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, msgText("a")+msgText("b")+msgText("c"))
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 2, 3}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	tmp := path + ".mutt"
	if err := os.WriteFile(tmp, []byte(msgText("a")+strings.Replace(msgText("c"), "\n\n", "\nStatus: RO\n\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	s = mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 3}) || s.UIDNext != 4 {
		t.Fatalf("UIDs %v next %d", uidsOf(s), s.UIDNext)
	}
	if m := s.Messages[1]; m.New || !slices.Equal(m.Flags, []string{storage.FlagSeen}) {
		t.Errorf("flags from mutt: %+v", m)
	}
}

// TestPendingFlags: with a FlushDelay, many flag changes cost one rewrite,
// which the timer makes.
func TestPendingFlags(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: 50 * time.Millisecond})
	path := writeMbox(t, msgText("a")+msgText("b")+msgText("c"))
	f := mustOpen(t, d, path)
	mustScan(t, f)
	before := readFile(t, path)
	for uid := uint32(1); uid <= 3; uid++ {
		if err := f.SetFlags(uid, []string{storage.FlagSeen}); err != nil {
			t.Fatal(err)
		}
	}
	if readFile(t, path) != before {
		t.Fatal("SetFlags wrote at once")
	}
	for _, m := range mustScan(t, f).Messages {
		if !slices.Equal(m.Flags, []string{storage.FlagSeen}) {
			t.Fatalf("pending flags not reported: %+v", m)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(readFile(t, path), "Status: R\n") != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("flags not written:\n%s", readFile(t, path))
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.mu.Lock()
	n := len(f.pending)
	f.mu.Unlock()
	if n != 0 {
		t.Errorf("%d changes still pending", n)
	}
	// Close writes what is pending.
	if err := f.SetFlags(2, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if strings.Count(readFile(t, path), "Status: R\n") != 2 {
		t.Errorf("Close did not write the flags:\n%s", readFile(t, path))
	}
}

func TestAppendAfterForeign(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, "")
	f := mustOpen(t, d, path)
	if s := mustScan(t, f); len(s.Messages) != 0 || s.UIDNext != 1 {
		t.Fatalf("empty mailbox: %+v", s)
	}
	m, err := f.Append(strings.NewReader("Subject: 1\n\nx\n"), []string{storage.FlagSeen, "kw"}, testDate)
	if err != nil || m.UID != 1 || !slices.Equal(m.Flags, []string{storage.FlagSeen, "kw"}) {
		t.Fatalf("Append = %+v, %v", m, err)
	}
	// Others append without an empty line at the end; ours follows theirs.
	appendFile(t, path, "From x@y Tue Nov  7 08:00:00 2023\nSubject: 2\n\nno final newline")
	m, err = f.Append(strings.NewReader("Subject: 3\r\n\r\ny\r\n"), nil, testDate)
	if err != nil || m.UID != 3 {
		t.Fatalf("Append = %+v, %v", m, err)
	}
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{1, 2, 3}) || s.UIDNext != 4 {
		t.Fatalf("UIDs %v next %d", uidsOf(s), s.UIDNext)
	}
	if got := readAll(t, f, 2); got != "Subject: 2\n\nno final newline\n" {
		t.Errorf("message 2 = %q", got)
	}
	if c := readFile(t, path); !strings.HasPrefix(c, "From MAILER-DAEMON ") || !strings.Contains(c, "X-IMAPbase:") ||
		!strings.Contains(c, "no final newline\n\nFrom MAILER-DAEMON") {
		t.Errorf("file:\n%s", c)
	}
	// UIDNEXT in X-IMAPbase was updated in place.
	if c := readFile(t, path); !strings.Contains(c, strings.Repeat(" ", 19)+"4\n") {
		t.Errorf("X-IMAPbase not updated:\n%s", c)
	}
	checkSizes(t, f, s)
	checkCold(t, d, f)
}
