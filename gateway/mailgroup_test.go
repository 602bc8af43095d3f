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
