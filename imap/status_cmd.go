package imap

import "strings"

// cmdStatus: RFC 3501 section 6.3.10.
func (s *session) cmdStatus(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.mailboxName()
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	var items []string
	err = s.d.List(func() error {
		a, err := s.d.Atom()
		if err != nil {
			return err
		}
		a = strings.ToUpper(a)
		switch a {
		case "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN":
		default:
			return bad("Unknown STATUS item %s", sanitize(a))
		}
		items = append(items, a)
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	st, err := s.account.Status(name)
	if err != nil {
		return storageErr(err, "STATUS")
	}
	if s.view != nil && name == s.mailbox {
		// The messages this session holds as \Recent are recent too
		// (RFC 3501 6.3.10), so that STATUS agrees with SELECT.
		st.Recent += s.view.RecentCount()
	}
	s.e.Raw("* STATUS ").AString(name).Raw(" (")
	for i, it := range items {
		if i > 0 {
			s.e.SP()
		}
		s.e.Raw(it).SP()
		switch it {
		case "MESSAGES":
			s.e.Number(st.Messages)
		case "RECENT":
			s.e.Number(st.Recent)
		case "UIDNEXT":
			s.e.Number(st.UIDNext)
		case "UIDVALIDITY":
			s.e.Number(st.UIDValidity)
		case "UNSEEN":
			s.e.Number(st.Unseen)
		}
	}
	s.e.Raw(")\r\n")
	return nil
}
