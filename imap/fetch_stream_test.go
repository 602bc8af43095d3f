package imap_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
)

// streamMsg has a part of each kind FETCH sections address: a
// quoted-printable text with white space at line ends, a base64 part
// holding a NUL, a part of an encoding BINARY cannot undo, and an
// embedded message.
const streamMsg = "From: a@example.org\r\nTo: b@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=x\r\n\r\npreamble\r\n--x\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
	"Gr=FC=DFe  \r\nsoft=\r\nbreak\t\r\n--x\r\n" +
	"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECA0FCQw==\r\n--x\r\n" +
	"Content-Type: application/x\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n--x\r\n" +
	"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nTo: c@example.org\r\n\r\ninner body\r\n--x--\r\nepilogue\r\n"

// FETCH answers sections of a big message (streamed from the file) as
// it answers them of a small one (loaded): the same server is asked the
// same items with the streaming threshold at 0 and at its default.
func TestFetchSectionsStreamed(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	c.appendMsg("INBOX", "", streamMsg)
	c.ok("s SELECT INBOX")
	items := []string{
		"BODY.PEEK[1]", "BODY.PEEK[2]", "BODY.PEEK[2.MIME]", "BODY.PEEK[4]", "BODY.PEEK[4.HEADER]",
		"BODY.PEEK[4.TEXT]", "BODY.PEEK[4.1]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[TEXT]<10.30>",
		"BODY.PEEK[HEADER.FIELDS (Subject To)]", "BODY.PEEK[HEADER.FIELDS.NOT (Subject)]<2.20>",
		"BODY.PEEK[4.HEADER.FIELDS (Subject)]", "BODY.PEEK[9]", "BODY.PEEK[1.2]", "BODY.PEEK[2.HEADER]",
		"BINARY.PEEK[1]", "BINARY.PEEK[2]", "BINARY.PEEK[2]<1.2>", "BINARY.PEEK[2]<3.10>", "BINARY.SIZE[1]",
		"BINARY.SIZE[2]", "BINARY.PEEK[4]", "BINARY.PEEK[]", "BINARY.PEEK[9]", "BINARY.SIZE[4]",
		"(BODY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[1] BODY.PEEK[])", "BINARY.PEEK[3]", "BINARY.SIZE[3]",
	}
	answers := func() []string {
		var out []string
		for i, it := range items {
			u, done := c.do(fmt.Sprintf("f%d FETCH 1 %s", i, it))
			out = append(out, strings.Join(u, "\n")+"\n"+strings.TrimPrefix(done, fmt.Sprintf("f%d ", i)))
		}
		return out
	}
	loaded := answers()
	restore := imap.SetStreamSectionsAbove(0)
	defer restore()
	streamed := answers()
	for i := range items {
		if loaded[i] != streamed[i] {
			t.Errorf("FETCH %s\nstreamed: %q\n  loaded: %q", items[i], streamed[i], loaded[i])
		}
	}
	if !strings.Contains(loaded[len(items)-2], "NO [UNKNOWN-CTE]") || !strings.Contains(loaded[17], "~{7}") {
		t.Errorf("unexpected answers: %q", loaded)
	}
}

// fetchDiscard sends a FETCH and reads its answer without keeping it.
func fetchDiscard(tb testing.TB, conn io.ReadWriter, r *bufio.Reader, cmd string) {
	tb.Helper()
	fetchDiscardEach(tb, conn, r, cmd, nil)
}

// fetchDiscardEach is fetchDiscard handing each whole line (not the
// pieces of a long one) to each, when not nil.
func fetchDiscardEach(tb testing.TB, conn io.ReadWriter, r *bufio.Reader, cmd string, each func(line []byte)) {
	tb.Helper()
	io.WriteString(conn, "x "+cmd+"\r\n")
	for {
		l, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if each != nil {
			each(l)
		}
		if bytes.HasPrefix(l, []byte("x ")) {
			if !bytes.HasPrefix(l, []byte("x OK")) {
				tb.Fatalf("%s: %q", cmd, l)
			}
			return
		}
	}
}

// BenchmarkFetchBigSection fetches the attachment of a 48 MB message
// (a 24 MB base64 part) by section, BODY and BINARY, loaded whole (the
// way before) and streamed from the file; -benchmem gives what each
// FETCH allocated, client included (it reads into a 4 KiB buffer).
func BenchmarkFetchBigSection(b *testing.B) {
	e := startServer(b, nil)
	writeBigMessage(b, e, 48)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.conn.SetReadDeadline(time.Now().Add(time.Hour))
	for _, way := range []struct {
		name  string
		above int64
	}{{"loaded", 1 << 62}, {"streamed", 1 << 20}} {
		for _, item := range []string{"BODY.PEEK[2]", "BINARY.PEEK[2]"} {
			b.Run(way.name+"/"+item, func(b *testing.B) {
				restore := imap.SetStreamSectionsAbove(way.above)
				defer restore()
				b.ReportAllocs()
				for range b.N {
					fetchDiscard(b, c.conn, c.r, "FETCH 1 "+item)
				}
			})
		}
	}
}

