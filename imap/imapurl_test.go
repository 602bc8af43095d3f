package imap

import (
	"strings"
	"testing"
	"time"
)

// TestParseIMAPURL: the URL forms CATENATE and URLAUTH take (RFC 5092,
// RFC 4467 section 3), and the ones they refuse.
func TestParseIMAPURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want imapURL // the fields compared; rump too
		bad  bool
	}{
		{in: "/INBOX/;UID=5", want: imapURL{mailbox: "INBOX", uid: 5, count: -1}},
		{in: "/a%20b/c;uidvalidity=7/;uid=1/;section=header", want: imapURL{mailbox: "a b/c", uidValidity: 7, uid: 1, section: "HEADER", count: -1}},
		{in: "/Ma%C3%B1ana/;UID=2/;SECTION=1.2.MIME/;PARTIAL=10.20", want: imapURL{mailbox: "Mañana", uid: 2, section: "1.2.MIME", partial: true, offset: 10, count: 20}},
		{in: "/INBOX/;UID=2/;PARTIAL=100000.1", want: imapURL{mailbox: "INBOX", uid: 2, partial: true, offset: 100000, count: 1}},
		{in: "imap://alice;AUTH=*@mail.example.org:143/INBOX/;uid=20;urlauth=user+bob",
			want: imapURL{absolute: true, user: "alice", host: "mail.example.org:143", mailbox: "INBOX", uid: 20, count: -1, access: "user+bob",
				rump: "imap://alice;AUTH=*@mail.example.org:143/INBOX/;uid=20;urlauth=user+bob"}},
		{in: "imap://joe@example.com/INBOX/;uid=20/;section=1.2;expire=2026-12-06T10:00:00Z;urlauth=submit+fred:internal:91354a473744909de610943775f92038",
			want: imapURL{absolute: true, user: "joe", host: "example.com", mailbox: "INBOX", uid: 20, section: "1.2", count: -1,
				expire: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), access: "submit+fred", mechanism: "INTERNAL", token: "91354a473744909de610943775f92038",
				rump: "imap://joe@example.com/INBOX/;uid=20/;section=1.2;expire=2026-12-06T10:00:00Z;urlauth=submit+fred"}},
		{in: "imap://a@[::1]:993/INBOX/;UID=1;URLAUTH=authuser", want: imapURL{absolute: true, user: "a", host: "[::1]:993", mailbox: "INBOX", uid: 1, count: -1, access: "authuser", rump: "imap://a@[::1]:993/INBOX/;UID=1;URLAUTH=authuser"}},
		{in: "/INBOX/;UID=1;URLAUTH=Anonymous", want: imapURL{mailbox: "INBOX", uid: 1, count: -1, access: "anonymous", rump: "/INBOX/;UID=1;URLAUTH=Anonymous"}},
		{in: "", bad: true},
		{in: "INBOX/;UID=1", bad: true},
		{in: "/INBOX", bad: true},
		{in: "/INBOX/;UID=0", bad: true},
		{in: "/INBOX/;UID=4294967296", bad: true},
		{in: "/INBOX;UID=1", bad: true},                 // UID needs its slash
		{in: "/INBOX/;UIDVALIDITY=1/;UID=1", bad: true}, // UIDVALIDITY has none
		{in: "/INBOX/;UID=1/;UID=2", bad: true},         // twice
		{in: "/INBOX/;UID=1/;SECTION=HEADER/;SECTION=TEXT", bad: true},
		{in: "/INBOX/;UID=1/;PARTIAL=1/;SECTION=TEXT", bad: true}, // out of order
		{in: "/INBOX/;UID=1/", bad: true},
		{in: "/INBOX/;UID=1/;SECTION=BOGUS", bad: true},
		{in: "/INBOX/;UID=1/;PARTIAL=1.0", bad: true},
		{in: "/INBOX/;UID=1/;PARTIAL=-1", bad: true},
		{in: "/IN BOX/;UID=1", bad: true},
		{in: "/IN%00BOX/;UID=1", bad: true},
		{in: "/IN%zzBOX/;UID=1", bad: true},
		{in: "/INBOX/;UID=1;EXPIRE=2026-12-06T10:00:00Z", bad: true}, // EXPIRE needs URLAUTH
		{in: "/INBOX/;UID=1;URLAUTH=root", bad: true},
		{in: "/INBOX/;UID=1;URLAUTH=user+", bad: true},
		{in: "/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:abc", bad: true}, // token too short
		{in: "/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:" + strings.Repeat("g", 32), bad: true},
		{in: "imap:///INBOX/;UID=1", bad: true},
		{in: "imap://host", bad: true},
		{in: "imap://h:99999/INBOX/;UID=1", bad: true},
		{in: "/INBOX/;UID=1;FOO=bar", bad: true},
		{in: "/" + strings.Repeat("a", maxURL) + "/;UID=1", bad: true},
	} {
		got, err := parseIMAPURL(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want an error", tc.in, *got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.in, *got, tc.want)
		}
	}
}

// FuzzParseIMAPURL: any text parses or is refused without a panic, and
// what parses is consistent: a rump is a prefix of the URL, a section
// parses again, a verifier comes with an access identifier.
func FuzzParseIMAPURL(f *testing.F) {
	for _, s := range []string{
		"/INBOX/;UID=5", "/a%20b;UIDVALIDITY=7/;UID=1/;SECTION=HEADER.FIELDS%20(FROM%20TO)/;PARTIAL=0.10",
		"imap://alice;AUTH=*@mail.example.org:143/INBOX/;uid=20;urlauth=user+bob",
		"imap://joe@example.com/INBOX/;uid=20/;section=1.2;expire=2026-12-06T10:00:00Z;urlauth=submit+fred:internal:91354a473744909de610943775f92038",
		"imap://a@[::1]:993/x/;UID=1;URLAUTH=anonymous", "/;;/;", "imap://@/", "/%/;UID=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseIMAPURL(s)
		if err != nil {
			return
		}
		if u.uid == 0 || u.mailbox == "" {
			t.Fatalf("%q: parsed without a UID or mailbox: %+v", s, *u)
		}
		if u.rump != "" && !strings.HasPrefix(s, u.rump) {
			t.Fatalf("%q: rump %q is not a prefix", s, u.rump)
		}
		if (u.access == "") != (u.rump == "") || (u.token != "" && u.access == "") {
			t.Fatalf("%q: access %q rump %q token %q", s, u.access, u.rump, u.token)
		}
		if u.section != "" {
			if _, err := parseIMAPURL("/x/;UID=1/;SECTION=" + strings.ReplaceAll(u.section, " ", "%20")); err != nil {
				t.Fatalf("%q: section %q does not parse again: %v", s, u.section, err)
			}
		}
	})
}
