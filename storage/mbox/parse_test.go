package mbox

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

func TestParseRules(t *testing.T) {
	tests := []struct {
		name    string
		content string
		bodies  []string
	}{
		{"From_ inside a body without an empty line before it", "From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\nline\nFrom a@b Mon Nov  6 10:00:00 2023\nmore\n",
			[]string{"Subject: x\n\nline\nFrom a@b Mon Nov  6 10:00:00 2023\nmore\n"}},
		{"From_ without a date after an empty line", "From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\nline\n\nFrom here on\n",
			[]string{"Subject: x\n\nline\n\nFrom here on\n"}},
		{"wrong Content-Length", "From a@b Mon Nov  6 10:00:00 2023\nContent-Length: 3\nSubject: x\n\n0123456789\n\nFrom a@b Mon Nov  6 10:00:01 2023\nContent-Length: 5000\nSubject: y\n\nb\n",
			[]string{"Subject: x\n\n0123456789\n", "Subject: y\n\nb\n"}},
		{"mboxrd unquoting", "From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\n>From a\n>>From b\n>>>From c\n>Fromage\n From d\n",
			[]string{"Subject: x\n\nFrom a\n>From b\n>>From c\n>Fromage\n From d\n"}},
		{"CRLF file", "From a@b Mon Nov  6 10:00:00 2023\r\nSubject: x\r\nStatus: RO\r\n\r\nbody\r\n\r\nFrom a@b Mon Nov  6 10:00:01 2023\r\nSubject: y\r\n\r\nb\r\n",
			[]string{"Subject: x\r\n\r\nbody\r\n", "Subject: y\r\n\r\nb\r\n"}},
		{"no final newline", "From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\nbody", []string{"Subject: x\n\nbody"}},
		{"empty messages", "From a@b Mon Nov  6 10:00:00 2023\n\nFrom a@b Mon Nov  6 10:00:01 2023\n\n\nFrom a@b Mon Nov  6 10:00:02 2023\n",
			[]string{"", "\n", ""}},
		{"folded hidden field", "From a@b Mon Nov  6 10:00:00 2023\nX-Keywords: a,\n b\nSubject: x\n\tfolded\n\nbody\n",
			[]string{"Subject: x\n\tfolded\n\nbody\n"}},
		{"garbage before the first message", "junk\n\nFrom a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\nbody\n", []string{"Subject: x\n\nbody\n"}},
		{"unreadable date on the first line", "From nowhere\nSubject: x\n\nbody\n", []string{"Subject: x\n\nbody\n"}},
	}
	// A From_ line without a readable date takes the file's mtime as
	// INTERNALDATE (refresh.go), which the rewrite below moves: a cold
	// reader of the rewritten file takes the rewrite's second, which is
	// the first's only on a fast machine. The mtime is put back before
	// checkCold, so that everything else is compared.
	dateFromFile := map[string]bool{"unreadable date on the first line": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testDriver(t, Options{})
			path := writeMbox(t, tt.content)
			written, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// Open refuses a file that does not start with "From ".
			f := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
			t.Cleanup(func() { f.Close() })
			s := mustScan(t, f)
			var got []string
			for _, m := range s.Messages {
				got = append(got, readAll(t, f, m.UID))
			}
			if !slices.Equal(got, tt.bodies) {
				t.Fatalf("messages %q; want %q", got, tt.bodies)
			}
			checkSizes(t, f, s)
			// A rewrite (flags on every message) keeps every content.
			for _, m := range s.Messages {
				if err := f.SetFlags(m.UID, []string{storage.FlagFlagged, "kw"}); err != nil {
					t.Fatal(err)
				}
			}
			s2 := mustScan(t, f)
			if !slices.Equal(uidsOf(s2), uidsOf(s)) {
				t.Fatalf("UIDs %v after a rewrite; were %v", uidsOf(s2), uidsOf(s))
			}
			for i, m := range s2.Messages {
				if b := readAll(t, f, m.UID); b != tt.bodies[i] {
					t.Errorf("after a rewrite, uid %d = %q; want %q", m.UID, b, tt.bodies[i])
				}
			}
			checkSizes(t, f, s2)
			if dateFromFile[tt.name] {
				if err := os.Chtimes(path, written.ModTime(), written.ModTime()); err != nil {
					t.Fatal(err)
				}
			}
			checkCold(t, d, f)
		})
	}
}

