package imap

import "github.com/mailgate/mailgate/storage"

// cmdNamespace: RFC 2342. Each namespace lists its prefixes with their
// delimiters, or NIL when it has none.
func (s *session) cmdNamespace(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	s.e.Raw("* NAMESPACE")
	for _, k := range []storage.NamespaceKind{storage.Personal, storage.Other, storage.Shared} {
		prefixes := s.account.NamespacePrefixes(k)
		s.e.SP()
		if len(prefixes) == 0 {
			s.e.Raw("NIL")
			continue
		}
		s.e.Byte('(')
		for _, p := range prefixes {
			s.e.Byte('(').String(p.Prefix).SP().String(p.Delim()).Byte(')')
		}
		s.e.Byte(')')
	}
	s.e.CRLF()
	return nil
}
