package imap_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/fts"
)

// ftsMessages are hard cases for a full-text index: case folding beyond
// ASCII, encoded words, base64 and quoted-printable parts (a soft line
// break inside a word), charsets, binary and non-text parts, an embedded
// message, folded headers.
var ftsMessages = []string{
	"From: Ann Example <ann@example.org>\r\nTo: bob@example.org\r\nSubject: Hello World\r\nX-Custom: Alpha  Beta\r\n\r\nThe quick brown fox; xyzzy-plugh jumps.\r\n",
	"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jm@example.org>\r\nTo: \"Doe, Jane\" <jane@example.com>\r\nCc: cc1@example.net,\r\n  cc2@example.net\r\nSubject: =?UTF-8?B?U3RyYcOfZSBpbiBNw7xuY2hlbg==?=\r\n\r\nGrüße aus MÜNCHEN, İstanbul and 5 \u212a (kelvin).\r\n",
	"From: c@example.org\r\nSubject: qp\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln und xyz=\r\nzy-plugh sind =3D gleich\r\n",
	"From: d@example.org\r\nSubject: b64\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + "RGllIFN0cmHDn2UgaXN0IGxhbmcsIFhZWlpZLVBMVUdICg==\r\n",
	"From: e@example.org\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\neHl6enktcGx1Z2ggaW4gYW4gYXR0YWNobWVudA==\r\n--b1\r\nContent-Type: application/x-note\r\n\r\nplain note text xyzzy\r\n--b1\r\nContent-Type: application/x-bin\r\n\r\nbad \xff\xfe bytes xyzzy\r\n--b1--\r\n",
	"From: f@example.org\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@example.org\r\nSubject: Inner Subject\r\n\r\nInner body with Straße\r\n",
	"From: g@example.org\r\nSubject: html\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait, =C3=9Cber alles\r\n--a\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<b>Caf\xe9</b> &amp; more\r\n--a--\r\n",
	"Subject: no from\r\nX-Custom: =?ISO-8859-1?Q?caf=E9?=\r\n\r\n\r\n",
	"From: h@example.org\r\nSubject: sigma ΣΊΣΥΦΟΣ\r\n\r\nσίσυφος ς ǅ ǆ Ǆ\r\n",
}

// ftsNeedles are strings searched for with every key, besides pieces cut
// from the messages at random.
var ftsNeedles = []string{
	"xyzzy-plugh", "XYZZY-PLUGH", "zzy-plu", "lo wor", "hello world", "quick brown", "fox; x",
	"straße", "STRASSE", "müNCHEN", "münchen", "grüße", "İstanbul", "istanbul", "kelvin", "5 k",
	"köln", "KÖLN und", "= gleich", "=3d", "=?utf-8?", "jörg", "müller <jm", "doe, jane", "cc2@",
	"attachment", "note text", "bad", "inner subject", "inner body", "café", "über", "&amp;",
	"alpha  beta", "alpha beta", "caf", "σίσυφος", "ΣΊΣΥΦΟΣ", "ǆ", "ǅ ǆ", "a\r\nsubj", "ab", "e",
}

var ftsKeys = []string{"TEXT", "BODY", "SUBJECT", "FROM", "TO", "CC", "BCC", "HEADER X-Custom"}

// TestSearchIndexMatchesScan: with the full-text index complete, every
// SEARCH of a text key answers exactly what the scan answers (the same
// key under OR, which the index does not narrow).
func TestSearchIndexMatchesScan(t *testing.T) {
	e := startServerStore(t, func(root string, o *storage.Options) {
		o.FullText = &storage.FullText{Dir: filepath.Join(root, "fts"), Extract: imap.FullTextDoc, Derive: imap.HeaderCache}
	}, nil, nil)
	c := e.raw()
	c.login("alice")
	for _, m := range ftsMessages {
		c.appendMsg("INBOX", "", m)
	}
	c.ok("s SELECT INBOX")
	waitIndexed(t, e.root, len(ftsMessages))

	r := rand.New(rand.NewPCG(3, 4))
	needles := append([]string(nil), ftsNeedles...)
	for range 60 {
		m := ftsMessages[r.IntN(len(ftsMessages))]
		i := r.IntN(len(m))
		n := m[i:min(len(m), i+3+r.IntN(10))]
		if r.IntN(2) == 0 {
			n = strings.ToUpper(n)
		}
		needles = append(needles, n)
	}
	for _, n := range needles {
		for _, key := range ftsKeys {
			lit := fmt.Sprintf("{%d+}\r\n%s", len(n), n)
			got := c.rawSearch("CHARSET UTF-8 " + key + " " + lit)
			want := c.rawSearch("CHARSET UTF-8 OR " + key + " " + lit + " " + key + " " + lit)
			if got != want {
				t.Errorf("SEARCH %s %q: the index answers %q, the scan %q", key, n, got, want)
			}
		}
	}

	// The index is what answers: a message file changed behind the
	// server's back (which maildir never does) is not looked at.
	files, _ := filepath.Glob(filepath.Join(e.root, "alice", "INBOX", "*", "*"))
	var first string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "quick brown") {
			first = f
			os.WriteFile(f, append(b, "planted-word\n"...), 0o600)
		}
	}
	if first == "" {
		t.Fatal("message 1's file not found")
	}
	if got := c.rawSearch("BODY planted-word"); got != "* SEARCH|OK" {
		t.Errorf("SEARCH BODY planted-word: %q; the index was not used", got)
	}
	if got := c.rawSearch("OR BODY planted-word BODY planted-word"); got != "* SEARCH 1|OK" {
		t.Errorf("scan for planted-word: %q", got)
	}
}

// rawSearch runs SEARCH with args (literals given with LITERAL+) and
// returns its untagged lines and its completion's status, joined by "|".
func (c *rawConn) rawSearch(args string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, "x SEARCH "+args+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for {
		l := c.line()
		if rest, ok := strings.CutPrefix(l, "x "); ok {
			return strings.Join(append(out, strings.Fields(rest)[0]), "|")
		}
		out = append(out, strings.TrimSpace(l))
	}
}

// waitIndexed waits until the one index file under root/fts knows n
// messages. It only reads the file (fts.Peek): an fts.Open may write
// it (it starts a file it finds damaged again), and a watcher must not
// change what it watches.
func waitIndexed(t testing.TB, root string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	if n > 10000 {
		deadline = time.Now().Add(time.Duration(n) * time.Millisecond)
	}
	for {
		files, _ := filepath.Glob(filepath.Join(root, "fts", "*.fts"))
		if len(files) == 1 {
			if got, err := fts.Peek(files[0]); err == nil && got == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not learn %d messages in time (files %v)", n, files)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