// TestFetchWholeMessageStreamed: BODY[] of a big message is sent from
// the file whatever it is asked with, never loaded whole: FLAGS, other
// sections, a second BODY[], RFC822. The message is 50 MB
// (MAILGATE_BIG_MESSAGE_MB sets another size); each FETCH's heap growth
// is logged and must stay a small part of it.
func TestFetchWholeMessageStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a big message")
	}
	mb := 50
	if v, err := strconv.Atoi(os.Getenv("MAILGATE_BIG_MESSAGE_MB")); err == nil && v > 0 {
		mb = v
	}
	e := startServer(t, nil)
	writeBigMessage(t, e, mb)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Minute))
	for _, items := range []string{
		"BODY.PEEK[]",
		"(FLAGS BODY.PEEK[])",
		"(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER] BODY.PEEK[])",
		"(BODY.PEEK[] BODY.PEEK[]<0.100>)",
		"(BODYSTRUCTURE BODY.PEEK[2] BODY.PEEK[])",
		"(ENVELOPE RFC822)",
	} {
		fetchStreamed(t, c, items, mb)
	}
}

// TestFetchManyWholeItemsFewFiles: a FETCH that names BODY.PEEK[] three
// thousand times holds the message file open a few times, not once per
// item (each streamed item keeps its file open until it is written, and
// the descriptors are the whole process's), and answers every item.
func TestFetchManyWholeItemsFewFiles(t *testing.T) {
	e := startServer(t, nil)
	fillMaildir(t, e, 1)
	c := e.raw()
	c.login("alice")
	c.ok("s SELECT INBOX")
	const n = 3000
	before := openFiles(t)
	c.send("f FETCH 1 (" + strings.TrimSpace(strings.Repeat("BODY.PEEK[] ", n)) + ")")
	// The first line comes once every item is prepared, with what each
	// holds open.
	first := c.line()
	during := openFiles(t)
	if !strings.HasPrefix(first, "* 1 FETCH (BODY[] {") {
		t.Fatalf("FETCH: %.100q", first)
	}
	c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	items := 1
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		items += strings.Count(l, "BODY[] {")
		if strings.HasPrefix(l, "f ") {
			if !strings.HasPrefix(l, "f OK") {
				t.Fatalf("FETCH: %q", l)
			}
			break
		}
	}
	if items != n {
		t.Errorf("%d BODY[] items answered, want %d", items, n)
	}
	if during-before > 64 {
		t.Errorf("the FETCH held %d more files open (%d before, %d during)", during-before, before, during)
	}
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(fds)
}

// TestFetchRepeatedBinaryOneCopy: a FETCH naming one part's BINARY a
// hundred times, beyond the items streamed from the file, decodes the
// part once: the heap grows by about the message, not a hundred parts.
func TestFetchRepeatedBinaryOneCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a big message")
	}
	e := startServer(t, nil)
	writeBigMessage(t, e, 4) // a 2 MB base64 attachment, part 2
	c := e.raw()
	c.wait = 5 * time.Minute
	c.login("alice")
	c.ok("s SELECT INBOX")
	items := strings.TrimSpace(strings.Repeat("BINARY.PEEK[2] ", 100))
	h := startHeapPeak()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Minute))
	fetchDiscard(t, c.conn, c.r, "FETCH 1 ("+items+")")
	if growth := h.growth(); growth > 40<<20 {
		t.Errorf("FETCH of one 1.5 MB part 100 times grew the heap by %d MB", growth>>20)
	}
}

// BenchmarkFetchWhole sends whole messages stored with LF line ends, as
// the harness's body rows fetch them: the 48 MB message, and 1,000
// messages of about 60 KB of base64 lines (UID FETCH 1:1000
// BODY.PEEK[]). cpu-ns/B is the CPU of the whole test process (server,
// and a client that frames lines and drops them) per byte sent.
func BenchmarkFetchWhole(b *testing.B) {
	b64 := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\n"
	for _, tc := range []struct {
		name, cmd string
		fill      func(*testEnv)
	}{
		{"big", "FETCH 1 BODY.PEEK[]", func(e *testEnv) { writeBigMessage(b, e, 48) }},
		{"bodies", "UID FETCH 1:1000 BODY.PEEK[]", func(e *testEnv) {
			fillMaildirWith(b, e, 1000, func(i int) string { return strings.Repeat(b64, 700+i%200) })
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := startServer(b, nil)
			tc.fill(e)
			c := e.raw()
			c.login("alice")
			c.ok("s SELECT INBOX")
			c.conn.SetReadDeadline(time.Now().Add(time.Hour))
			r := bufio.NewReaderSize(c.conn, 256<<10)
			size := 0
			sized := func(l []byte) {
				if n, ok := strings.CutSuffix(string(l), "}\r\n"); ok {
					if i := strings.LastIndexByte(n, '{'); i >= 0 {
						k, _ := strconv.Atoi(n[i+1:])
						size += k
					}
				}
			}
			fetchDiscardEach(b, c.conn, r, tc.cmd, sized)
			b.SetBytes(int64(size))
			cpu := processCPU()
			b.ResetTimer()
			for range b.N {
				fetchDiscardEach(b, c.conn, r, tc.cmd, nil)
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu)/float64(size)/float64(b.N), "cpu-ns/B")
		})
	}
}

// processCPU is the CPU time, user and system, this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
