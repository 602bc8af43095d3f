package imap_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailgate/mailgate/imap"
)

// UTF8=ACCEPT (RFC 6855): after ENABLE, names travel in UTF-8 both ways
// while an IMAP4rev1 session sees the same mailbox in modified UTF-7;
// wildcards match characters; SEARCH CHARSET is refused; APPEND takes
// the UTF8 (literal8) form.
func TestUTF8Accept(t *testing.T) {
	env := startServer(t, nil)
	old := env.raw()
	old.login("alice")
	old.ok(`c0 CREATE "Entw&APw-rfe"`)
	old.ok(`c00 CREATE "Entw&APw-rfe/&ZeVnLA-"`)

	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " UTF8=ACCEPT") {
		t.Fatalf("capabilities %q", caps)
	}
	if u := c.ok("e1 ENABLE UTF8=ACCEPT"); !contains(u, "* ENABLED UTF8=ACCEPT") {
		t.Fatalf("ENABLE: %q", u)
	}
	u := c.ok(`l1 LIST "" "*"`)
	for _, want := range []string{`"/" "Entwürfe"`, `"/" "Entwürfe/日本"`} {
		if !contains(u, want) {
			t.Fatalf("LIST: %q lacks %q", u, want)
		}
	}
	if u := c.ok(`l2 LIST "" "*本"`); len(u) != 1 || !contains(u, `"Entwürfe/日本"`) {
		t.Fatalf("LIST *本: %q", u)
	}
	if u := c.ok(`l3 LIST "" "Entw%rfe"`); len(u) != 1 {
		t.Fatalf("LIST Entw%%rfe: %q", u)
	}
	c.ok(`c1 CREATE "Ärger & Co"`)
	if u := old.ok(`l4 LIST "" "*"`); !contains(u, `"&AMQ-rger &- Co"`) {
		t.Fatalf("IMAP4rev1 view of a name made in UTF-8: %q", u)
	}
	if u := c.ok(`s1 STATUS "Entwürfe/日本" (MESSAGES)`); !contains(u, `* STATUS "Entwürfe/日本" (MESSAGES 0)`) {
		t.Fatalf("STATUS: %q", u)
	}
	if _, done := c.do(`s2 STATUS "bad` + "\xff" + `" (MESSAGES)`); !strings.HasPrefix(done, "s2 NO") {
		t.Fatalf("invalid UTF-8 name: %q", done)
	}

	msg := "Subject: caf\xc3\xa9\r\nFrom: j\xc3\xb6rg@example.org\r\n\r\nhello\r\n"
	c.send(fmt.Sprintf(`a1 APPEND "Entwürfe" (\Seen) UTF8 (~{%d}`, len(msg)))
	if l := c.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("APPEND UTF8: %q", l)
	}
	io.WriteString(c.conn, msg+")\r\n")
	for l := c.line(); !strings.HasPrefix(l, "a1 "); l = c.line() {
	}
	c.ok(`sel SELECT "Entwürfe"`)
	if u := c.ok("f1 FETCH 1 (FLAGS BODY.PEEK[])"); !contains(u, "caf\xc3\xa9") {
		t.Fatalf("FETCH after APPEND UTF8: %q", u)
	}
	if u := c.ok("sr SEARCH SUBJECT café"); !contains(u, "* SEARCH 1") {
		t.Fatalf("SEARCH in UTF-8: %q", u)
	}
	if _, done := c.do("sr2 SEARCH CHARSET UTF-8 ALL"); !strings.HasPrefix(done, "sr2 BAD") {
		t.Fatalf("SEARCH CHARSET after UTF8=ACCEPT: %q", done)
	}
	if _, done := old.do("sr3 SELECT Entw&APw-rfe"); !strings.HasPrefix(done, "sr3 OK") {
		t.Fatalf("IMAP4rev1 SELECT: %q", done)
	}
	// Before ENABLE, a name with 8-bit bytes can only be UTF-8.
	if u := old.ok(`sr4 STATUS "Entwürfe" (MESSAGES)`); !contains(u, `* STATUS Entw&APw-rfe (MESSAGES 1)`) {
		t.Fatalf("IMAP4rev1 STATUS of a UTF-8 name: %q", u)
	}
	if _, done := old.do(`sr5 STATUS "Entw` + "\xff" + `" (MESSAGES)`); !strings.HasPrefix(done, "sr5 NO [CANNOT]") {
		t.Fatalf("IMAP4rev1 STATUS of invalid UTF-8: %q", done)
	}
}

