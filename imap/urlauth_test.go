package imap_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

func init() {
	fuzzSeeds = append(fuzzSeeds,
		"1 GENURLAUTH \"imap://alice@h/INBOX/;UID=1;URLAUTH=authuser\" INTERNAL\r\n2 URLFETCH \"imap://alice@h/INBOX/;UID=1;URLAUTH=authuser:INTERNAL:00000000000000000000000000000000\"\r\n3 RESETKEY\r\n4 RESETKEY INBOX INTERNAL\r\n",
		"1 GENURLAUTH \"/INBOX/;UID=1;URLAUTH=anonymous\" X\r\n2 URLFETCH x y\r\n3 RESETKEY INBOX FOO\r\n4 GENURLAUTH\r\n",
	)
}

// genURL signs rump as c's user and returns the full URL.
func genURL(t *testing.T, c *rawConn, rump string) string {
	t.Helper()
	u := c.ok(`g GENURLAUTH "` + rump + `" INTERNAL`)
	if len(u) != 1 || !strings.HasPrefix(strings.ReplaceAll(u[0], `"`, ""), `* GENURLAUTH `+rump+`:INTERNAL:`) {
		t.Fatalf("GENURLAUTH %s: %q", rump, u)
	}
	return strings.Trim(strings.TrimPrefix(u[0], "* GENURLAUTH "), `"`)
}

// urlFetch returns what URLFETCH gives c for url: the literal's text, or
// "NIL".
func urlFetch(t *testing.T, c *rawConn, url string) string {
	t.Helper()
	u := c.ok(`f URLFETCH "` + url + `"`)
	first := ""
	if len(u) > 0 {
		first = strings.Replace(u[0], `"`+url+`"`, url, 1)
	}
	if !strings.HasPrefix(first, `* URLFETCH `+url+` `) {
		t.Fatalf("URLFETCH %s: %q", url, u)
	}
	rest := strings.TrimPrefix(first, `* URLFETCH `+url+` `)
	if rest == "NIL" {
		return rest
	}
	return strings.Join(u[1:], "\n")
}

