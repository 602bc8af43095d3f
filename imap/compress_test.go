package imap_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/tlsmgr"
)

// clientDeflate is a client's side of COMPRESS=DEFLATE (RFC 4978) on
// compress/flate: a raw deflate stream each way, flushed at every write
// and sent in one piece, as a client sends a command (a command split
// across writes could see the server answer LOGOUT and close before
// its last bytes go out).
type clientDeflate struct {
	net.Conn
	fr  io.Reader
	fw  *flate.Writer // writes to out; nil: a new writer for each write
	out bytes.Buffer
}

func (c *clientDeflate) Read(p []byte) (int, error) { return c.fr.Read(p) }

// Write compresses p and flushes; without a kept writer (fw nil) it uses
// a new one for each write, whose output refers to nothing before it.
func (c *clientDeflate) Write(p []byte) (int, error) {
	c.out.Reset()
	fw := c.fw
	if fw == nil {
		fw, _ = flate.NewWriter(&c.out, flate.BestSpeed)
	}
	fw.Write(p)
	fw.Flush()
	if _, err := c.Conn.Write(c.out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// compress sends COMPRESS DEFLATE and, once it is accepted, speaks
// deflate on the connection.
func (c *rawConn) compress() {
	c.t.Helper()
	c.ok("z COMPRESS DEFLATE")
	if c.r.Buffered() > 0 {
		c.t.Fatalf("the server sent %d bytes after COMPRESS's OK", c.r.Buffered())
	}
	cd := &clientDeflate{Conn: c.conn, fr: flate.NewReader(c.conn)}
	cd.fw, _ = flate.NewWriter(&cd.out, flate.BestSpeed) // kept: later commands refer back
	c.conn = cd
	c.r = bufio.NewReader(c.conn)
}

// COMPRESS=DEFLATE over a real socket: offered and accepted only after
// login, refused a second time, and the whole protocol goes on
// compressed: APPEND with a literal, a FETCH larger than one write, IDLE
// woken by another session, and LOGOUT.
func TestCompressDeflate(t *testing.T) {
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) { logs = capture(o) })
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	c := e.raw()
	if caps := c.ok("c0 CAPABILITY"); contains(caps, "COMPRESS") {
		t.Fatalf("COMPRESS offered before login: %q", caps)
	}
	if _, done := c.do("z0 COMPRESS DEFLATE"); !strings.HasPrefix(done, "z0 BAD") {
		t.Fatalf("COMPRESS before login: %q", done)
	}
	c.login("alice")
	if caps := c.ok("c1 CAPABILITY"); !contains(caps, " COMPRESS=DEFLATE") {
		t.Fatalf("COMPRESS not offered after login: %q", caps)
	}
	if _, done := c.do("z1 COMPRESS GZIP"); !strings.HasPrefix(done, "z1 BAD") {
		t.Fatalf("COMPRESS GZIP: %q", done)
	}
	c.compress()
	if _, done := c.do("z2 COMPRESS DEFLATE"); !strings.HasPrefix(done, "z2 NO [COMPRESSIONACTIVE]") {
		t.Fatalf("second COMPRESS: %q", done)
	}
	if _, done := c.do("t STARTTLS"); !strings.HasPrefix(done, "t BAD") {
		t.Fatalf("STARTTLS after COMPRESS: %q", done)
	}
	big := testMessage("big", strings.Repeat("The quick brown fox jumps over the lazy dog 0123456789.\r\n", 6000))
	c.appendMsg("INBOX", `\Seen`, big)
	c.ok("s SELECT INBOX")
	u := c.ok("f FETCH 1 BODY.PEEK[]")
	if len(u) < 6000 || !strings.HasPrefix(u[0], "* 1 FETCH (BODY[] {") {
		t.Fatalf("FETCH: %d lines, first %q", len(u), u[0])
	}

	c.send("i IDLE")
	if l := c.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	other := e.raw()
	other.login("alice")
	other.appendMsg("INBOX", "", testMessage("news", "x"))
	if l := c.line(); l != "* 2 EXISTS" {
		t.Fatalf("IDLE heard %q, want EXISTS", l)
	}
	c.send("DONE")
	l := c.line()
	for ; strings.HasPrefix(l, "* "); l = c.line() {
	}
	if !strings.HasPrefix(l, "i OK") {
		t.Fatalf("DONE: %q", l)
	}
	if u, done := c.do("o LOGOUT"); !contains(u, "* BYE") || !strings.HasPrefix(done, "o OK") {
		t.Fatalf("LOGOUT: %q %q", u, done)
	}
}

