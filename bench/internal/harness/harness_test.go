package harness

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

func TestDigestSkipsMboxHeaders(t *testing.T) {
	msg := []byte("From: a@example.org\nSubject: hi\n\nbody\nStatus: not a header here\n")
	want := expectedDigest(msg)
	// imap4d's answer: its bookkeeping fields added at the end of the
	// header, CRLF line ends.
	served := "From: a@example.org\r\nSubject: hi\r\nX-IMAPbase: 1700000000 31\r\nX-UID: 1\r\nStatus: OR\r\nX-Status: F\r\n\r\nbody\r\nStatus: not a header here\r\n"
	got, n, err := digest(strings.NewReader(served))
	if err != nil || got != want || n != int64(len(served)) {
		t.Fatalf("digest = %x, %d, %v; want %x, %d", got, n, err, want, len(served))
	}
	// A changed body, or a Status line in the body, must show.
	for _, bad := range []string{
		"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
		"From: a@example.org\r\nSubject: hi\r\n\r\nbody!\r\nStatus: not a header here\r\n",
		"From: a@example.org\nSubject: hi\n\nbody\nStatus: not a header here\n",
	} {
		if got, _, _ := digest(strings.NewReader(bad)); got == want {
			t.Errorf("digest does not tell %q from the original", bad)
		}
	}
}

func TestWireFraming(t *testing.T) {
	in := "* 1 FETCH (UID 7 BODY[] {5}\r\nab\r\nc)\r\n* 2 FETCH (BODY[] {3}\r\nxyz UID 9)\r\n* SEARCH 2 5 9\r\nw1 OK done\r\n"
	w := &wire{br: bufio.NewReader(strings.NewReader(in))}
	var got []string
	for {
		resp, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(resp))
		if strings.HasPrefix(string(resp), "w1 ") {
			break
		}
	}
	if len(got) != 4 || got[0] != "* 1 FETCH (UID 7 BODY[] {5}\r\nab\r\nc)" {
		t.Fatalf("responses %q", got)
	}
	// Streaming, with a buffer smaller than a line: the bodies are
	// digested, not kept, and their UIDs come before or after them.
	w = &wire{br: bufio.NewReaderSize(strings.NewReader(in), 16), streamBodies: true}
	for _, want := range []struct {
		uid  uint32
		body string
	}{{7, "ab\r\nc"}, {9, "xyz"}} {
		resp, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		uid, ok := fetchUID(resp)
		sum, _, _ := digest(strings.NewReader(want.body))
		if !ok || uid != want.uid || !w.hasBody || w.body.size != int64(len(want.body)) || w.body.sum != sum {
			t.Errorf("streamed %q: uid %d %v, body %+v; want %d, %q", resp, uid, ok, w.body, want.uid, want.body)
		}
	}
	nums, ok := searchNumbers([]byte(got[2]), nil)
	if !ok || !slices.Equal(nums, []uint32{2, 5, 9}) {
		t.Errorf("searchNumbers = %v %v", nums, ok)
	}
	if !isFetch([]byte("* 12 FETCH (FLAGS ())")) || isFetch([]byte("* 12 EXISTS")) || isFetch([]byte("* FETCH")) {
		t.Error("isFetch")
	}
	for line, want := range map[string]int{"a {12}\r\n": 12, "a {3+}\r\n": 3, "a {x}\r\n": -1, "a }\r\n": -1, "a\r\n": -1} {
		n, ok := literalSize([]byte(line))
		if (want < 0) == ok || (ok && n != want) {
			t.Errorf("literalSize(%q) = %d, %v", line, n, ok)
		}
	}
}

func TestUIDRanges(t *testing.T) {
	set := uidRanges([]uint32{1, 2, 3, 5, 7, 8})
	if got := set.String(); got != "1:3,5,7:8" {
		t.Errorf("uidRanges = %s", got)
	}
}

// TestExpect checks the expectations against the corpus directly.
func TestExpect(t *testing.T) {
	p := Smoke()
	c := corpus.New(corpus.Spec{N: 150, Seed: 9, BigSizes: []int{64 << 10}})
	e := newExpect(c, &p)
	if e.n != 150 || len(e.text) == 0 || len(e.from) == 0 || len(e.unseen) == 0 || e.big == 0 {
		t.Fatalf("expect: %+v", e)
	}
	if len(e.bodyUIDs) != 149 || slices.Contains(e.bodyUIDs, e.big) {
		t.Errorf("bodies %d, big %d among them", len(e.bodyUIDs), e.big)
	}
	for _, uid := range e.text {
		if !bytes.Contains(c.Message(uid), []byte(corpus.SearchWord)) {
			t.Errorf("message %d lacks the search word", uid)
		}
	}
}

