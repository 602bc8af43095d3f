package imap_test

import (
	"strings"
	"testing"
)

// TestListExtended drives RFC 5258's selection and return options and
// RFC 5819's LIST-STATUS over a socket, on the hierarchy of imaptest's
// listext script.
func TestListExtended(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " LIST-EXTENDED LIST-STATUS") {
		t.Fatalf("capabilities %q", caps)
	}
	for _, cmd := range []string{"CREATE m/", "CREATE m/t1", "CREATE m/t2/", "CREATE m/t2/t1", "CREATE m/t3",
		"CREATE m/t6", "CREATE m/t7/t7", "CREATE m/t8/t8", "CREATE m/t8/t9",
		"SUBSCRIBE m/t1", "SUBSCRIBE m/t2/t1", "SUBSCRIBE m/t6", "SUBSCRIBE m/t7/t7",
		"SUBSCRIBE m/t8/t8", "SUBSCRIBE m/t8/t9", "DELETE m/t6"} {
		c.ok("s " + cmd)
	}
	c.appendMsg("m/t1", `\Seen`, testMessage("s", "x"))
	for _, tc := range []struct {
		cmd  string
		want []string // the untagged lines, in order
	}{
		{`LIST "" (m/*2 m/t3)`, []string{
			`* LIST (\Noselect \HasChildren) "/" m/t2`,
			`* LIST (\HasNoChildren) "/" m/t3`,
		}},
		{`LIST (SUBSCRIBED) "" m/*`, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" m/t1`,
			`* LIST (\HasNoChildren \Subscribed) "/" m/t2/t1`,
			`* LIST (\NonExistent \Subscribed) "/" m/t6`,
			`* LIST (\HasNoChildren \Subscribed) "/" m/t7/t7`,
			`* LIST (\HasNoChildren \Subscribed) "/" m/t8/t8`,
			`* LIST (\HasNoChildren \Subscribed) "/" m/t8/t9`,
		}},
		{`LIST (SUBSCRIBED RECURSIVEMATCH) "" m/t2% RETURN (CHILDREN)`, []string{
			`* LIST (\Noselect \HasChildren) "/" m/t2 ("CHILDINFO" ("SUBSCRIBED"))`,
		}},
		{`LIST (SUBSCRIBED RECURSIVEMATCH) "" m*t8`, []string{
			`* LIST (\Noselect \HasChildren) "/" m/t8 ("CHILDINFO" ("SUBSCRIBED"))`,
			`* LIST (\HasNoChildren \Subscribed) "/" m/t8/t8`,
		}},
		{`LIST (SUBSCRIBED RECURSIVEMATCH) "" m*t7`, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" m/t7/t7`,
		}},
		{`LIST "" m/% RETURN (CHILDREN SUBSCRIBED)`, []string{
			`* LIST (\HasNoChildren \Subscribed) "/" m/t1`,
			`* LIST (\Noselect \HasChildren) "/" m/t2`,
			`* LIST (\HasNoChildren) "/" m/t3`,
			`* LIST (\Noselect \HasChildren) "/" m/t7`,
			`* LIST (\Noselect \HasChildren) "/" m/t8`,
		}},
		{`LIST "" m/t% RETURN (STATUS (MESSAGES UNSEEN))`, []string{
			`* LIST (\HasNoChildren) "/" m/t1`,
			`* STATUS m/t1 (MESSAGES 1 UNSEEN 0)`,
			`* LIST (\Noselect \HasChildren) "/" m/t2`,
			`* LIST (\HasNoChildren) "/" m/t3`,
			`* STATUS m/t3 (MESSAGES 0 UNSEEN 0)`,
			`* LIST (\Noselect \HasChildren) "/" m/t7`,
			`* LIST (\Noselect \HasChildren) "/" m/t8`,
		}},
		{`LIST (REMOTE) "" INBOX`, []string{`* LIST (\HasNoChildren) "/" INBOX`}},
	} {
		got := c.ok("l " + tc.cmd)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.cmd, got, tc.want)
		}
	}
	for _, cmd := range []string{`LIST (BOGUS) "" ""`, `LIST (RECURSIVEMATCH) "" %`, `LIST "" % RETURN (BOGUS)`} {
		if _, done := c.do("b " + cmd); !strings.HasPrefix(done, "b BAD") {
			t.Errorf("%s: %q, want BAD", cmd, done)
		}
	}
}
