package config

import (
	"path/filepath"
	"strings"
	"unicode/utf8"
)

func (c *Config) validateMailbox(ps *problems) {
	oneOf(ps, at("mailbox", "mailbox-type"), c.Mailbox.MailboxType, TypeMbox, TypeMaildir, TypeMH)
	if c.Mailbox.MailSpool != "" && !filepath.IsAbs(c.Mailbox.MailSpool) {
		ps.add(at("mailbox", "mail-spool"), "%q is not an absolute path", c.Mailbox.MailSpool)
	}
	if c.Mailbox.MailGroup == "" {
		ps.add(at("mailbox", "mail-group"), "empty; say %q, %q or a group name or number", MailGroupAuto, MailGroupNone)
	}
	c.validateSpecialUse(ps)
	notNegative(ps, at("mailbox", "quota-messages"), c.Mailbox.QuotaMessages)
	notNegative(ps, at("mailbox", "mh-keep-expunged"), c.Mailbox.MHKeepExpunged)
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

// specialUses are RFC 6154's special-use attributes, without their
// backslash.
var specialUses = []string{"All", "Archive", "Drafts", "Flagged", "Junk", "Sent", "Trash"}

// SpecialUseName returns the RFC 6154 attribute that a
// [[mailbox.special-use]] use names ("sent", `\Sent`), with its
// backslash, or "" when it names none.
func SpecialUseName(use string) string {
	use = strings.TrimPrefix(use, `\`)
	for _, u := range specialUses {
		if strings.EqualFold(use, u) {
			return `\` + u
		}
	}
	return ""
}

func (c *Config) validateSpecialUse(ps *problems) {
	seen := map[string]bool{}
	for i, su := range c.Mailbox.SpecialUse {
		p := at("mailbox", "special-use").index(i)
		switch {
		case su.Name == "":
			ps.add(p.key("name"), "missing; name the mailbox, as clients see it")
		case strings.EqualFold(su.Name, "INBOX"):
			ps.add(p.key("name"), "INBOX cannot have a special use")
		case strings.IndexFunc(su.Name, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0:
			ps.add(p.key("name"), "%q is not printable ASCII; write a non-ASCII name in IMAP's modified UTF-7 (RFC 3501 section 5.1.3), as clients see it, such as \"Entw&APw-rfe\"", su.Name)
		case strings.HasPrefix(su.Name, "/") || strings.HasSuffix(su.Name, "/") || strings.Contains(su.Name, "//"):
			ps.add(p.key("name"), "%q has an empty hierarchy level", su.Name)
		}
		u := SpecialUseName(su.Use)
		if u == "" {
			ps.add(p.key("use"), "%q is not a special use; use one of %s", su.Use, strings.Join(specialUses, ", "))
		} else if seen[su.Name+" "+u] {
			ps.add(p.key("use"), "%s is given to %q twice", u, su.Name)
		}
		seen[su.Name+" "+u] = true
	}
}
