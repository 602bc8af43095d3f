package gateway

import (
	"context"
	"fmt"
	"os"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/storage"
)

// layout turns the configuration's namespaces and [mailbox] into the
// storage core's Layout.
func (g *Gateway) layout() *storage.Layout {
	c := g.cfg
	l := &storage.Layout{
		Personal:    namespace(c.Namespace.Personal),
		Other:       namespace(c.Namespace.Other),
		Shared:      namespace(c.Namespace.Shared),
		DefaultType: string(c.Mailbox.MailboxType),
		LookupHome:  g.homeFor,
	}
	if c.Mailbox.MailboxPattern != "" {
		l.Inbox = c.Mailbox.MailboxPattern
	} else {
		// The spool holds one mbox file per user, as mail delivery
		// programs write it.
		l.Inbox = "mbox:" + c.Mailbox.MailSpool + "/$user"
	}
	return l
}

func namespace(ns config.Namespace) storage.Namespace {
	out := storage.Namespace{Mode: ns.MailboxMode.FileMode()}
	for _, p := range ns.Prefixes {
		out.Prefixes = append(out.Prefixes, storage.Prefix{
			Prefix:    p.Prefix,
			Delimiter: p.Delimiter,
			Directory: p.Directory,
			Type:      string(p.MailboxType),
		})
	}
	return out
}

// account opens the storage view of a user who has logged in, creating
// the home directory first when the configuration says so.
func (g *Gateway) account(_ context.Context, u *auth.User) (*storage.Account, error) {
	home := u.Home
	if home == "" {
		home = g.defaultHome(u.Name)
	}
	if _, err := os.Stat(home); os.IsNotExist(err) {
		if !g.cfg.CreateHomeDir && !g.isDataDirHome(home) {
			return nil, fmt.Errorf("home directory %s does not exist (set create-home-dir = true to create it)", home)
		}
		if err := os.MkdirAll(home, g.cfg.HomeDirMode.FileMode()); err != nil {
			return nil, fmt.Errorf("creating home directory: %w", err)
		}
	}
	su := storage.User{Name: u.Name, Home: home}
	if u.UID >= 0 {
		su.HasIDs, su.UID, su.GID = true, u.UID, u.GID
		if u.GID < 0 {
			su.GID = os.Getegid()
		}
	}
	return g.store.Account(su, g.layout()), nil
}

// isDataDirHome reports whether home is a default home in the data
// directory, which mailgate owns and always creates.
func (g *Gateway) isDataDirHome(home string) bool {
	return len(home) > len(g.cfg.DataDir) && home[:len(g.cfg.DataDir)] == g.cfg.DataDir
}
