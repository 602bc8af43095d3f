package gateway

import (
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// spoolGroup returns a group other than root's that a test's spool may
// belong to: group mail as root, else this process's own group.
func spoolGroup(t *testing.T) int {
	t.Helper()
	if os.Geteuid() == 0 {
		g, err := user.LookupGroup("mail")
		if err != nil {
			t.Skip("no group mail")
		}
		gid, _ := strconv.Atoi(g.Gid)
		return gid
	}
	if os.Getgid() == 0 {
		t.Skip("this process's group is root's")
	}
	return os.Getgid()
}

// TestMailGroup: which group the session and delivery processes get,
// as [mailbox] mail-group and the spool's modes say.
func TestMailGroup(t *testing.T) {
	gid := spoolGroup(t)
	tests := []struct {
		name     string
		mode     os.FileMode // of the spool; 0: no spool
		group    int         // the spool's group
		pattern  string      // mailbox-pattern
		setting  string      // mail-group
		want     int
		why, err string
	}{
		{name: "Debian", mode: 0o775 | os.ModeSetgid, group: gid, want: gid, why: "writable by its group (mode 2775)"},
		{name: "Red Hat", mode: 0o775, group: gid, want: gid, why: "(mode 0775)"},
		{name: "pattern in the spool", mode: 0o775, group: gid, pattern: "mbox:SPOOL/$user", want: gid},
		{name: "not group-writable", mode: 0o755, group: gid, want: noMailGroup, why: "not group-writable"},
		{name: "world-writable", mode: 0o777 | os.ModeSticky, group: gid, want: noMailGroup, why: "world-writable (mode 1777)"},
		{name: "group root", mode: 0o775, group: 0, want: noMailGroup, why: "group 0"},
		{name: "no spool", want: noMailGroup, why: "the mail spool"},
		{name: "INBOX elsewhere", mode: 0o775, group: gid, pattern: "maildir:$home/Maildir", want: noMailGroup, why: "not in the mail spool"},
		{name: "none", mode: 0o775, group: gid, setting: "none", want: noMailGroup, why: `"none"`},
		{name: "named", mode: 0o755, group: gid, setting: strconv.Itoa(gid), want: gid, why: "named"},
		{name: "named root", setting: "0", want: noMailGroup, err: "group 0"},
		{name: "named unknown", setting: "no-such-group-here", want: noMailGroup, err: "no group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want != noMailGroup && tc.setting == "" && os.Geteuid() != 0 {
				t.Skip(`"auto" takes only a spool owned by root`)
			}
			cfg := config.Default()
			spool := filepath.Join(t.TempDir(), "mail")
			if tc.mode != 0 {
				if err := os.Mkdir(spool, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(spool, -1, tc.group); err != nil {
					t.Skipf("cannot give the spool group %d: %v", tc.group, err)
				}
				if err := os.Chmod(spool, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			cfg.Mailbox.MailSpool = spool
			cfg.Mailbox.MailboxPattern = strings.ReplaceAll(tc.pattern, "SPOOL", spool)
			if tc.setting != "" {
				cfg.Mailbox.MailGroup = tc.setting
			}
			got, why, err := mailGroup(cfg)
			if got != tc.want || !strings.Contains(why, tc.why) || (err == nil) != (tc.err == "") ||
				err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("mailGroup = %d, %q, %v; want %d, %q, error %q", got, why, err, tc.want, tc.why, tc.err)
			}
			if ps := mailGroupProblems(cfg); (len(ps) > 0) != (tc.err != "") {
				t.Errorf("mailGroupProblems = %v; want a problem: %v", ps, tc.err != "")
			}
		})
	}
}

// TestAutoMailGroupOnOddSpools: "auto" gives no group to a spool that
// is not laid out as a mail spool (root's, group mail): not one owned by
// a user, nor one writable by staff (which may write /usr/local on
// Debian, a way to root) or users. Such a group must be named.
func TestAutoMailGroupOnOddSpools(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the spool an owner")
	}
	lookup := func(name string) int {
		g, err := user.LookupGroup(name)
		if err != nil {
			t.Skipf("no group %s", name)
		}
		gid, _ := strconv.Atoi(g.Gid)
		return gid
	}
	tests := []struct {
		name     string
		uid, gid int
		mode     os.FileMode
		why      string
	}{
		{"owned by a user, the user's group", 65534, lookup("nogroup"), 0o770, "not root"},
		{"owned by a user, group mail", 65534, lookup("mail"), 0o775 | os.ModeSetgid, "not root"},
		{"root:staff 2775", 0, lookup("staff"), 0o775 | os.ModeSetgid, "not mail"},
		{"root:users 0775", 0, lookup("users"), 0o775, "not mail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spool := filepath.Join(t.TempDir(), "mail")
			if err := os.Mkdir(spool, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(spool, tc.uid, tc.gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(spool, tc.mode); err != nil {
				t.Fatal(err)
			}
			cfg := config.Default()
			cfg.Mailbox.MailSpool = spool
			cfg.Mailbox.MailboxPattern = ""
			got, why, err := mailGroup(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got != noMailGroup || !strings.Contains(why, tc.why) || !strings.Contains(why, "name") {
				t.Errorf("spool %d:%d %v: auto gives every session group %d (%s); want none, %q, and to name it",
					tc.uid, tc.gid, tc.mode, got, why, tc.why)
			}
		})
	}
}

// TestNamedMailGroupThatMayMoreIsRefused: a mail-group that may read
// /etc/shadow (group shadow) is refused, by config check and at start.
func TestNamedMailGroupThatMayMoreIsRefused(t *testing.T) {
	g, err := user.LookupGroup("shadow")
	if err != nil {
		t.Skip("no group shadow")
	}
	gid, _ := strconv.Atoi(g.Gid)
	if what, ok := privilegedGroup(gid); !ok {
		t.Skipf("group shadow reads no secret here (%s)", what)
	}
	cfg := config.Default()
	cfg.Mailbox.MailGroup = "shadow"
	if _, _, err := mailGroup(cfg); err == nil || !strings.Contains(err.Error(), "may read /etc/shadow") {
		t.Errorf("mailGroup with group shadow: %v; want refused, naming /etc/shadow", err)
	}
	if ps := mailGroupProblems(cfg); len(ps) != 1 {
		t.Errorf("mailGroupProblems with group shadow = %v; want one problem", ps)
	}
	if what, ok := privilegedGroup(65534); ok {
		t.Errorf("nogroup may %s", what)
	}
}

// TestGroupsForMailGroup: a session's groups hold the mail group, once;
// without one (the zero Gateway), never group 0.
func TestGroupsForMailGroup(t *testing.T) {
	gid := spoolGroup(t)
	cfg := config.Default()
	g := &Gateway{}
	g.live.Store(&liveState{cfg: cfg})
	u := &auth.User{Name: "nobody-here", UID: 65534, GID: 65534}
	id := identity{uid: 65534, gid: 65534}
	groups, err := g.groupsFor(u, id)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(groups, 0) || slices.Contains(groups, gid) && gid != 65534 {
		t.Errorf("without a mail group: %v", groups)
	}
	g.mailGID = gid
	if groups, err = g.groupsFor(u, id); err != nil || !slices.Contains(groups, gid) {
		t.Errorf("with mail group %d: %v, %v", gid, groups, err)
	}
}
