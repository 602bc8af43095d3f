package gateway

import (
	"context"
	"errors"

	"github.com/mailgate/mailgate/storage"
)

// errURLAuthElsewhere: a session process runs with its own user's
// identity and cannot open another user's mail.
var errURLAuthElsewhere = errors.New("urlauth: another user's mailboxes are out of this session process's reach")

// urlauthAccount opens the mailboxes of the owner of a URLAUTH URL that
// another user's session fetches (imap.Options.URLAuthAccount; RFC 4467
// URLFETCH): the owner is named through the back-ends that can name a
// user without a password, as LMTP finds recipients. Only sessions in
// the daemon's own process can; in a session process the URL gives NIL.
func (g *Gateway) urlauthAccount(ctx context.Context, name string) (*storage.Account, error) {
	if g.parent != nil {
		return nil, errURLAuthElsewhere
	}
	u, err := g.cur().authn.Identify(ctx, name)
	if err != nil {
		return nil, err
	}
	return g.account(ctx, u)
}
