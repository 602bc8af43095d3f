package imap_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// TestQuota: RFC 9208 over a socket: GETQUOTAROOT and GETQUOTA report
// STORAGE in KiB and MESSAGE; an APPEND the quota has no room for is
// refused before its literal is sent, with LITERAL+ too; COPY past the
// limit is refused and MOVE within the namespace is not; STATUS
// DELETED-STORAGE; SETQUOTA is refused.
func TestQuota(t *testing.T) {
	var env *testEnv
	env = startServer(t, func(o *imap.Options) {
		o.Account = func(_ context.Context, u *auth.User) (*storage.Account, error) {
			if err := os.MkdirAll(u.Home, 0o700); err != nil {
				return nil, err
			}
			return env.store.Account(storage.User{Name: u.Name, Home: u.Home, Quota: storage.QuotaLimits{Storage: 4000, Messages: 3}},
				&storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}), nil
		}
	})
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE") {
		t.Fatalf("capabilities %q", caps)
	}
	msg := testMessage("q", strings.Repeat("x", 900)) // about 1 KiB
	c.appendMsg("INBOX", `\Deleted`, msg)
	c.ok("c1 CREATE Box")
	c.appendMsg("Box", "", msg)
	got := c.ok("q1 GETQUOTAROOT INBOX")
	want := fmt.Sprintf(`* QUOTA "" (STORAGE %d 3 MESSAGE 2 3)`, (2*len(msg)+1023)/1024)
	if len(got) != 2 || got[0] != `* QUOTAROOT INBOX ""` || got[1] != want {
		t.Fatalf("GETQUOTAROOT: %q, want %q", got, want)
	}
	if got := c.ok(`q2 GETQUOTA ""`); len(got) != 1 || got[0] != want {
		t.Fatalf("GETQUOTA: %q", got)
	}
	if _, done := c.do(`q3 GETQUOTA "other"`); !strings.HasPrefix(done, "q3 NO [NONEXISTENT]") {
		t.Fatalf("GETQUOTA of an unknown root: %q", done)
	}
	if _, done := c.do(`q4 SETQUOTA "" (STORAGE 1)`); !strings.HasPrefix(done, "q4 NO") {
		t.Fatalf("SETQUOTA: %q", done)
	}
	if got := c.ok("s1 STATUS INBOX (DELETED DELETED-STORAGE)"); !contains(got, fmt.Sprintf("(DELETED 1 DELETED-STORAGE %d)", (len(msg)+1023)/1024)) {
		t.Fatalf("STATUS: %q", got)
	}
	// 2 KiB more does not fit in 4000 bytes: refused before the data.
	c.send("a1 APPEND INBOX {2048}")
	if l := c.line(); !strings.HasPrefix(l, "a1 NO [OVERQUOTA]") {
		t.Fatalf("synchronising APPEND over quota: %q", l)
	}
	c.send("a2 APPEND INBOX {2048+}")
	io.WriteString(c.conn, strings.Repeat("y", 2048)+"\r\n")
	if l := c.line(); !strings.HasPrefix(l, "a2 NO [OVERQUOTA]") {
		t.Fatalf("LITERAL+ APPEND over quota: %q", l)
	}
	c.ok("n NOOP")
	c.ok("s2 SELECT INBOX")
	if _, done := c.do("c2 COPY 1 Box"); done != "c2 OK [COPYUID "+done[len("c2 OK [COPYUID "):] {
		t.Fatalf("COPY within the limit: %q", done)
	}
	if _, done := c.do("c3 COPY 1 Box"); !strings.HasPrefix(done, "c3 NO [OVERQUOTA]") {
		t.Fatalf("COPY over the message limit: %q", done)
	}
	if u := c.ok("m1 MOVE 1 Box"); !contains(u, "* 1 EXPUNGE") {
		t.Fatalf("MOVE at the limit: %q", u)
	}
}

// TestMultiAppendQuota: a MULTIAPPEND is checked against the quota as a
// whole: one message too many stores none of them.
func TestMultiAppendQuota(t *testing.T) {
	var env *testEnv
	env = startServer(t, func(o *imap.Options) {
		o.Account = func(_ context.Context, u *auth.User) (*storage.Account, error) {
			os.MkdirAll(u.Home, 0o700)
			return env.store.Account(storage.User{Name: u.Name, Home: u.Home, Quota: storage.QuotaLimits{Messages: 2}},
				&storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}), nil
		}
	})
	c := env.raw()
	c.login("alice")
	m := "Subject: m\r\n\r\nx\r\n"
	lit := fmt.Sprintf("{%d+}\r\n%s", len(m), m)
	if _, done := c.do("a1 APPEND INBOX " + lit + " " + lit + " " + lit); !strings.HasPrefix(done, "a1 NO [OVERQUOTA]") {
		t.Fatalf("three messages into room for two: %q", done)
	}
	if got := c.ok("s STATUS INBOX (MESSAGES)"); !contains(got, "(MESSAGES 0)") {
		t.Fatalf("after a refused MULTIAPPEND: %q", got)
	}
	c.ok("a2 APPEND INBOX " + lit + " " + lit)
	if got := c.ok("s STATUS INBOX (MESSAGES)"); !contains(got, "(MESSAGES 2)") {
		t.Fatalf("after a MULTIAPPEND that fits: %q", got)
	}
}
