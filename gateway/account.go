package gateway

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/storage"
)

// layout turns the configuration's namespaces and [mailbox] into the
// storage core's Layout for a user whose mail directory ($mailhome) is
// mailHome.
func (g *Gateway) layout(mailHome string) *storage.Layout {
	c := g.conf()
	vars := map[string]string{"mailhome": mailHome}
	l := &storage.Layout{
		Personal:    namespace(c.Namespace.Personal, vars),
		Shared:      namespace(c.Namespace.Shared, vars),
		DefaultType: string(c.Mailbox.MailboxType),
		LookupHome:  g.homeFor,
		SpecialUse:  specialUseFolders(c),
	}
	// The other users are users of the users file, whose mail directory
	// is their home.
	l.Other = namespace(c.Namespace.Other, map[string]string{"mailhome": "$home"})
	if c.Mailbox.MailboxPattern != "" {
		l.Inbox = config.Expand(c.Mailbox.MailboxPattern, vars)
	} else {
		// The spool holds one mbox file per user, as mail delivery
		// programs write it.
		l.Inbox = "mbox:" + c.Mailbox.MailSpool + "/$user"
	}
	return l
}

func namespace(ns config.Namespace, vars map[string]string) storage.Namespace {
	out := storage.Namespace{Mode: ns.MailboxMode.FileMode()}
	for _, p := range ns.Prefixes {
		out.Prefixes = append(out.Prefixes, storage.Prefix{
			Prefix:    p.Prefix,
			Delimiter: p.Delimiter,
			Directory: config.Expand(p.Directory, vars),
			Type:      string(p.MailboxType),
		})
	}
	return out
}

// account opens the storage view of a user who has logged in: a system
// account (the system and pam back-ends) as systemAccount does; any other
// user (users file, virtdomain, sql, ldap, radius) in its home, created
// first when the configuration says so (create-home-dir, with
// home-dir-mode and, as root, owned by the user's uid and gid), which is
// its mail directory.
func (g *Gateway) account(ctx context.Context, u *auth.User) (*storage.Account, error) {
	if u.System {
		return g.systemAccount(ctx, u)
	}
	// A home the root daemon makes here (at an LMTP RCPT, for the control
	// socket) is the owner's whose sessions will use it, as the one a
	// session process's master makes (sessionProcesses.Takes).
	home, err := g.prepareHome(u, g.sessionOwner(u))
	if err != nil {
		return nil, err
	}
	su := storageUser(u, home)
	su.Quota = quotaLimits(g.conf(), u.Quota)
	return g.store.Account(su, g.layout(home)), nil
}

