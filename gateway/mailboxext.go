package gateway

import (
	"context"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/storage"
)

// specialUseFolders turns the [[mailbox.special-use]] tables into the
// storage core's list (validation has checked every use).
func specialUseFolders(c *config.Config) []storage.SpecialUseFolder {
	var out []storage.SpecialUseFolder
	for _, su := range c.Mailbox.SpecialUse {
		out = append(out, storage.SpecialUseFolder{Name: su.Name, Use: config.SpecialUseName(su.Use), Create: su.Create})
	}
	return out
}

// quotaLimits are a user's quota limits: their own, from the users file
// or the back-end, where they have one, else [mailbox]'s quota-storage
// and quota-messages. A negative own value means no limit.
func quotaLimits(c *config.Config, own auth.Quota) storage.QuotaLimits {
	pick := func(own, def int64) int64 {
		switch {
		case own > 0:
			return own
		case own < 0:
			return 0
		}
		return def
	}
	return storage.QuotaLimits{
		Storage:  pick(own.Storage, c.Mailbox.QuotaStorage.Bytes()),
		Messages: pick(own.Messages, c.Mailbox.QuotaMessages),
	}
}

// imapAccount opens the storage view of a user who logged in over IMAP,
// as account does, and then creates the special-use folders marked
// create that are missing, as Dovecot's auto = create does at every
// login. A folder that cannot be made is logged and the login goes on.
func (g *Gateway) imapAccount(ctx context.Context, u *auth.User) (*storage.Account, error) {
	a, err := g.account(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := a.CreateDefaultFolders(); err != nil {
		g.log.Warn("gateway: creating the default special-use folders", "user", u.Name, "err", err)
	}
	return a, nil
}
