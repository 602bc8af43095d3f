package auth

import (
	"errors"
	"os"
	"os/user"
	"slices"
	"strconv"
	"testing"
)

func TestUserAccess(t *testing.T) {
	groups := func(u *User) []string {
		return map[string][]string{"alice": {"100", "users", "27", "sudo"}, "bob": {"100", "users"}}[u.Name]
	}
	for _, tc := range []struct {
		name   string
		access *UserAccess
		user   string
		ok     bool
	}{
		{"nil allows", nil, "alice", true},
		{"empty allows", &UserAccess{}, "alice", true},
		{"deny-users", &UserAccess{DenyUsers: []string{"alice"}}, "alice", false},
		{"deny-users other", &UserAccess{DenyUsers: []string{"alice"}}, "bob", true},
		{"allow-users", &UserAccess{AllowUsers: []string{"bob"}}, "alice", false},
		{"allow-users listed", &UserAccess{AllowUsers: []string{"bob"}}, "bob", true},
		{"deny-groups by name", &UserAccess{DenyGroups: []string{"sudo"}}, "alice", false},
		{"deny-groups by number", &UserAccess{DenyGroups: []string{"27"}}, "alice", false},
		{"allow-groups", &UserAccess{AllowGroups: []string{"sudo"}}, "bob", false},
		{"allow-groups member", &UserAccess{AllowGroups: []string{"users"}}, "bob", true},
		{"deny before allow", &UserAccess{AllowUsers: []string{"alice"}, DenyGroups: []string{"sudo"}}, "alice", false},
		{"no groups", &UserAccess{AllowGroups: []string{"users"}}, "carol", false},
	} {
		if tc.access != nil {
			tc.access.Groups = groups
		}
		err := tc.access.Check(&User{Name: tc.user, UID: -1, GID: -1})
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrAccessDenied)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// The system's groups of the user running the test, through os/user.
func TestSystemGroups(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(me.Gid)
	if err != nil {
		t.Skip(err)
	}
	in := systemGroups(&User{Name: me.Username, UID: os.Getuid(), GID: -1})
	if !slices.Contains(in, me.Gid) || !slices.Contains(in, g.Name) {
		t.Errorf("groups of uid %d: %q, want %s and %s", os.Getuid(), in, me.Gid, g.Name)
	}
	if in := systemGroups(&User{Name: "x", UID: -1, GID: 4242}); !slices.Contains(in, strconv.Itoa(4242)) {
		t.Errorf("gid only: %q", in)
	}
}
