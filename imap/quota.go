package imap

import (
	"github.com/mailgate/mailgate/storage"
)

// Quotas (RFC 9208). A user whose configuration gives limits has one
// quota root, "", over their whole personal namespace with INBOX; other
// users' and shared mailboxes are under none. Limits come from the
// configuration, so SETQUOTA (QUOTASET) is not offered.

// cmdGetQuotaRoot: RFC 9208 section 4.3.
func (s *session) cmdGetQuotaRoot(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	if !s.account.Exists(name) {
		return no("NONEXISTENT", "GETQUOTAROOT: no such mailbox")
	}
	root, ok := s.account.QuotaRoot(name)
	s.e.Raw("* QUOTAROOT ").AString(name)
	if ok {
		s.e.SP().AString(root)
	}
	s.e.CRLF()
	if ok {
		return s.writeQuota(root)
	}
	return nil
}

// cmdGetQuota: RFC 9208 section 4.2.
func (s *session) cmdGetQuota(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	root, err := s.d.AString()
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if r, ok := s.account.QuotaRoot(storage.InboxName); !ok || r != root {
		return no("NONEXISTENT", "GETQUOTA: no such quota root")
	}
	return s.writeQuota(root)
}

// cmdSetQuota: RFC 9208 section 4.1. Limits are the administrator's.
func (s *session) cmdSetQuota(tag string, _ bool) error {
	return no("NOPERM", "SETQUOTA: quota limits are set in the server's configuration")
}

// writeQuota writes the QUOTA response of root (RFC 9208 section 5.1):
// each limited resource with its usage and limit, STORAGE in units of
// 1024 octets (usage rounded up, the limit down).
func (s *session) writeQuota(root string) error {
	lim, use, err := s.account.Quota()
	if err != nil {
		return storageErr(err, "QUOTA")
	}
	s.e.Raw("* QUOTA ").AString(root).Raw(" (")
	sep := ""
	if lim.Storage > 0 {
		s.e.Raw("STORAGE ").Number64((use.Storage + 1023) / 1024).SP().Number64(lim.Storage / 1024)
		sep = " "
	}
	if lim.Messages > 0 {
		s.e.Raw(sep).Raw("MESSAGE ").Number64(use.Messages).SP().Number64(lim.Messages)
	}
	s.e.Raw(")\r\n")
	return nil
}
