package imap_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// addressMessages are imaptest's search-addresses messages, and one with
// encoded words and quoting.
var addressMessages = []string{
	"From: user-from@domain.org\r\nTo: user-to@domain.org\r\nCc: user-cc@domain.org\r\nBcc: user-bcc@domain.org\r\n\r\nbody\r\n",
	"From: RealFrom <user-from@domain.org>\r\nTo: RealTo <user-to@domain.org>\r\nCc: RealCc <user-cc@domain.org>\r\nBcc: RealBcc <user-bcc@domain.org>\r\n\r\nbody2\r\n",
	"From: <user-from (comment)@ (comment) domain.org>\r\nTo: <user-to@domain.org>\r\nCc: <user-cc@domain.org>\r\nBcc: <user-bcc@domain.org>\r\n\r\nbody3\r\n",
	"From: user-from@domain.org (RealFrom)\r\nTo: user-to@domain.org (RealTo)\r\nCc: user-cc@domain.org (RealCc)\r\nBcc: user-bcc@domain.org (RealBcc)\r\n\r\nbody4\r\n",
	"From: user-from1@domain.org, user-from2@domain.org\r\nCc: user-cc@domain.org\r\n\r\nbody5\r\n",
	"From: RealFrom <user-from@domain.org>\r\nTo: groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;\r\n\r\nbody6\r\n",
	"From: RealFrom <user-from@domain.org>\r\nTo: groupname:;\r\n\r\nbody7\r\n",
	"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <\"j.m\"@example.org>\r\nTo: \"Doe, (not a comment) Jane\" <jane (x) . doe @ example . com>\r\n\r\nbody8\r\n",
}

// TestSearchAddresses: FROM, TO, CC and BCC match the addresses as
// ENVELOPE parses them (comments and quoting gone, names decoded), and
// still the field's text (issue 8, item 21; imaptest's search-addresses
// group). Each search runs twice: the first reads the headers, the
// second the cache of search fields.
func TestSearchAddresses(t *testing.T) {
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for _, m := range addressMessages {
		c.appendMsg("INBOX", "", m)
	}
	c.ok("s SELECT INBOX")
	tests := []struct{ search, want string }{
		{"FROM user-from@domain.org", "1 2 3 4 6 7"},
		{"TO user-to@domain.org", "1 2 3 4"},
		{"CC user-cc@domain.org", "1 2 3 4 5"},
		{"BCC user-bcc@domain.org", "1 2 3 4"},
		{"FROM realfrom", "2 4 6 7"},
		{"TO realto", "2 4"},
		{"HEADER FROM \"\"", "1 2 3 4 5 6 7 8"},
		{"HEADER TO \"\"", "1 2 3 4 6 7 8"},
		{"FROM ser-fro", "1 2 3 4 5 6 7"},
		{"CC ser-c", "1 2 3 4 5"},
		{"FROM ealfro", "2 4 6 7"},
		{"FROM user-from1", "5"},
		{"FROM user-from2", "5"},
		{"TO groupname", "6 7"},
		{"TO groupname2", "6"},
		{"TO groupuser3", "6"},
		{"TO groupuser4", ""},
		// Text still matches: comments, raw and decoded names.
		{"FROM comment", "3"},
		{"FROM \"(comment)@\"", "3"},
		{"FROM =?UTF-8?Q?J", "8"},
		{"FROM \"J\u00f6rg M\u00fcller\"", "8"},
		{"FROM \"j.m@example.org\"", "8"},
		{"FROM \"M\u00fcller <j.m@\"", "8"},
		{"TO jane.doe@example.com", "8"},
		{"TO \"(not a comment) Jane <jane.doe@\"", "8"},
		{"TO \"not a comment\"", "8"},
		{"NOT FROM user-from@domain.org", "5 8"},
		// As Dovecot writes addresses: "Name <addr>", "<addr>", "group:;".
		{"FROM \"user-from@domain.org>\"", "1 2 3 4 6 7"},
		{"TO \"groupname: <groupuser1\"", "6"},
		{"TO \"groupuser2@domain.org>;\"", "6"},
		{"TO \"groupname:;\"", "7"},
		// HEADER matches the field's text only (RFC 3501 6.4.4), as in
		// Dovecot.
		{"HEADER FROM user-from@domain.org", "1 2 4 6 7"},
		{"HEADER FROM \"user-from@domain.org>\"", "2 6 7"},
		{"OR TO groupuser1 CC user-cc", "1 2 3 4 5 6"},
	}
	for round := 0; round < 2; round++ {
		for _, tt := range tests {
			u := c.ok("f SEARCH " + tt.search)
			if want := strings.TrimSpace("* SEARCH " + tt.want); len(u) != 1 || u[0] != want {
				t.Errorf("round %d: SEARCH %s: %q, want %q", round, tt.search, u, want)
			}
		}
	}
}

// TestDovecotSearchAddresses: whatever Dovecot finds with FROM, TO, CC
// and BCC in addressMessages, mailgate finds too. mailgate may find more:
// it also matches the field's raw text, and reads some odd addresses
// otherwise (as its ENVELOPE does).
func TestDovecotSearchAddresses(t *testing.T) {
	bin, err := dovecotIMAP()
	if err != nil {
		needs.Missing(t, "Dovecot's imap binary is not available (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := startDovecot(t, ctx, bin)
	e := startServer(t, nil)
	c := e.raw()
	c.login("alice")
	for _, m := range addressMessages {
		d.run(dvStep{cmd: "APPEND INBOX {LIT}", lits: []string{m}})
		c.appendMsg("INBOX", "", m)
	}
	d.run(dvStep{cmd: "SELECT INBOX"})
	c.ok("s SELECT INBOX")
	for _, search := range []string{
		"FROM user-from@domain.org", "TO user-to@domain.org", "CC user-cc@domain.org", "BCC user-bcc@domain.org",
		"FROM realfrom", "FROM ser-fro", "FROM ealfro", "TO groupname", "TO groupuser1", "TO groupuser4",
		`FROM "user-from@domain.org>"`, `TO "groupname: "`, `TO "groupuser2@domain.org>;"`, `TO "groupname:;"`,
		`FROM "realfrom <"`, "FROM \"j\u00f6rg m\u00fcller <\"", "FROM user-from2", `TO "not a comment"`,
		`HEADER FROM user-from@domain.org`, `HEADER TO ""`,
	} {
		ex := d.run(dvStep{cmd: "SEARCH " + search})
		if ex.err != nil || len(ex.raw) != 2 {
			t.Fatalf("Dovecot: SEARCH %s: %q %v", search, ex.raw, ex.err)
		}
		dov := strings.Fields(strings.TrimPrefix(strings.TrimSpace(ex.raw[0]), "* SEARCH"))
		mg := strings.Fields(strings.TrimPrefix(c.ok("f SEARCH " + search)[0], "* SEARCH"))
		for _, n := range dov {
			if !slices.Contains(mg, n) {
				t.Errorf("SEARCH %s: Dovecot finds %v, mailgate %v", search, dov, mg)
				break
			}
		}
	}
}
