package imap

// cmdCreate: RFC 3501 section 6.3.3.
func (s *session) cmdCreate(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	if name == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	return storageErr(s.account.Create(name), "CREATE")
}

// cmdDelete: RFC 3501 section 6.3.4.
func (s *session) cmdDelete(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	if s.view != nil && name == s.mailbox {
		s.closeMailbox()
	}
	return storageErr(s.account.Delete(name), "DELETE")
}

// cmdRename: RFC 3501 section 6.3.5.
func (s *session) cmdRename(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	from, err := s.mailboxName()
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	to, err := s.mailboxName()
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	return storageErr(s.account.Rename(from, to), "RENAME")
}

// cmdSubscribe: RFC 3501 section 6.3.6.
func (s *session) cmdSubscribe(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	return storageErr(s.account.Subscribe(name, true), "SUBSCRIBE")
}

// cmdUnsubscribe: RFC 3501 section 6.3.7.
func (s *session) cmdUnsubscribe(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	return storageErr(s.account.Subscribe(name, false), "UNSUBSCRIBE")
}

// oneMailboxArg reads " mailbox CRLF".
func (s *session) oneMailboxArg() (string, error) {
	if err := s.d.SP(); err != nil {
		return "", err
	}
	name, err := s.mailboxName()
	if err != nil {
		return "", err
	}
	return name, s.d.CRLF()
}
