package gateway

// The mail group ([mailbox] mail-group).
//
// A root daemon runs each system user's session and delivery processes
// with the user's uid, gid and groups. In a mail spool laid out as
// Debian's (/var/mail root:mail 2775, each mailbox user:mail 0660) such a
// process may write the user's mailbox but may create no file beside it:
// no dot lock (USER.lock), which mailutils, procmail and mutt lock by;
// no APPEND intent, which cuts back a message that a kill cut short; no
// mailbox file for a user who has none yet. Postfix's local(8), procmail
// and mutt_dotlock (setgid mail) and Dovecot (mail_privileged_group) use
// the spool directory's group for this, and so does mailgate: the
// processes get it as a supplementary group. A group is a way into the
// spool, never to root: group 0 is refused.

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/mailgate/mailgate/config"
)

// noMailGroup is the mail group's gid when there is none: group 0, which
// is never the mail group, so that a Gateway's zero value has none.
const noMailGroup = 0

// mailGroup decides the mail group of cfg: its gid, or noMailGroup, and
// why. The error is for a mail-group that names no group, or group 0.
func mailGroup(cfg *config.Config) (gid int, why string, err error) {
	switch set := cfg.Mailbox.MailGroup; set {
	case config.MailGroupNone:
		return noMailGroup, `mail-group is "none"`, nil
	case config.MailGroupAuto, "":
	default:
		gid, err := namedMailGroup(set)
		if err != nil {
			return noMailGroup, "", fmt.Errorf("mail-group: %w", err)
		}
		return gid, "named by mail-group", nil
	}
	spool := filepath.Clean(cfg.Mailbox.MailSpool)
	if !inboxInSpool(cfg) {
		return noMailGroup, "INBOX is not in the mail spool (mailbox-pattern)", nil
	}
	fi, err := os.Stat(spool)
	if err != nil {
		return noMailGroup, fmt.Sprintf("the mail spool: %v", err), nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch mode := fi.Mode(); {
	case !ok:
		return noMailGroup, "the mail spool's group is not known on this system", nil
	case !mode.IsDir():
		return noMailGroup, fmt.Sprintf("the mail spool %s is not a directory", spool), nil
	case mode.Perm()&0o002 != 0:
		return noMailGroup, fmt.Sprintf("the mail spool %s is world-writable (mode %s): every user may create files there", spool, octal(mode)), nil
	case mode.Perm()&0o020 == 0:
		return noMailGroup, fmt.Sprintf("the mail spool %s is not group-writable (mode %s)", spool, octal(mode)), nil
	case st.Gid == 0:
		return noMailGroup, fmt.Sprintf("the mail spool %s belongs to group 0 (root), which no session gets", spool), nil
	}
	return int(st.Gid), fmt.Sprintf("the mail spool %s is writable by its group (mode %s)", spool, octal(fi.Mode())), nil
}

// octal writes a directory's mode as chmod(1) takes it: 2775.
func octal(m os.FileMode) string {
	n := uint32(m.Perm())
	for bit, v := range map[os.FileMode]uint32{os.ModeSetuid: 0o4000, os.ModeSetgid: 0o2000, os.ModeSticky: 0o1000} {
		if m&bit != 0 {
			n |= v
		}
	}
	return fmt.Sprintf("%04o", n)
}

// namedMailGroup looks up a mail-group that names a group.
func namedMailGroup(name string) (int, error) {
	gid, err := lookupGroup(name)
	if err != nil {
		return 0, err
	}
	if gid == 0 {
		return 0, fmt.Errorf("%q is group 0 (root), which no session gets; name the mail spool's own group", name)
	}
	return gid, nil
}

// inboxInSpool reports whether cfg's INBOX is a file in the mail spool:
// mailbox-pattern is empty, or names a file directly in mail-spool.
func inboxInSpool(cfg *config.Config) bool {
	if cfg.Mailbox.MailboxPattern == "" {
		return cfg.Mailbox.MailSpool != ""
	}
	_, path, err := config.ParseMailboxPattern(cfg.Mailbox.MailboxPattern)
	return err == nil && cfg.Mailbox.MailSpool != "" &&
		filepath.Dir(filepath.Clean(path)) == filepath.Clean(cfg.Mailbox.MailSpool)
}

// setMailGroup decides the mail group of a root daemon that runs
// sessions in processes of their own, and logs it once.
func (g *Gateway) setMailGroup(cfg *config.Config) error {
	g.mailGID = noMailGroup
	if os.Geteuid() != 0 || cfg.SessionProcess == config.SessionProcessNever {
		return nil
	}
	gid, why, err := mailGroup(cfg)
	if err != nil {
		return err
	}
	g.mailGID = gid
	switch {
	case gid != noMailGroup:
		g.log.Info("mailgate: session and delivery processes get the mail group", "group", groupName(gid), "gid", gid, "why", why)
	case !inboxInSpool(cfg) && cfg.Mailbox.MailGroup == config.MailGroupAuto:
		g.log.Debug("mailgate: no mail group", "why", why)
	default:
		g.log.Info("mailgate: no mail group: session and delivery processes may not create dot locks or mailboxes in the mail spool",
			"why", why, "spool", cfg.Mailbox.MailSpool)
	}
	return nil
}

// groupName names gid for the log.
func groupName(gid int) string {
	if gr, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return gr.Name
	}
	return strconv.Itoa(gid)
}

// mailGroupProblems refuses a mail-group that names no group, or group 0.
func mailGroupProblems(cfg *config.Config) []*config.Problem {
	set := cfg.Mailbox.MailGroup
	if set == config.MailGroupAuto || set == config.MailGroupNone || set == "" {
		return nil
	}
	if _, err := namedMailGroup(set); err != nil {
		return []*config.Problem{cfg.Problemf("mailbox.mail-group", "%v", err)}
	}
	return nil
}
