package config

import (
	"path/filepath"
	"unicode/utf8"
)

func (c *Config) validateMailbox(ps *problems) {
	oneOf(ps, at("mailbox", "mailbox-type"), c.Mailbox.MailboxType, TypeMbox, TypeMaildir, TypeMH)
	if c.Mailbox.MailSpool != "" && !filepath.IsAbs(c.Mailbox.MailSpool) {
		ps.add(at("mailbox", "mail-spool"), "%q is not an absolute path", c.Mailbox.MailSpool)
	}
	p := at("mailbox", "mailbox-pattern")
	if c.Mailbox.MailboxPattern == "" {
		if c.Mailbox.MailSpool == "" {
			ps.add(p, "empty, and so is mail-spool; set one of them to say where INBOX is")
		}
		return
	}
	if _, path, err := ParseMailboxPattern(c.Mailbox.MailboxPattern); err != nil {
		ps.addErr(p, err)
	} else {
		checkMailPath(ps, p, path)
	}
}

// checkMailPath checks a path that may use $user, $home and $mailhome: no
// other variables, and absolute once they are expanded.
func checkMailPath(ps *problems, p keyPath, path string) {
	for _, name := range variables(path) {
		if name != "user" && name != "home" && name != "mailhome" {
			ps.add(p, "%q uses $%s; only $user, $home and $mailhome are known", path, name)
			return
		}
	}
	if !filepath.IsAbs(Expand(path, map[string]string{"user": "u", "home": "/h", "mailhome": "/h/Mail"})) {
		ps.add(p, "%q is not an absolute path; start it with /, $home or $mailhome", path)
	}
}

func (c *Config) validateLocking(ps *problems) {
	oneOf(ps, at("locking", "type"), c.Locking.Type, LockDotlock, LockKernel, LockNull)
	notNegative(ps, at("locking", "retry-count"), c.Locking.RetryCount)
	notNegative(ps, at("locking", "retry-sleep"), c.Locking.RetrySleep)
	notNegative(ps, at("locking", "expire-timeout"), c.Locking.ExpireTimeout)
}

func (c *Config) validateNamespaces(ps *problems) {
	owner := map[string]string{} // prefix -> namespace that has it
	for _, ns := range []struct {
		name string
		ns   *Namespace
	}{{"personal", &c.Namespace.Personal}, {"other", &c.Namespace.Other}, {"shared", &c.Namespace.Shared}} {
		p := at("namespace", ns.name)
		if m := ns.ns.MailboxMode.FileMode(); m&^0o066 != 0 {
			ps.add(p.key("mailbox-mode"), "%v sets bits other than group and other read and write", m)
		}
		for i, pfx := range ns.ns.Prefixes {
			pp := p.key("prefix").index(i)
			if other, dup := owner[pfx.Prefix]; dup {
				ps.add(pp.key("prefix"), "%q is already a prefix of [namespace.%s]", pfx.Prefix, other)
			} else {
				owner[pfx.Prefix] = ns.name
			}
			if pfx.Directory == "" {
				ps.add(pp.key("directory"), "missing; say where the mailboxes of prefix %q are", pfx.Prefix)
			} else {
				checkMailPath(ps, pp.key("directory"), pfx.Directory)
			}
			if utf8.RuneCountInString(pfx.Delimiter) != 1 {
				ps.add(pp.key("delimiter"), "%q must be exactly one character", pfx.Delimiter)
			}
			if pfx.MailboxType != "" {
				oneOf(ps, pp.key("mailbox-type"), pfx.MailboxType, TypeMbox, TypeMaildir, TypeMH, "")
			}
		}
	}
}
