package imap

import (
	"errors"
	"strings"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// cmdCreate: RFC 3501 section 6.3.3, with the USE parameter of
// CREATE-SPECIAL-USE (RFC 6154 section 3).
func (s *session) cmdCreate(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.mailboxName()
	if err != nil {
		return err
	}
	var uses []string
	if s.d.Maybe(' ') {
		if uses, err = createParams(s.d); err != nil {
			return err
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if name == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	err = s.account.CreateSpecialUse(name, uses)
	if errors.Is(err, storage.ErrBadSpecialUse) {
		return no("USEATTR", "CREATE: %v", err)
	}
	if err != nil {
		return storageErr(err, "CREATE")
	}
	// RFC 8474 section 4.1: the new mailbox's identifier.
	if st, err := s.account.Status(name); err == nil {
		if id := s.mailboxID(name, st.UIDValidity); id != "" {
			return ok("MAILBOXID ("+id+")", "CREATE completed")
		}
	}
	return nil
}

// createParams reads CREATE's parameters (RFC 4466 create-params); the
// one known is USE (RFC 6154 section 3), whose attributes it returns.
func createParams(d *wire.Decoder) ([]string, error) {
	var uses []string
	err := d.List(func() error {
		p, err := d.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(p, "USE") {
			return bad("Unknown CREATE parameter %s", sanitize(p))
		}
		if err := d.SP(); err != nil {
			return err
		}
		return d.List(func() error {
			u, err := d.FlagAtom()
			uses = append(uses, u)
			return err
		})
	})
	return uses, err
}

// cmdDelete: RFC 3501 section 6.3.4.
func (s *session) cmdDelete(tag string, _ bool) error {
	name, err := s.oneMailboxArg()
	if err != nil {
		return err
	}
	// Deleting the selected mailbox is answered, and the session then
	// ends with BYE, as Dovecot does (gone.go): RFC 3501 leaves it open,
	// and a client that was told nothing would go on in a mailbox that
	// is no more.
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
	if err := s.account.Rename(from, to); err != nil {
		return storageErr(err, "RENAME")
	}
	s.renamed(from, to) // NOTIFY's OLDNAME (notify.go)
	return nil
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
