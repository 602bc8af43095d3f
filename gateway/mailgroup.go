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
// spool, never to root: group 0 is refused, and so is a group that may
// write a system directory or read a secret (privilegedGroup).
//
// "auto" takes the spool's group only where the spool is laid out as a
// mail spool: owned by root, group-writable, not world-writable, and its
// group named mail (Debian's /var/mail and Red Hat's /var/spool/mail
// are root:mail). A spool owned by a user, or writable by staff or
// users, would give every session that user's or group's rights; such a
// group must be named in mail-group.

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
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
	case st.Uid != 0:
		return noMailGroup, fmt.Sprintf("the mail spool %s is owned by uid %d, not root, so it is not taken for a mail spool; "+
			"name its group in mail-group if every session may have it", spool, st.Uid), nil
	case groupName(int(st.Gid)) != autoMailGroupName:
		return noMailGroup, fmt.Sprintf("the mail spool %s belongs to group %s, not %s, so it is not taken for the mail group; "+
			"name it in mail-group if every session may have it", spool, groupName(int(st.Gid)), autoMailGroupName), nil
	}
	if path, ok := privilegedGroup(int(st.Gid)); ok {
		return noMailGroup, fmt.Sprintf("the mail spool's group %s may %s, which no session gets", groupName(int(st.Gid)), path), nil
	}
	return int(st.Gid), fmt.Sprintf("the mail spool %s is root's and writable by its group (mode %s)", spool, octal(fi.Mode())), nil
}

// autoMailGroupName is the only group mail-group = "auto" takes: the mail
// spool's group on Debian and Red Hat.
const autoMailGroupName = "mail"

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
	if what, ok := privilegedGroup(gid); ok {
		return 0, fmt.Errorf("%q may %s: every session would get that; name a group that owns the mail spool and nothing else", name, what)
	}
	return gid, nil
}

// Where a group would give a session more than the mail spool: system
// directories its members may write, and files or devices they may read.
var (
	systemDirs = []string{"/", "/bin", "/boot", "/etc", "/etc/sudoers.d", "/lib", "/opt", "/root", "/sbin", "/usr",
		"/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin", "/usr/sbin",
		"/var", "/var/lib", "/var/log"}
	secretFiles   = []string{"/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/dev/mem", "/dev/kmem", "/dev/port", "/run/docker.sock", "/var/run/docker.sock"}
	secretDevices = []string{"/dev/sd?", "/dev/vd?", "/dev/xvd?", "/dev/hd?", "/dev/nvme?n?", "/dev/mmcblk?"}
)

// privilegedGroup reports whether gid may write one of systemDirs, or
// read one of secretFiles or the disks (a way to root for its members),
// and what it may do.
func privilegedGroup(gid int) (what string, ok bool) {
	check := func(path string, bit os.FileMode, verb string) bool {
		fi, err := os.Stat(path)
		if err != nil {
			return false
		}
		st, isUnix := fi.Sys().(*syscall.Stat_t)
		if isUnix && int(st.Gid) == gid && fi.Mode().Perm()&bit != 0 {
			what = verb + " " + path
			return true
		}
		return false
	}
	for _, d := range systemDirs {
		if check(d, 0o020, "write") {
			return what, true
		}
	}
	files := slices.Clone(secretFiles)
	for _, pattern := range secretDevices {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	for _, f := range files {
		if check(f, 0o040, "read") || check(f, 0o020, "write") {
			return what, true
		}
	}
	return "", false
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

// mailGroupProblems refuses a mail-group that names no group, group 0,
// or a group that may write a system directory or read a secret.
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