// prepareHome returns the home of a user who is not a system account,
// creating it first when the configuration says so (create-home-dir,
// with home-dir-mode and, as root, owned by the user's uid and gid). A
// session process's master calls it as root, before the session takes on
// the user's identity. A system account's home is returned as it is.
//
// owner, when not nil, is the identity the session will run with: the
// owner of a home made for a user without a uid of its own (virtual-user).
//
// A home is refused when a link on the way to it belongs to neither root
// nor the home's owner, or when it is reached through a link and belongs
// to someone else (auth.CheckHome): whoever may write a directory on the
// way must not choose where the session, perhaps root, works.
func (g *Gateway) prepareHome(u *auth.User, owner *identity) (string, error) {
	if u.System {
		return u.Home, nil
	}
	home := u.Home
	if home == "" {
		home = g.defaultHome(u.Name)
	}
	uid, gid := homeIDs(u, owner)
	err := g.checkHome(home, uid)
	if err == nil {
		return home, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	c := g.conf() // one configuration: a reload cannot pair create-home-dir with another home-dir-mode
	if !c.CreateHomeDir && !g.isDataDirHome(home) {
		return "", fmt.Errorf("home directory %s does not exist (set create-home-dir = true to create it)", home)
	}
	if err := auth.CreateHome(home, auth.NewHome{Mode: c.HomeDirMode.FileMode(), UID: uid, GID: gid, Below: c.DataDir}); err != nil {
		return "", err
	}
	return home, nil
}

// checkHome reports whether home may be the home of a user whose files
// belong to uid (homeIDs): not mailgate's own state, and reached only
// through links that auth.CheckHome accepts. A missing home is an error
// wrapping fs.ErrNotExist.
func (g *Gateway) checkHome(home string, uid int) error {
	c := g.conf()
	clean := filepath.Clean(home)
	if under(c.DataDir, clean) {
		return fmt.Errorf("home %s holds the data directory %s: give the user another home", home, c.DataDir)
	}
	own := []string{c.UsersFile(), c.ACMEStorage(), ControlSocket(c.DataDir)}
	for _, name := range []string{"spool", "fts", "uidvalidity", auth.MockSaltKeyFile, auth.IdentRepliesFile, auth.SQLDecoyFile, auth.LDAPDecoyFile} {
		own = append(own, filepath.Join(c.DataDir, name))
	}
	for _, name := range []string{c.UsersFile(), filepath.Join(c.DataDir, auth.IdentRepliesFile),
		filepath.Join(c.DataDir, auth.SQLDecoyFile), filepath.Join(c.DataDir, auth.LDAPDecoyFile)} {
		own = append(own, name+".lock") // their lock files (lockPath)
	}
	if slices.Contains(own, clean) {
		return fmt.Errorf("home %s is mailgate's own state in the data directory: give the user another home (or name)", home)
	}
	return auth.CheckHome(home, auth.HomeOwner(uid))
}

// under reports whether path is dir or below it, by their names.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator)) || dir == "/"
}

// sessionOwner is the identity u's sessions run with when the daemon is
// root and it is not the daemon's own, or nil.
func (g *Gateway) sessionOwner(u *auth.User) *identity {
	if id, own, err := g.ownIdentity(u); err == nil && own {
		return &id
	}
	return nil
}

// homeIDs are the uid and gid that u's home belongs to, -1 for the
// process's own: the user's when it has a uid, owner's (virtual-user)
// when the daemon is root.
func homeIDs(u *auth.User, owner *identity) (uid, gid int) {
	if u.UID >= 0 {
		su := storageUser(u, "")
		return su.UID, su.GID
	}
	if owner != nil && os.Geteuid() == 0 {
		return owner.uid, owner.gid
	}
	return -1, -1
}

// systemAccount opens the storage view of a system account (the user
// that --preauth serves). Its home is a real home, holding far more than
// mail, so its mail directory is $home/Mail: nothing is listed from the
// home itself or created in it. The home must exist; the mail directory
// is made when a mailbox is first created.
func (g *Gateway) systemAccount(_ context.Context, u *auth.User) (*storage.Account, error) {
	if u.Home == "" || !filepath.IsAbs(u.Home) {
		return nil, fmt.Errorf("user %s has no home directory", u.Name)
	}
	if err := auth.CheckHome(u.Home, auth.HomeOwner(u.UID)); err != nil {
		return nil, fmt.Errorf("home directory of %s: %w", u.Name, err)
	}
	su := storageUser(u, u.Home)
	su.Quota = quotaLimits(g.conf(), u.Quota)
	return g.store.Account(su, g.layout(filepath.Join(u.Home, "Mail"))), nil
}

// storageUser is u as the storage core knows it, living in home.
func storageUser(u *auth.User, home string) storage.User {
	su := storage.User{Name: u.Name, Home: home}
	if u.UID >= 0 {
		su.HasIDs, su.UID, su.GID = true, u.UID, u.GID
		if u.GID < 0 {
			su.GID = os.Getegid()
		}
	}
	return su
}

// isDataDirHome reports whether home is a default home in the data
// directory, which mailgate owns and always creates.
func (g *Gateway) isDataDirHome(home string) bool {
	return strings.HasPrefix(filepath.Clean(home), g.conf().DataDir+string(filepath.Separator))
}
