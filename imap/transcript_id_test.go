package imap

import (
	"log/slog"
	"strings"
	"testing"
)

// TestTranscriptIDLineOnlyWhole: before login an ID line is shown as sent
// only when it is one ID command to its end; anything after the argument
// (a LOGIN with its password on the same line) is masked as any other
// line is. Seen live: `a ID ("x" "y") LOGIN mailgate SECRET` was logged
// whole (review of the fixes, S7).
func TestTranscriptIDLineOnlyWhole(t *testing.T) {
	for _, tc := range []struct {
		in    string
		whole bool
	}{
		{`a ID ("name" "mutt" "version" "2.2")`, true},
		{`a ID NIL`, true},
		{`a ID ("x" NIL "y\"z" "w")`, true},
		{`a ID ("x" "y") LOGIN alice SECRETPW`, false},
		{`a ID NIL LOGIN alice SECRETPW`, false},
		{`a ID ("x" "y")) a LOGIN alice SECRETPW`, false},
		{`a ID ("x" "SECRETPW`, false},
		{`a ID ("x" {8}`, false},
	} {
		catcher := &lineCatcher{}
		c := &transcriptConn{log: slog.New(catcher)}
		c.scan(&c.in, []byte(tc.in+"\r\n"), c.clientLine)
		got := strings.Join(catcher.client, "\n")
		if strings.Contains(got, "SECRETPW") {
			t.Errorf("before login, %q is logged as %q", tc.in, got)
		}
		if tc.whole != (got == tc.in) {
			t.Errorf("%q logged as %q, whole %v", tc.in, got, tc.whole)
		}
	}
}
