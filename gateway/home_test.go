package gateway

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailgate/mailgate/auth"
)

// plantedHome makes, in a 1777 directory, a home that uid 65534 planted
// as a link to a directory only root may read (the security review's
// D3), and returns the link and the directory.
func plantedHome(t *testing.T, name string) (home, victim string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the daemon, to plant another user's link")
	}
	dir := t.TempDir()
	victim = filepath.Join(dir, "victim")
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(victim, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(shared, 0o1777); err != nil {
		t.Fatal(err)
	}
	home = filepath.Join(shared, name)
	if err := os.Symlink(victim, home); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(home, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return home, victim
}

// D3 of the security review: carol's home /tmp/rs/shared/carol (a 1777
// directory) was a link planted by nobody to a root-only 0700
// directory; carol logged in and "CREATE planted" made root-owned
// INBOX/ and planted/ in that directory. A home that is a link owned by
// neither root nor the user must be refused (as fs.protected_symlinks
// does in sticky directories), and so must a home whose real directory
// belongs to someone else.
func TestPrepareHomeRefusesAPlantedLink(t *testing.T) {
	g := newTestGateway(t, "")
	home, victim := plantedHome(t, "carol")
	u := &auth.User{Name: "carol", Home: home, UID: -1, GID: -1}
	if got, err := g.prepareHome(u, nil); err == nil {
		t.Errorf("home %s, a link planted by uid 65534 to the root-only %s, was taken as carol's home (%s)", home, victim, got)
	}
	// Root's own link to a directory of someone else's is no better.
	if err := os.Lchown(home, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(victim, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if got, err := g.prepareHome(u, nil); err == nil {
		t.Errorf("home %s, root's link to uid 65534's %s, was taken as the home of carol, served as root (%s)", home, victim, got)
	}
	// The same home is carol's when her sessions run as uid 65534.
	u.UID, u.GID = 65534, 65534
	if _, err := g.prepareHome(u, nil); err != nil {
		t.Errorf("carol (uid 65534), home %s: root's link to her directory: %v", home, err)
	}
}

// Another user's home ($home of the other-users namespace) is judged as
// prepareHome judges one's own: a planted link is no home.
func TestOtherUsersHomeIsNotAPlantedLink(t *testing.T) {
	home, _ := plantedHome(t, "carol")
	usersFile := filepath.Join(t.TempDir(), "users")
	if err := auth.AddUser(usersFile, "carol", "pw-carol", &auth.UserOptions{Home: home}); err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t, "[auth]\nusers-file = \""+usersFile+"\"\n")
	if got, ok := g.homeFor("carol"); ok {
		t.Errorf("carol's home, a planted link, was given as %s", got)
	}
	if err := os.Lchown(home, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got, ok := g.homeFor("carol"); !ok || got != home {
		t.Errorf("carol's home, root's link to root's directory: %q, %v", got, ok)
	}
}

// The data directory and mailgate's own state in it are no user's home,
// whatever the user is called (a user named "acme" or "spool" gets
// <data-dir>/acme by default) or whatever home it was given.
func TestHomeIsNotTheDataDirectorysOwnState(t *testing.T) {
	g := newTestGateway(t, "")
	data := g.conf().DataDir
	for _, name := range []string{"users", "spool", "fts", "uidvalidity", "acme", ControlSocketName, auth.MockSaltKeyFile, auth.IdentRepliesFile, auth.SQLDecoyFile, auth.LDAPDecoyFile} {
		u := &auth.User{Name: name, UID: -1, GID: -1}
		if home, err := g.prepareHome(u, nil); err == nil {
			t.Errorf("user %q: got the home %s", name, home)
		}
	}
	for _, home := range []string{data, filepath.Dir(data), "/"} {
		u := &auth.User{Name: "carol", Home: home, UID: -1, GID: -1}
		if _, err := g.prepareHome(u, nil); err == nil {
			t.Errorf("home %s, which holds the data directory, was taken", home)
		}
	}
	if home, err := g.prepareHome(&auth.User{Name: "fts-user", UID: -1, GID: -1}, nil); err != nil || home != filepath.Join(data, "fts-user") {
		t.Errorf("user fts-user: home %q, %v", home, err)
	}
}
