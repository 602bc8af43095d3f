package imap

// IMAP4rev2 (RFC 9051) beside IMAP4rev1: a session is IMAP4rev1 until
// the client sends ENABLE IMAP4rev2 (section 2.2.1, and Appendix E for
// what changes). Then:
//
//   - \Recent is gone: no RECENT response, no \Recent in FLAGS (E.5);
//   - SEARCH answers with ESEARCH (section 6.4.4, wantsESearch);
//   - mailbox names are UTF-8, not modified UTF-7 (section 5.1, utf8.go);
//   - SELECT and EXAMINE send the mailbox's LIST response (section
//     6.3.2) and [CLOSED] when they replace a selected mailbox.
//
// The rest of IMAP4rev2 is what every session gets: NAMESPACE, UNSELECT,
// UIDPLUS, ESEARCH, SEARCHRES, ENABLE, IDLE, SASL-IR, LIST-EXTENDED,
// LIST-STATUS, MOVE, LITERAL+ (a superset of LITERAL-), FETCH BINARY and
// BINARY.SIZE, STATUS SIZE and DELETED, SPECIAL-USE attributes and RFC 5530's response codes
// ([ALREADYEXISTS], [NONEXISTENT], ...). LSUB and \Recent stay for
// IMAP4rev1 sessions.

// recent reports whether message uid is shown as \Recent: never to an
// IMAP4rev2 session.
func (s *session) recent(uid uint32) bool {
	return !s.rev2 && s.view.Recent(uid)
}

// enableUTF8 turns on UTF8=ACCEPT (RFC 6855 section 3); IMAP4rev2 turns
// on UTF-8 names too.
func (s *session) enableUTF8(accept bool) {
	s.utf8Names = true
	if accept {
		s.utf8Accept = true
	}
}

// selectedListLine writes the LIST response that an IMAP4rev2 SELECT or
// EXAMINE sends for the mailbox it opened (RFC 9051 section 6.3.2), so
// that the client learns the name as the server spells it.
func (s *session) selectedListLine(name string) {
	if !s.rev2 {
		return
	}
	s.writeListLine("LIST", name, s.delimiter(), nil, "")
}
