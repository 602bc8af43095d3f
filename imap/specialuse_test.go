package imap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
	"github.com/mailgate/mailgate/storage"
)

// TestSpecialUse: RFC 6154 over a socket. Configured folders exist after
// login and carry their attribute in every LIST; CREATE ... (USE (...))
// stores one, refuses an unknown one with [USEATTR], and LIST
// (SPECIAL-USE) selects only such mailboxes.
func TestSpecialUse(t *testing.T) {
	env := startServerLayout(t, func(_ string, l *storage.Layout) {
		l.SpecialUse = []storage.SpecialUseFolder{
			{Name: "Sent", Use: storage.UseSent, Create: true},
			{Name: "Junk", Use: storage.UseJunk, Create: true},
			{Name: "Archive", Use: storage.UseArchive},
		}
	}, func(o *imap.Options) {
		open := o.Account
		o.Account = func(ctx context.Context, u *auth.User) (*storage.Account, error) {
			a, err := open(ctx, u)
			if err == nil {
				err = a.CreateDefaultFolders()
			}
			return a, err
		}
	})
	c := env.raw()
	c.login("alice")
	if caps := c.ok("c CAPABILITY"); !contains(caps, " SPECIAL-USE CREATE-SPECIAL-USE") {
		t.Fatalf("capabilities %q", caps)
	}
	c.ok(`c1 CREATE Drafts (USE (\Drafts))`)
	if _, done := c.do(`c2 CREATE Important (USE (\Important))`); !strings.HasPrefix(done, "c2 NO [USEATTR]") {
		t.Fatalf("unknown use: %q", done)
	}
	if _, done := c.do(`c3 CREATE X (COLOR (red))`); !strings.HasPrefix(done, "c3 BAD") {
		t.Fatalf("unknown parameter: %q", done)
	}
	c.ok("c4 CREATE Other")
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{`LIST "" %`, []string{
			`* LIST (\HasNoChildren) "/" INBOX`,
			`* LIST (\HasNoChildren \Drafts) "/" Drafts`,
			`* LIST (\HasNoChildren \Junk) "/" Junk`,
			`* LIST (\HasNoChildren) "/" Other`,
			`* LIST (\HasNoChildren \Sent) "/" Sent`,
		}},
		{`LIST (SPECIAL-USE) "" *`, []string{
			`* LIST (\HasNoChildren \Drafts) "/" Drafts`,
			`* LIST (\HasNoChildren \Junk) "/" Junk`,
			`* LIST (\HasNoChildren \Sent) "/" Sent`,
		}},
	} {
		if got := c.ok("l " + tc.cmd); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.cmd, got, tc.want)
		}
	}
	c.ok("r RENAME Drafts Old/Drafts")
	if got := c.ok(`l LIST "" Old/*`); !contains(got, `* LIST (\HasNoChildren \Drafts) "/" Old/Drafts`) {
		t.Errorf("after RENAME: %q", got)
	}
}
