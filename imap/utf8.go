package imap

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// UTF-8 mailbox names (RFC 6855 section 3, and RFC 9051 section 5.1 for
// IMAP4rev2): once a session has enabled UTF8=ACCEPT or IMAP4rev2, the
// names it sends and hears are UTF-8, not modified UTF-7. The storage
// core keeps its names in modified UTF-7 whatever the session, as GNU
// imap4d and Dovecot name the files, so that both kinds of client see
// the same mailboxes: names are converted at the edge, here.

// nameFromClient turns a mailbox name as the client sent it into the
// name the storage core knows, checking it: valid modified UTF-7 before
// UTF-8 is enabled; valid UTF-8 without control characters after.
func (s *session) nameFromClient(name string) (string, error) {
	if storage.IsInbox(name) {
		return storage.InboxName, nil
	}
	if !s.utf8Names && !hasEightBit(name) {
		if _, err := wire.DecodeUTF7(name); err != nil {
			return "", no("CANNOT", "Mailbox name is not valid modified UTF-7")
		}
		return name, nil
	}
	// UTF-8 names, and before ENABLE a name with 8-bit bytes, which no
	// modified UTF-7 name has: clients such as go-imap's send UTF-8 to
	// a server that advertises UTF8=ACCEPT or IMAP4rev2 without enabling
	// it, and taking it as UTF-8 is the only reading it has.
	internal, err := utf8Name(name)
	if err != nil {
		return "", no("CANNOT", "%v", err)
	}
	return internal, nil
}

// hasEightBit reports whether s has a byte above 0x7f.
func hasEightBit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// Why a UTF-8 mailbox name is refused.
var (
	errNotUTF8 = errors.New("Mailbox name is not valid UTF-8")
	errControl = errors.New("Mailbox name holds a control character")
)

// utf8Name checks a UTF-8 mailbox name and returns its modified UTF-7
// form (RFC 3501 section 5.1.3), which is what storage names it.
func utf8Name(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errNotUTF8
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
		return "", errControl
	}
	return wire.EncodeUTF7(name), nil
}

// nameToClient returns a storage name as this session spells names: in
// UTF-8 once enabled. A name on disk that is not valid modified UTF-7
// (written by another program) is shown as it is.
func (s *session) nameToClient(name string) string {
	if !s.utf8Names {
		return name
	}
	if d, err := wire.DecodeUTF7(name); err == nil {
		return d
	}
	return name
}

// writeName writes a mailbox name as nameToClient spells it: an atom
// when it can be, else a quoted string, which may hold UTF-8 once it is
// enabled (RFC 6855 section 3), else a literal.
func (s *session) writeName(name string) {
	name = s.nameToClient(name)
	if s.utf8Names && !wire.IsAtom(name) && utf8.ValidString(name) && !strings.ContainsAny(name, "\x00\r\n") && len(name) < 1024 {
		s.e.Raw(wire.QuoteUTF8(name))
		return
	}
	s.e.AString(name)
}

// newMatcherFor returns a matcher of the LIST pattern as this session
// spells it: with UTF-8 enabled, pattern is UTF-8 and the names are
// matched decoded, so that wildcards match characters, not pieces of
// their modified UTF-7 encoding.
func (s *session) newMatcherFor(pattern, delim string) *matcher {
	m := newMatcher(pattern, delim)
	m.decode = s.utf8Names
	return m
}
