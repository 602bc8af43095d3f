package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// A user whose gid is 0 got a session process in group root: a
// users-file line "eve:HASH:65534:0:::" logged in and its session
// process ran with "Gid: 0 0 0 0, Groups: 0 65534". uid 0 is refused;
// gid 0 is too (root's group owns and may write much of a system),
// unless retain-groups names it on purpose.
func TestSessionNeverInGroupRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("session processes get an identity of their own only under root")
	}
	tests := []struct {
		name, config string
		user         auth.User
		refused      bool
		inRoot       bool // when not refused: whether the session is in group root
	}{
		{"gid 0", "", auth.User{Name: "eve", UID: 65534, GID: 0}, true, false},
		{"gid 0, retain-groups root", `retain-groups = ["root"]`, auth.User{Name: "eve", UID: 65534, GID: 0}, false, true},
		{"gid 0, retain-groups 0", `retain-groups = ["0"]`, auth.User{Name: "eve", UID: 65534, GID: 0}, false, true},
		{"gid 0, retain-groups another", `retain-groups = ["65534"]`, auth.User{Name: "eve", UID: 65534, GID: 0}, true, false},
		{"group root from retain-groups", `retain-groups = ["root"]`, auth.User{Name: "eve", UID: 65534, GID: 65534}, false, true},
		{"an ordinary gid", "", auth.User{Name: "eve", UID: 65534, GID: 65534}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGateway(t, tt.config)
			id, own, err := g.identityFor(&tt.user)
			if !own {
				t.Fatal("the session stays in the daemon")
			}
			inRoot := id.gid == 0 || slices.Contains(id.groups, 0)
			switch {
			case tt.refused && err == nil:
				t.Errorf("user %s (uid %d, gid %d): the session process would run with gid %d and groups %v",
					tt.user.Name, tt.user.UID, tt.user.GID, id.gid, id.groups)
			case tt.refused && !strings.Contains(err.Error(), "retain-groups"):
				t.Errorf("the refusal does not say how to allow it: %v", err)
			case !tt.refused && err != nil:
				t.Errorf("refused: %v", err)
			case !tt.refused && inRoot != tt.inRoot:
				t.Errorf("gid %d, groups %v: in group root %v, want %v", id.gid, id.groups, inRoot, tt.inRoot)
			}
		})
	}
}

// config check refuses a virtual-user in group root, as its primary
// group or a supplementary one, unless retain-groups names it.
func TestVirtualUserInGroupRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make the accounts")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd (Debian's passwd package) is not installed")
	}
	account := func(args ...string) string {
		b := make([]byte, 4)
		rand.Read(b)
		name := "mgg" + hex.EncodeToString(b)
		args = append([]string{"-M", "-N", "-s", "/bin/false"}, append(args, name)...)
		if out, err := exec.Command("useradd", args...).CombinedOutput(); err != nil {
			t.Fatalf("useradd: %v\n%s", err, out)
		}
		t.Cleanup(func() { exec.Command("userdel", "-f", name).Run() })
		return name
	}
	primary := account("-g", "0")
	supplementary := account("-g", "65534", "-G", "root")
	for _, tt := range []struct {
		name, text string
		refused    bool
	}{
		{"gid 0", `virtual-user = "` + primary + `"`, true},
		{"in group root", `virtual-user = "` + supplementary + `"`, true},
		{"gid 0, retained", `virtual-user = "` + primary + `"` + "\nretain-groups = [\"root\"]", false},
		{"nobody", `virtual-user = "nobody"`, false},
	} {
		cfg, err := config.Parse([]byte(tt.text+"\n"), "test.toml")
		if err != nil {
			t.Fatal(err)
		}
		ps := identityProblems(cfg)
		if got := len(ps) > 0; got != tt.refused {
			t.Errorf("%s: problems %v", tt.name, ps)
		}
		for _, p := range ps {
			if !strings.Contains(p.Error(), "group root") {
				t.Errorf("%s: %v", tt.name, p)
			}
		}
	}
}