// TestQuotingRoundTrip appends bodies with From_ lines and quoted ones,
// and reads them back unchanged.
func TestQuotingRoundTrip(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, "")
	f := mustOpen(t, d, path)
	bodies := []string{
		"From: x\nSubject: q\n\nFrom the start\n>From once\n>>From twice\nFrom\nFromage\n",
		"Subject: crlf\r\n\r\nFrom a line\r\nlast",
		"From sender Mon Nov  6 10:00:00 2023\nSubject: an mbox message\n\nbody\n",
		"",
		"Subject: only headers",
		"Subject: x\nStatus: RO\nX-UID: 99\nX-IMAPbase: 1 2\nContent-Length: 3\n\nbody\n\n\n",
	}
	want := []string{
		bodies[0],
		"Subject: crlf\n\nFrom a line\nlast\n",
		bodies[2],
		"",
		"Subject: only headers\n",
		"Subject: x\n\nbody\n\n\n",
	}
	for i, b := range bodies {
		m, err := f.Append(strings.NewReader(b), nil, testDate)
		if err != nil {
			t.Fatal(err)
		}
		if m.UID != uint32(i+1) || m.Size != crlfSize(want[i]) || !m.New || !m.InternalDate.Equal(testDate) {
			t.Errorf("Append %d = %+v; want size %d", i, m, crlfSize(want[i]))
		}
		if got := readAll(t, f, m.UID); got != want[i] {
			t.Errorf("message %d = %q; want %q", i, got, want[i])
		}
	}
	content := readFile(t, path)
	for _, q := range []string{"\n>From the start\n", "\n>>From once\n", "\n>>>From twice\n", "\n>From a line\n", "\n>From sender Mon"} {
		if !strings.Contains(content, q) {
			t.Errorf("file lacks %q:\n%s", q, content)
		}
	}
	checkCold(t, d, f)
}

// TestSkimMatchesLines compares the fast path through bodies with the
// line-by-line parser on random mailboxes built from the lines that
// matter to it (From_ lines with and without dates, quoted ones, empty
// ones, CRLF, base64 and text, lines longer than the buffer), with read
// buffers of several sizes.
func TestSkimMatchesLines(t *testing.T) {
	pieces := []string{
		"From a@b Mon Nov  6 10:00:00 2023\n", "From a@b Mon Nov  6 10:00:00 2023\r\n", "From nowhere\n",
		">From x\n", ">>From y\r\n", ">Fromage\n", "x>From z\n", " From w\n", "\n", "\r\n", "\r", "Subject: s\n",
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=\n",
		"Some text with spaces, and a From in it.\n", "text From \n", "From\n", "From \n",
		strings.Repeat("long line without end ", 300) + "\n", strings.Repeat("Q", 5000) + "\n",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for doc := range 300 {
		var b strings.Builder
		b.WriteString("From a@b Mon Nov  6 10:00:00 2023\nSubject: x\n\n")
		for range rng.IntN(3000) {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(4) > 0 {
				p = pieces[12+rng.IntN(2)] // mostly body lines
			}
			b.WriteString(p)
		}
		data := []byte(b.String())
		for _, size := range []int{16, 61, 4096, readBuffer} {
			var msgs [2][]rawMsg
			for k, fast := range []bool{false, true} {
				err := parseWith(bytes.NewReader(data), 0, 42, bufio.NewReaderSize(nil, size), func(r *rawMsg) error {
					m := *r
					m.kw = bytes.Clone(r.kw)
					msgs[k] = append(msgs[k], m)
					return nil
				}, fast)
				if err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(msgs[0], msgs[1]) {
				t.Fatalf("document %d, buffer %d: line by line %+v\nfast %+v", doc, size, msgs[0], msgs[1])
			}
		}
	}
}