// IMAP4rev2 (RFC 9051), when offered: ENABLE IMAP4rev2 turns off \Recent,
// answers SEARCH with ESEARCH, sends a LIST response and [CLOSED] in
// SELECT, and UTF-8 names; an IMAP4rev1 session keeps RECENT and LSUB.
func TestIMAP4rev2Session(t *testing.T) {
	env := startServer(t, func(o *imap.Options) { o.IMAP4rev2 = true })
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, "CAPABILITY IMAP4rev1 IMAP4rev2 ") {
		t.Fatalf("capabilities %q", caps)
	}
	c.appendMsg("INBOX", "", testMessage("one", "first"))
	if u := c.ok("e1 ENABLE IMAP4rev2"); !contains(u, "* ENABLED IMAP4rev2") {
		t.Fatalf("ENABLE: %q", u)
	}
	c.ok(`c0 CREATE "Brouillons/été"`)
	u := c.ok("s1 SELECT INBOX")
	if contains(u, "RECENT") || contains(u, "[UNSEEN") || !contains(u, `* LIST () "/" INBOX`) {
		t.Fatalf("SELECT: %q", u)
	}
	// Nothing is recent to a rev2 session, whichever way it asks.
	if u := c.ok("r1 SEARCH RECENT"); len(u) != 1 || u[0] != `* ESEARCH (TAG "r1")` {
		t.Fatalf("SEARCH RECENT: %q", u)
	}
	if u := c.ok("r2 SEARCH OLD"); !contains(u, `* ESEARCH (TAG "r2") ALL 1`) {
		t.Fatalf("SEARCH OLD: %q", u)
	}
	if u := c.ok("r3 STATUS INBOX (RECENT MESSAGES)"); !contains(u, `* STATUS INBOX (RECENT 0 MESSAGES 1)`) {
		t.Fatalf("STATUS RECENT: %q", u)
	}
	if u := c.ok("f1 FETCH 1 FLAGS"); contains(u, `\Recent`) {
		t.Fatalf("FETCH: %q", u)
	}
	if u := c.ok("f2 FETCH 1 (BINARY.SIZE[] BINARY.PEEK[1])"); !contains(u, "BINARY.SIZE[] ") || !contains(u, "BINARY[1] ") {
		t.Fatalf("FETCH BINARY: %q", u)
	}
	if u := c.ok("s2 SEARCH ALL"); !contains(u, `* ESEARCH (TAG "s2") ALL 1`) {
		t.Fatalf("SEARCH: %q", u)
	}
	if u := c.ok("s3 UID SEARCH DELETED"); len(u) != 1 || u[0] != `* ESEARCH (TAG "s3") UID` {
		t.Fatalf("UID SEARCH with no match: %q", u)
	}
	if u := c.ok(`s4 SELECT "Brouillons/été"`); !contains(u, "* OK [CLOSED]") || !contains(u, `* LIST () "/" "Brouillons/été"`) {
		t.Fatalf("second SELECT: %q", u)
	}
	if _, done := c.do("s5 CREATE INBOX"); !strings.HasPrefix(done, "s5 NO [ALREADYEXISTS]") {
		t.Fatalf("CREATE INBOX: %q", done)
	}
	if _, done := c.do("s6 SELECT nosuch"); !strings.HasPrefix(done, "s6 NO [NONEXISTENT]") {
		t.Fatalf("SELECT nosuch: %q", done)
	}
	if _, done := c.do(`s7 DELETE "Brouillons"`); !strings.HasPrefix(done, "s7 NO [HASCHILDREN]") {
		t.Fatalf("DELETE of a level with children: %q", done)
	}

	r1 := env.raw()
	r1.login("alice")
	r1.ok("x1 SUBSCRIBE INBOX")
	if u := r1.ok("x2 SELECT INBOX"); !contains(u, " RECENT") || !contains(u, "* OK [UNSEEN 1]") || contains(u, "* LIST") {
		t.Fatalf("IMAP4rev1 SELECT: %q", u)
	}
	if u := r1.ok(`x3 LSUB "" "*"`); !contains(u, `* LSUB () "/" INBOX`) {
		t.Fatalf("IMAP4rev1 LSUB: %q", u)
	}
	if u := r1.ok("x4 SEARCH ALL"); !contains(u, "* SEARCH 1") {
		t.Fatalf("IMAP4rev1 SEARCH: %q", u)
	}
}

// Without the IMAP4rev2 option, ENABLE IMAP4rev2 enables nothing.
func TestIMAP4rev2NotOffered(t *testing.T) {
	env := startServer(t, func(o *imap.Options) { o.IMAP4rev2 = false })
	c := env.raw()
	c.login("alice")
	if u := c.ok("e1 ENABLE IMAP4rev2"); !contains(u, "* ENABLED") || contains(u, "IMAP4rev2") {
		t.Fatalf("ENABLE: %q", u)
	}
	if u := c.ok("s1 SELECT INBOX"); !contains(u, " RECENT") {
		t.Fatalf("SELECT: %q", u)
	}
}

