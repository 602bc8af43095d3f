package imap

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

// lineCatcher keeps the transcript lines logged.
type lineCatcher struct{ lines []string }

func (c *lineCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (c *lineCatcher) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			c.lines = append(c.lines, a.Value.String())
		}
		return true
	})
	return nil
}
func (c *lineCatcher) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *lineCatcher) WithGroup(string) slog.Handler      { return c }

// FuzzTranscript feeds arbitrary client and server bytes, in arbitrary
// pieces, through a transcript: it may not panic, log a line longer than
// its bound, or show the password of a LOGIN that precedes the input.
func FuzzTranscript(f *testing.F) {
	for _, s := range []string{
		"a LOGIN alice {6}\r\n|+ Ready\r\n|PASSWD\r\n",
		"b APPEND INBOX {5+}\r\nhello\r\n|b OK\r\n",
		"|* 1 FETCH (BODY[] {3}\r\nabc)\r\n",
		"c AUTHENTICATE PLAIN\r\n|+ \r\n|AGFsaWNlAHNlY3JldA==\r\n|c NO\r\n",
		"d LOGIN {5+}\r\nalice {6+}\r\nPASSWD\r\n",
		"e NOOP {99999999999}\r\n|e BAD\r\n",
		// A literal's data sent before the "+", then refused before it.
		"f LOGIN alice {6}\r\nPASSWD\r\ng NOOP\r\n|+ Ready\r\n|h NOOP\r\n",
		"i APPEND INBOX {200}\r\nj NOOP\r\n|i NO [TOOBIG]\r\n|k NOOP\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		catcher := &lineCatcher{}
		c := &transcriptConn{log: slog.New(catcher)}
		c.scan(&c.in, []byte("x LOGIN alice SECRETPW\r\n"), c.clientLine)
		c.scan(&c.out, []byte("x NO nope\r\n"), c.serverLine)
		for i, piece := range strings.Split(in, "|") {
			if i%2 == 0 {
				c.scan(&c.in, []byte(piece), c.clientLine)
			} else {
				c.scan(&c.out, []byte(piece), c.serverLine)
			}
		}
		if len(c.held) > transcriptHeldMax {
			t.Fatalf("%d client bytes held", len(c.held))
		}
		for _, l := range catcher.lines {
			if len(l) > transcriptMax+64 {
				t.Fatalf("line of %d bytes logged", len(l))
			}
			if strings.Contains(l, "SECRETPW") {
				t.Fatalf("password logged: %q", l)
			}
		}
	})
}