// Under implicit TLS, with the transcript on: the transcript shows the
// protocol as the client wrote it, not deflated bytes.
func TestCompressDeflateTLSTranscript(t *testing.T) {
	cfg := selfSigned(t)
	var logs *dvLockedBuffer
	e := startServer(t, func(o *imap.Options) {
		o.TLSConfig, o.TLSMode = cfg, tlsmgr.ModeConnection
		o.Transcript = true
		logs = capture(o)
	})
	tc, err := tls.Dial("tcp", e.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	c := &rawConn{t: t, conn: tc, r: bufio.NewReader(tc)}
	if g := c.line(); !strings.HasPrefix(g, "* OK ") {
		t.Fatalf("greeting %q", g)
	}
	c.login("alice")
	c.compress()
	c.ok("s1 SELECT INBOX")
	c.ok(`l1 LIST "" "*"`)
	c.ok("o LOGOUT")
	// The transcript's last lines are logged as the session ends, which
	// it says last.
	text := waitLog(t, logs, "imap: session ended")
	for _, want := range []string{"s1 SELECT INBOX", "s1 OK", `l1 LIST \"\" \"*\"`, "o LOGOUT"} {
		if !strings.Contains(text, want) {
			t.Errorf("transcript lacks %q:\n%s", want, text)
		}
	}
}

// waitLog waits, for at most a minute, until the log has want in it, and
// returns the log.
func waitLog(t *testing.T, logs *dvLockedBuffer, want string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		text := logs.String()
		if strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log has no %q after a minute:\n%s", want, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingHibernator declines every hibernation and counts the offers,
// by the tag of the session's IDLE.
type countingHibernator struct {
	mu     sync.Mutex
	offers map[string]int
}

func (h *countingHibernator) HibernateAfter() time.Duration { return 30 * time.Millisecond }

func (h *countingHibernator) Hibernate(st *imap.SessionState, _ []string, _ func() []byte) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.offers == nil {
		h.offers = map[string]int{}
	}
	h.offers[st.IdleTag]++
	return false, nil
}

func (h *countingHibernator) count(tag string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.offers[tag]
}

// A compressed session idles in its own process: it is never offered for
// hibernation, whose state has no room for the inflate window. An
// uncompressed one, for comparison, is.
func TestCompressDeflateDoesNotHibernate(t *testing.T) {
	h := &countingHibernator{}
	e := startServer(t, func(o *imap.Options) { o.Hibernator = h })
	// The compressed session idles first; the uncompressed one, which
	// declined offers make the server offer again every 30 ms, then
	// idles until it has been offered twice: by then the compressed
	// one's timer, had it one, would have fired.
	var conns []*rawConn
	for _, tag := range []string{"compressed", "plain"} {
		c := e.raw()
		c.login("alice")
		if tag == "compressed" {
			c.compress()
		}
		c.ok("s SELECT INBOX")
		c.send(tag + " IDLE")
		if l := c.line(); !strings.HasPrefix(l, "+ ") {
			t.Fatalf("IDLE: %q", l)
		}
		conns = append(conns, c)
	}
	deadline := time.Now().Add(time.Minute)
	for h.count("plain") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the uncompressed session was offered for hibernation %d times in a minute", h.count("plain"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.count("compressed"); n != 0 {
		t.Fatalf("the compressed session was offered for hibernation %d times", n)
	}
	for i, tag := range []string{"compressed", "plain"} {
		conns[i].send("DONE")
		if l := conns[i].line(); !strings.HasPrefix(l, tag+" OK") {
			t.Fatalf("DONE: %q", l)
		}
	}
}