func TestKnownDefectsNeverExcuseMailgate(t *testing.T) {
	msg := "STATUS BenchAppend after 20 APPENDs: 19 MESSAGES"
	if knownDefect("imap4d", msg) == "" {
		t.Error("imap4d's lost APPEND is not recognised")
	}
	if knownDefect("imap4d", "APPEND by 10 clients: imap: NO APPEND [TRYCREATE] failed") == "" {
		t.Error("imap4d's failed concurrent APPEND is not recognised")
	}
	if knownDefect("imap4d", "IDLE: 3 of 3 sessions did not see another session's STORE within 10s") == "" {
		t.Error("imap4d's silent IDLE is not recognised")
	}
	if knownDefect("imap4d", "append: APPEND: imap: NO APPEND [TRYCREATE] failed") == "" {
		t.Error("imap4d's failed single-client APPEND is not recognised")
	}
	copied := "COPY: SEARCH FLAGGED in BenchCopy: got 0 results [], want 7 [11 27 89]"
	if knownDefect("imap4d", copied) == "" {
		t.Error("imap4d's COPY without flags is not recognised")
	}
	for _, s := range []string{"mailgate", "mailgate-mbox", "dovecot", "dovecot-fast"} {
		if knownDefect(s, msg) != "" || knownDefect(s, "SELECT: NO Conflict with previous locker") != "" || knownDefect(s, copied) != "" {
			t.Errorf("%s is excused", s)
		}
	}
}

func TestTable(t *testing.T) {
	p := Smoke()
	r := &Report{Params: p, Rows: Defs(&p)}
	for _, name := range []string{"mailgate", "dovecot", "imap4d"} {
		r.Servers = append(r.Servers, &ServerResult{Name: name, Status: "ok", Metrics: map[string]*Value{
			"login":    {Samples: []float64{2}, Median: 2},
			"big_rate": {Samples: []float64{100}, Median: 100},
		}})
	}
	r.Servers[1].Metrics["login"].Median = 4
	var b bytes.Buffer
	r.WriteTable(&b)
	out := b.String()
	if !strings.Contains(out, "mg/dove") || !strings.Contains(out, "result: OK") {
		t.Fatalf("table:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "LOGIN, repeated") && !strings.Contains(l, " 0.50 ") {
			t.Errorf("LOGIN row without the 0.50 ratio: %q", l)
		}
	}
	// login: 2 against 4 (lower is better) is 2x better: it passes;
	// big_rate: 100 against 100 is within 1.1x.
	if !strings.Contains(out, "1 rows pass, 1 within 1.1x, 0 behind") {
		t.Errorf("bar line missing or wrong:\n%s", out)
	}
	r.Servers[0].Errors = []string{"wrong"}
	if r.OK() {
		t.Error("a report with an error is OK")
	}
}

func TestBarClass(t *testing.T) {
	for _, c := range []struct {
		a, b   float64
		higher bool
		want   string
	}{
		{1, 1.5, false, "pass"},
		{1, 1.49, false, "close"},
		{1.2, 1, false, "behind"},
		{1.1, 1, false, "close"},
		{1.11, 1, false, "behind"},
		{150, 100, true, "pass"},
		{91, 100, true, "close"},
		{90, 100, true, "behind"},
	} {
		if got, _ := barClass(c.a, c.b, c.higher); got != c.want {
			t.Errorf("barClass(%v, %v, %v) = %s, want %s", c.a, c.b, c.higher, got, c.want)
		}
	}
}

func TestNormalESearch(t *testing.T) {
	got := string(normalESearch([]byte(" UID MIN 3 PARTIAL (1:2 3,5) ALL 3,5 COUNT 2")))
	if want := "* ESEARCH UID ALL 3,5 COUNT 2 MIN 3 PARTIAL (1:2 3,5)"; got != want {
		t.Errorf("normalESearch = %q, want %q", got, want)
	}
}

func TestDigestFromLiteral(t *testing.T) {
	long := "X-Long: " + strings.Repeat("a", 100) + "\r\n"
	for _, msg := range []string{
		"",
		"Subject: no body",
		"Subject: hi\r\nStatus: RO\r\n\r\nbody\r\n",
		long + "X-UID: 3\r\n continued\r\n" + long + "\r\n" + strings.Repeat("line\r\n", 50),
		"\r\nbody only, no header\r\nStatus: x\r\n",
	} {
		want, _, _ := digest(strings.NewReader(msg))
		for _, size := range []int{16, 64, 4096} {
			// The literal, then the rest of the response, which must be
			// left unread.
			br := bufio.NewReaderSize(strings.NewReader(msg+")\r\n"), size)
			got, n, err := digestFrom(br, int64(len(msg)))
			rest, _ := br.ReadString('\n')
			if err != nil || got != want || n != int64(len(msg)) || rest != ")\r\n" {
				t.Errorf("buffer %d, %q: %x %d %v, rest %q; want %x %d", size, msg, got, n, err, rest, want, len(msg))
			}
		}
		if len(msg) > 0 {
			_, _, err := digestFrom(bufio.NewReaderSize(strings.NewReader(msg[:len(msg)-1]), 16), int64(len(msg)))
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%q cut short: %v, want io.ErrUnexpectedEOF", msg, err)
			}
		}
	}
}
