package imap

import (
	"log/slog"
	"slices"
	"testing"
)

// What the transcript shows of each client line, before and after login.
func TestTranscriptClientLines(t *testing.T) {
	for _, tt := range []struct {
		in, before, after string
	}{
		{"a CAPABILITY", "a CAPABILITY", "a CAPABILITY"},
		{"a noop", "a noop", "a noop"},
		{"a NOOP pw", "a NOOP ***", "a NOOP pw"},
		{`a ID ("name" "x")`, `a ID ("name" "x")`, `a ID ("name" "x")`},
		{"a ID nil", "a ID nil", "a ID nil"},
		{"a ID pw", "a ID ***", "a ID pw"},
		{"a LOGIN alice pw", `a LOGIN alice "***"`, `a LOGIN alice "***"`},
		{`a login "al ice" pw`, `a login "al ice" "***"`, `a login "al ice" "***"`},
		{"a LOGIN pw", "a LOGIN ***", "a LOGIN ***"},
		{"a  LOGIN alice pw", "a ***", "a  LOGIN ***"},
		{"a UID LOGIN alice pw", "a UID ***", "a UID LOGIN ***"},
		{"a UID  login alice pw", "a UID ***", "a UID  login ***"},
		{"a AUTHENTICATE PLAIN", "a AUTHENTICATE PLAIN", "a AUTHENTICATE PLAIN"},
		{"a AUTHENTICATE plain AGI=", "a AUTHENTICATE plain ***", "a AUTHENTICATE plain ***"},
		{"a AUTHENTICATE pw", "a AUTHENTICATE ***", "a AUTHENTICATE pw"},
		{"a AUTHENTICATE  PLAIN AGI=", "a AUTHENTICATE ***", "a AUTHENTICATE ***"},
		{"a SELECT INBOX", "a SELECT ***", "a SELECT INBOX"},
		{"a pw", "a ***", "a pw"},
		{"pw", "***", "pw"},
		{"", "", ""},
		{"a SEARCH SUBJECT login", "a SEARCH ***", "a SEARCH SUBJECT login"},
	} {
		for _, loggedIn := range []bool{false, true} {
			catcher := &lineCatcher{}
			c := &transcriptConn{log: slog.New(catcher), authenticated: loggedIn}
			c.scan(&c.in, []byte(tt.in+"\r\n"), c.clientLine)
			want := tt.before
			if loggedIn {
				want = tt.after
			}
			if len(catcher.client) != 1 || catcher.client[0] != want {
				t.Errorf("%q, logged in %v: %q; want %q", tt.in, loggedIn, catcher.client, want)
			}
		}
	}
}

// Before login, a "+" that is not for a literal asks for an AUTHENTICATE
// response: the client's answer is masked, whatever the command's line
// looked like; after login (IDLE's "+ idling") the answer is shown.
func TestTranscriptContinuationAnswer(t *testing.T) {
	for _, loggedIn := range []bool{false, true} {
		catcher := &lineCatcher{}
		c := &transcriptConn{log: slog.New(catcher), authenticated: loggedIn}
		c.scan(&c.in, []byte("a XAUTH\r\n"), c.clientLine)
		c.scan(&c.out, []byte("+ \r\n"), c.serverLine)
		c.scan(&c.in, []byte("DONE\r\n"), c.clientLine)
		c.scan(&c.out, []byte("a OK\r\n"), c.serverLine)
		c.scan(&c.in, []byte("b NOOP\r\n"), c.clientLine)
		want := []string{"a ***", "***", "b NOOP"}
		if loggedIn {
			want = []string{"a XAUTH", "DONE", "b NOOP"}
		}
		if !slices.Equal(catcher.client, want) {
			t.Errorf("logged in %v: %q; want %q", loggedIn, catcher.client, want)
		}
	}
}
