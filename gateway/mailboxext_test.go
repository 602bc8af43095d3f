package gateway_test

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailgate/mailgate/gateway"
)

// TestSpecialUseFromConfig: [[mailbox.special-use]] reaches the user's
// LIST, and the folders marked create exist after the first login, as a
// go-imap client sees it.
func TestSpecialUseFromConfig(t *testing.T) {
	addr, password := runDir(t, t.TempDir(), `[mailbox]
[[mailbox.special-use]]
name = "Sent"
use = "Sent"
create = true
[[mailbox.special-use]]
name = "Deleted Items"
use = '\Trash'
create = true
[[mailbox.special-use]]
name = "Archive"
use = "archive"
`)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(gateway.FirstUser, password).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		got[l.Mailbox] = l.Attrs
	}
	if _, ok := got["Archive"]; ok {
		t.Errorf("Archive, not marked create, was created")
	}
	for name, use := range map[string]imap.MailboxAttr{"Sent": imap.MailboxAttrSent, "Deleted Items": imap.MailboxAttrTrash} {
		if attrs, ok := got[name]; !ok || !slices.Contains(attrs, use) {
			t.Errorf("%s: %v, want %s among the attributes (LIST %v)", name, attrs, use, got)
		}
	}
}
