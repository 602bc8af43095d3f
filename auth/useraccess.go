package auth

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
)

// UserAccess refuses users after they authenticated, as the seed's
// allow-users, deny-users, allow-groups and deny-groups do. The rules
// are checked as sshd checks its own: deny-users, allow-users,
// deny-groups, then allow-groups; a user named by a deny list is
// refused; when an allow list is not empty, a user it does not name is
// refused. A nil *UserAccess allows everyone.
//
// A user's groups are those of its uid's system account (its primary
// group and its supplementary groups, from the system's group database
// through os/user), or only its gid when its uid has no account. A user
// with neither (a users-file user whose uid and gid are empty) is in no
// group: allow-groups refuses it. Groups may be named or given by number.
type UserAccess struct {
	AllowUsers, DenyUsers   []string
	AllowGroups, DenyGroups []string
	// Groups returns a user's group names and numbers; the system's
	// when nil. Tests set it.
	Groups func(u *User) []string
}

// Check returns nil when u may log in, or an error wrapping
// ErrAccessDenied that says which rule refused it.
func (a *UserAccess) Check(u *User) error {
	if a == nil || u == nil {
		return nil
	}
	switch {
	case slices.Contains(a.DenyUsers, u.Name):
		return fmt.Errorf("%w: user %q is in deny-users", ErrAccessDenied, u.Name)
	case len(a.AllowUsers) > 0 && !slices.Contains(a.AllowUsers, u.Name):
		return fmt.Errorf("%w: user %q is not in allow-users", ErrAccessDenied, u.Name)
	}
	if len(a.DenyGroups) == 0 && len(a.AllowGroups) == 0 {
		return nil
	}
	groups := a.Groups
	if groups == nil {
		groups = systemGroups
	}
	in := groups(u)
	for _, g := range a.DenyGroups {
		if slices.Contains(in, g) {
			return fmt.Errorf("%w: user %q is in group %q of deny-groups", ErrAccessDenied, u.Name, g)
		}
	}
	if len(a.AllowGroups) > 0 && !slices.ContainsFunc(a.AllowGroups, func(g string) bool { return slices.Contains(in, g) }) {
		return fmt.Errorf("%w: user %q is in no group of allow-groups", ErrAccessDenied, u.Name)
	}
	return nil
}

// systemGroups returns the names and numbers of u's groups, from the
// system's user and group databases.
func systemGroups(u *User) []string {
	var gids []string
	if u.UID >= 0 {
		if acct, err := user.LookupId(strconv.Itoa(u.UID)); err == nil {
			gids, _ = acct.GroupIds()
			gids = append(gids, acct.Gid)
		}
	}
	if u.GID >= 0 {
		gids = append(gids, strconv.Itoa(u.GID))
	}
	var out []string
	for _, gid := range gids {
		if slices.Contains(out, gid) {
			continue
		}
		out = append(out, gid)
		if g, err := user.LookupGroupId(gid); err == nil {
			out = append(out, g.Name)
		}
	}
	return out
}