// go-imap's client speaks IMAP4rev2 with us, as a real rev2 client: it
// enables it, makes and lists a UTF-8 name, appends, searches (ESEARCH
// answers), fetches flags without \Recent and EMAILID, and reads
// STATUS.
func TestIMAP4rev2WithImapclient(t *testing.T) {
	env := startServer(t, func(o *imap.Options) { o.IMAP4rev2 = true })
	c := loggedInClient(t, env.addr)
	if !c.Caps().Has(goimap.CapIMAP4rev2) {
		t.Fatalf("capabilities %v", c.Caps())
	}
	en, err := c.Enable(goimap.CapIMAP4rev2).Wait()
	if err != nil || !en.Caps.Has(goimap.CapIMAP4rev2) {
		t.Fatalf("ENABLE: %v, %v", en, err)
	}
	const name = "Entwürfe 日本"
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range boxes {
		found = found || b.Mailbox == name
	}
	if !found {
		t.Fatalf("LIST: %v", boxes)
	}
	msg := testMessage("rev2", "body")
	ap := c.Append(name, int64(len(msg)), nil)
	io.WriteString(ap, msg)
	ap.Close()
	if _, err := ap.Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(name, nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("SELECT: %+v, %v", sel, err)
	}
	sd, err := c.UIDSearch(&goimap.SearchCriteria{Header: []goimap.SearchCriteriaHeaderField{{Key: "Subject", Value: "rev2"}}}, nil).Wait()
	if err != nil || len(sd.AllUIDs()) != 1 {
		t.Fatalf("UID SEARCH: %+v, %v", sd, err)
	}
	msgs, err := c.Fetch(goimap.SeqSetNum(1), &goimap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("FETCH: %v, %v", msgs, err)
	}
	for _, f := range msgs[0].Flags {
		if f == `\Recent` {
			t.Fatalf("\\Recent sent to an IMAP4rev2 session: %v", msgs[0].Flags)
		}
	}
	st, err := c.Status(name, &goimap.StatusOptions{NumMessages: true, Size: true, NumDeleted: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != 1 || st.Mailbox != name {
		t.Fatalf("STATUS: %+v, %v", st, err)
	}
}

// go-imap's client sends UTF-8 names to a server that advertises
// IMAP4rev2 even before it enables it; such a session is IMAP4rev1 and
// hears modified UTF-7, which the client decodes.
func TestIMAP4rev2ImapclientWithoutEnable(t *testing.T) {
	env := startServer(t, func(o *imap.Options) { o.IMAP4rev2 = true })
	c := loggedInClient(t, env.addr)
	const name = "Ça va"
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(boxes, func(b *goimap.ListData) bool { return b.Mailbox == name }) {
		t.Fatalf("LIST: %v", boxes)
	}
	if _, err := c.Select(name, nil).Wait(); err != nil {
		t.Fatal(err)
	}
}

// A SEARCH string without CHARSET is UTF-8 (RFC 9051 section 6.4.4):
// go-imap's client sends one so to any server that advertises
// IMAP4rev2, enabled or not, and both kinds of session must match it
// against decoded headers and bodies.
func TestIMAP4rev2SearchUTF8WithoutCharset(t *testing.T) {
	env := startServer(t, nil)
	r := env.raw()
	r.login("alice")
	r.appendMsg("INBOX", "", "From: a@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Wien\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSchöne Grüße\r\n")
	r.appendMsg("INBOX", "", testMessage("plain", "nothing"))
	for _, rev2 := range []bool{false, true} {
		c := loggedInClient(t, env.addr)
		if rev2 {
			if _, err := c.Enable(goimap.CapIMAP4rev2).Wait(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		for _, crit := range []*goimap.SearchCriteria{
			{Header: []goimap.SearchCriteriaHeaderField{{Key: "Subject", Value: "grüße"}}},
			{Body: []string{"Schöne"}},
		} {
			sd, err := c.Search(crit, nil).Wait()
			if err != nil || !slices.Equal(sd.AllSeqNums(), []uint32{1}) {
				t.Errorf("rev2=%v SEARCH %+v: %v, %v", rev2, crit, sd, err)
			}
		}
	}
}

// loggedInClient is go-imap's client, logged in as alice; it is closed
// when the test ends.
func loggedInClient(t *testing.T, addr string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}
