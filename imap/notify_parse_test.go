package imap

import (
	"strings"
	"testing"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

// FuzzNotifySet: NOTIFY SET's event groups (RFC 5465 section 8) parse or
// are refused without a panic, and what parses is consistent: mailbox
// filters that name mailboxes have some, fetch attributes come with
// MessageNew, and the section 5 checks never panic either.
func FuzzNotifySet(f *testing.F) {
	for _, s := range []string{
		"(selected (MessageNew (UID FLAGS BODY.PEEK[HEADER]) MessageExpunge FlagChange)) (personal (MailboxName SubscriptionChange))",
		"(mailboxes (INBOX Trash) (MessageNew MessageExpunge))", "(subtree \"a b\" (FlagChange))", "(inboxes NONE)",
		"(selected-delayed (MessageNew MessageExpunge)) (subscribed (MessageNew MessageExpunge FlagChange AnnotationChange))",
		"(mailboxes {5}\r\nINBOX (MessageNew))", "(selected (MessageNew (", "((", "(personal ())",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := &session{}
		s.d = wire.NewDecoder(wire.NewReader(strings.NewReader(in + "\r\n")))
		s.d.MaxLine, s.d.MaxLiteral = 4096, 4096
		s.d.Begin()
		groups, err := s.notifyGroups()
		if err != nil {
			return
		}
		checkNotifyGroups(groups)
		for _, g := range groups {
			if (g.filter == filterSubtree || g.filter == filterMailboxes) != (len(g.names) > 0) {
				t.Fatalf("%q: filter %d with names %q", in, g.filter, g.names)
			}
			if g.fetch != nil && g.events&evMessageNew == 0 {
				t.Fatalf("%q: fetch attributes without MessageNew", in)
			}
		}
	})
}
