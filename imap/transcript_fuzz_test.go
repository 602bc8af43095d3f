package imap

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
)

// lineCatcher keeps the transcript lines logged, and apart those of the
// client.
type lineCatcher struct{ lines, client []string }

func (c *lineCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (c *lineCatcher) Handle(_ context.Context, r slog.Record) error {
	var dir, line string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "line":
			line = a.Value.String()
			c.lines = append(c.lines, line)
		case "dir":
			dir = a.Value.String()
		}
		return true
	})
	if dir == "C" {
		c.client = append(c.client, line)
	}
	return nil
}

// maskedBeforeLogin tells whether a client line logged before login
// shows nothing a password could be in: its rest is masked, or it is a
// command that carries nothing (or ID, or AUTHENTICATE's mechanism).
func maskedBeforeLogin(l string) bool {
	if l == "" || strings.HasSuffix(l, "***") || strings.HasSuffix(l, `"***"`) {
		return true
	}
	words := strings.Split(l, " ")
	if len(words) < 2 {
		return false
	}
	switch name := strings.ToUpper(words[1]); {
	case len(words) == 2 && slices.Contains([]string{"CAPABILITY", "NOOP", "LOGOUT", "STARTTLS"}, name):
		return true
	case name == "ID":
		return len(words) > 2 && (strings.EqualFold(words[2], "NIL") || strings.HasPrefix(words[2], "("))
	case name == "AUTHENTICATE":
		return len(words) == 3 && slices.Contains(auth.Mechanisms(), strings.ToUpper(words[2]))
	}
	return false
}
func (c *lineCatcher) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *lineCatcher) WithGroup(string) slog.Handler      { return c }

// FuzzTranscript feeds arbitrary client and server bytes, in arbitrary
// pieces, through a transcript: it may not panic, log a line longer than
// its bound, show the password of a LOGIN that precedes the input, or
// show, before login (the session never tells it of one here), more of a
// client line than its tag and command (LOGIN's user, AUTHENTICATE's
// mechanism) unless the line carries nothing a password could be in.
func FuzzTranscript(f *testing.F) {
	for _, s := range []string{
		// Malformed logins, whose passwords are real (review D13).
		"a  LOGIN alice secret1\r\n|a BAD\r\n",
		"a UID LOGIN alice secret2\r\n|a BAD\r\n",
		"a LOGIN  alice secret3\r\n|a BAD\r\n",
		"a AUTHENTICATE  PLAIN AGFsaWNlAHNlY3JldA==\r\n|a BAD\r\n",
		"a\tLOGIN alice secret\r\n|* BAD\r\n",
		"hunter2\r\n|* BAD\r\n",
		"alice hunter2\r\n|alice BAD\r\n",
		"a LOGIN alice hunter2 extra\r\n|a BAD\r\n",
		"a ID (\"name\" \"x\")\r\n|* ID NIL\r\n|a OK\r\n",
		// AUTHENTICATE continuations, even after a line not taken for one.
		"a AUTHENTICATE X-UNKNOWN\r\n|+ \r\n|c2VjcmV0\r\n|a NO\r\n",
		"a XAUTH PLAIN\r\n|+ \r\n|alice secret\r\n|a NO\r\n",
		"a AUTHENTICATE PLAIN\r\n|+ \r\n|*\r\n|a BAD\r\n",
		// A literal before login: the rest of its command is masked.
		"a XLOGIN {5+}\r\nalice secret\r\n|a BAD\r\n",
		"a UID LOGIN {5}\r\n|+ Ready\r\n|alice secret\r\n|a BAD\r\n",
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
		for _, l := range catcher.client {
			if !maskedBeforeLogin(l) {
				t.Fatalf("client line logged before login: %q", l)
			}
		}
	})
}
