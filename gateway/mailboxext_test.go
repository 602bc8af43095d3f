package gateway_test

import (
	"errors"
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
	c := firstUserClient(t, addr, password)
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

// TestQuotaFromConfig: [mailbox] quota-messages limits a user of the
// users file without a quota field of their own.
func TestQuotaFromConfig(t *testing.T) {
	addr, password := runDir(t, t.TempDir(), "[mailbox]\nquota-messages = 2\nquota-storage = \"1MiB\"\n")
	c := firstUserClient(t, addr, password)
	msg := "From: a@example.org\r\nSubject: q\r\n\r\nbody\r\n"
	var last error
	for i := 0; i < 3; i++ {
		w := c.Append("INBOX", int64(len(msg)), nil)
		w.Write([]byte(msg))
		w.Close()
		_, last = w.Wait()
		if i < 2 && last != nil {
			t.Fatalf("APPEND %d: %v", i+1, last)
		}
	}
	var ie *imap.Error
	if !errors.As(last, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		t.Fatalf("third APPEND: %v, want NO [OVERQUOTA]", last)
	}
	data, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 || data[0].Resources[imap.QuotaResourceMessage].Usage != 2 ||
		data[0].Resources[imap.QuotaResourceMessage].Limit != 2 || data[0].Resources[imap.QuotaResourceStorage].Limit != 1024 {
		t.Fatalf("GETQUOTAROOT: %+v", data)
	}
}

// firstUserClient is a go-imap client logged in as the first-run user.
func firstUserClient(t *testing.T, addr, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(gateway.FirstUser, password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}
