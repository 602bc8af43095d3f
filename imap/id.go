package imap

// cmdID: RFC 2971. Valid in every state; the answer lists the configured
// id-fields. Client values are logged and otherwise ignored.
func (s *session) cmdID(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	var client []string
	if b, _ := s.d.Peek(); b == '(' {
		err := s.d.List(func() error {
			v, err := s.nstring()
			if err != nil {
				return err
			}
			if len(client) < 60 {
				client = append(client, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
	} else if err := s.nil(); err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if len(client) > 0 {
		s.log.Info("imap: client ID", "id", client)
	}
	if len(s.opts.ID) == 0 {
		s.e.Raw("* ID NIL\r\n")
		return nil
	}
	s.e.Raw("* ID (")
	for i, kv := range s.opts.ID {
		if i > 0 {
			s.e.SP()
		}
		s.e.String(kv[0]).SP().String(kv[1])
	}
	s.e.Raw(")\r\n")
	return nil
}

// nstring reads a string or NIL (as "").
func (s *session) nstring() (string, error) {
	if b, _ := s.d.Peek(); b == 'N' || b == 'n' {
		return "", s.nil()
	}
	return s.d.String()
}

// nil reads the atom NIL.
func (s *session) nil() error {
	a, err := s.d.Atom()
	if err != nil {
		return err
	}
	if a != "NIL" && a != "nil" && a != "Nil" {
		return bad("expected NIL")
	}
	return nil
}