// TestURLAuth: GENURLAUTH signs a URL of the user's own mail for the
// access identifier it names; URLFETCH (and CATENATE) give the part only
// to sessions that identifier admits and only while the key lives; what
// an attacker tries — another user's mailbox, a changed URL or verifier,
// an expired URL, a revoked key, submit+ URLs, another mechanism — gets
// NIL or NO, never the mail.
func TestURLAuth(t *testing.T) {
	var env *testEnv
	e := startServer(t, func(o *imap.Options) {
		account := o.Account
		o.URLAuthAccount = func(ctx context.Context, name string) (*storage.Account, error) {
			u, ok := env.users.Lookup(name)
			if !ok {
				return nil, auth.ErrBadCredentials
			}
			return account(ctx, u)
		}
	})
	env = e
	alice, bob := e.raw(), e.raw()
	alice.login("alice")
	bob.login("bob")
	if !contains(alice.ok("c CAPABILITY"), " URLAUTH") {
		t.Fatal("URLAUTH not advertised")
	}
	alice.appendMsg("INBOX", "", "Subject: secret\r\n\r\nalice's secret\r\n")
	alice.appendMsg("INBOX", "", "Subject: two\r\n\r\nsecond\r\n")
	bob.appendMsg("INBOX", "", "Subject: bob\r\n\r\nbob's own\r\n")
	base := "imap://alice@mail.example.org/INBOX/;UID=1"

	forBob := genURL(t, alice, base+";URLAUTH=user+bob")
	authUser := genURL(t, alice, base+"/;SECTION=TEXT;URLAUTH=authuser")
	anon := genURL(t, alice, base+";URLAUTH=anonymous")
	submit := genURL(t, alice, base+";URLAUTH=submit+bob")
	expired := genURL(t, alice, base+";EXPIRE=2020-01-01T00:00:00Z;URLAUTH=authuser")
	future := genURL(t, alice, base+";EXPIRE=2999-01-01T00:00:00Z;URLAUTH=authuser")
	second := genURL(t, alice, "imap://alice@mail.example.org/INBOX/;UID=2;URLAUTH=authuser")

	for _, tc := range []struct {
		who  *rawConn
		url  string
		want string // "" for the whole first message
	}{
		{bob, forBob, ""},
		{alice, forBob, "NIL"}, // user+bob admits bob alone
		{bob, authUser, "alice's secret"},
		{alice, authUser, "alice's secret"},
		{bob, anon, ""},
		{bob, submit, "NIL"}, // for a submission server only
		{alice, submit, "NIL"},
		{bob, expired, "NIL"},
		{bob, future, ""},
		// Changed after signing: another message, another access
		// identifier, another verifier, a cut verifier, another
		// mechanism, a verifier of zeros.
		{bob, strings.Replace(forBob, "UID=1", "UID=2", 1), "NIL"},
		{bob, strings.Replace(authUser, "SECTION=TEXT", "SECTION=HEADER", 1), "NIL"},
		{bob, strings.Replace(forBob, "user+bob", "authuser", 1), "NIL"},
		{bob, forBob[:len(forBob)-1] + flipHex(forBob[len(forBob)-1]), "NIL"},
		{bob, forBob[:len(forBob)-2], "NIL"},
		{bob, strings.Replace(forBob, ":INTERNAL:", ":OTHER:", 1), "NIL"},
		{bob, base + ";URLAUTH=anonymous:INTERNAL:" + strings.Repeat("0", 64), "NIL"},
		// The owner's part is the user whose keys sign it: the same
		// path under bob's name is bob's mailbox, with bob's key.
		{bob, strings.Replace(anon, "alice@", "bob@", 1), "NIL"},
		{bob, "/INBOX/;UID=1;URLAUTH=anonymous:INTERNAL:" + strings.Repeat("0", 64), "NIL"},
		{bob, "not a url", "NIL"},
	} {
		got := urlFetch(t, tc.who, tc.url)
		want := tc.want
		if want == "" {
			want = "alice's secret"
		}
		if (want == "NIL") != (got == "NIL") || !strings.Contains(got, want) {
			t.Errorf("URLFETCH %s: %q, want %q", tc.url, got, want)
		}
	}
	if got := urlFetch(t, bob, second); !strings.Contains(got, "second") {
		t.Errorf("second message: %q", got)
	}

	// GENURLAUTH signs only the user's own existing mailboxes, rumps
	// without verifier, INTERNAL.
	for _, cmd := range []string{
		`GENURLAUTH "imap://bob@mail.example.org/INBOX/;UID=1;URLAUTH=authuser" INTERNAL`,
		`GENURLAUTH "imap://alice@mail.example.org/Nowhere/;UID=1;URLAUTH=authuser" INTERNAL`,
		`GENURLAUTH "/INBOX/;UID=1;URLAUTH=authuser" INTERNAL`,
		`GENURLAUTH "` + base + `" INTERNAL`,
		`GENURLAUTH "` + forBob + `" INTERNAL`,
		`GENURLAUTH "` + base + `;URLAUTH=authuser" HMAC`,
	} {
		if u, done := alice.do("n " + cmd); !strings.HasPrefix(done, "n NO") {
			t.Errorf("%s as alice: %q %q", cmd, u, done)
		}
	}

	// CATENATE takes a URLAUTH URL of another user's, checked as
	// URLFETCH checks it.
	if l := catenate(bob, "k", `INBOX CATENATE (TEXT `+lit("Subject: fwd\r\n\r\n")+` URL "`+authUser+`")`); !strings.HasPrefix(l, "k OK") {
		t.Errorf("CATENATE with a URLAUTH URL: %q", l)
	}
	if l := catenate(bob, "k", `INBOX CATENATE (URL "`+strings.Replace(authUser, "SECTION=TEXT", "SECTION=1", 1)+`")`); !strings.HasPrefix(l, "k NO [BADURL") {
		t.Errorf("CATENATE with a changed URLAUTH URL: %q", l)
	}

	// The key file is the user's alone, and holds no verifier.
	var keyFile string
	filepath.WalkDir(filepath.Join(e.root, "alice"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == ".mailgate-urlauth-keys" {
			keyFile = p
		}
		return nil
	})
	if keyFile == "" {
		t.Fatal("no key file in alice's home")
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(keyFile)); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("key directory mode: %v %v", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(keyFile); strings.Contains(string(data), forBob[strings.LastIndex(forBob, ":")+1:]) {
		t.Error("the key file holds a verifier")
	}

	// RESETKEY revokes: the mailbox's, then everything.
	for _, bad := range []string{"RESETKEY Nowhere", "RESETKEY INBOX HMAC"} {
		if _, done := alice.do("r " + bad); !strings.HasPrefix(done, "r NO") {
			t.Errorf("%s: %q", bad, done)
		}
	}
	alice.ok("r RESETKEY INBOX INTERNAL")
	if got := urlFetch(t, bob, forBob); got != "NIL" {
		t.Errorf("after RESETKEY INBOX: %q", got)
	}
	renewed := genURL(t, alice, base+";URLAUTH=user+bob")
	if renewed == forBob {
		t.Error("RESETKEY kept the key")
	}
	if got := urlFetch(t, bob, renewed); !strings.Contains(got, "alice's secret") {
		t.Errorf("after a new GENURLAUTH: %q", got)
	}
	alice.ok("r RESETKEY")
	if got := urlFetch(t, bob, renewed); got != "NIL" {
		t.Errorf("after RESETKEY: %q", got)
	}

	// Without a way to another user's mailboxes (a session process),
	// only the session's own URLs are served.
	e2 := startServer(t, nil)
	a2, b2 := e2.raw(), e2.raw()
	a2.login("alice")
	b2.login("bob")
	a2.appendMsg("INBOX", "", "Subject: x\r\n\r\nmine\r\n")
	own := genURL(t, a2, base+";URLAUTH=authuser")
	if got := urlFetch(t, b2, own); got != "NIL" {
		t.Errorf("another user's URL without URLAuthAccount: %q", got)
	}
	if got := urlFetch(t, a2, own); !strings.Contains(got, "mine") {
		t.Errorf("own URL: %q", got)
	}
}

// flipHex returns another hexadecimal digit than c.
func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
