package imap

import (
	"slices"
	"strings"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// cmdStatus: RFC 3501 section 6.3.10, with SIZE (RFC 8438), DELETED
// (RFC 9051 section 6.3.11) and DELETED-STORAGE (RFC 9208).
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
	items, err := statusItems(s.d)
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if slices.Contains(items, "HIGHESTMODSEQ") {
		// A CONDSTORE enabling command (RFC 7162 section 3.1).
		s.enableCondStore()
	}
	st, err := s.mailboxStatus(name)
	if err != nil {
		return storageErr(err, "STATUS")
	}
	s.writeStatus(name, items, st)
	return nil
}

// statusItems reads a parenthesised list of STATUS data items, as STATUS
// and LIST's RETURN (STATUS ...) (RFC 5819) take it, upper-cased.
func statusItems(d *wire.Decoder) ([]string, error) {
	var items []string
	err := d.List(func() error {
		a, err := d.Atom()
		if err != nil {
			return err
		}
		a = strings.ToUpper(a)
		switch a {
		case "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE", "DELETED", "MAILBOXID", "HIGHESTMODSEQ", "DELETED-STORAGE":
		default:
			return bad("Unknown STATUS item %s", sanitize(a))
		}
		items = append(items, a)
		return nil
	})
	return items, err
}

// mailboxStatus returns the counts of the mailbox name. The messages this
// session holds as \Recent are recent too (RFC 3501 6.3.10), so that
// STATUS of the selected mailbox agrees with SELECT.
func (s *session) mailboxStatus(name string) (storage.Status, error) {
	st, err := s.account.Status(name)
	if err != nil {
		return st, err
	}
	if s.view != nil && name == s.mailbox {
		st.Recent += s.view.RecentCount()
	}
	return st, nil
}

// writeStatus writes the untagged STATUS response with items in the
// order the client asked for them.
func (s *session) writeStatus(name string, items []string, st storage.Status) {
	id := ""
	if slices.Contains(items, "MAILBOXID") {
		if id = s.mailboxID(name, st.UIDValidity); id == "" {
			// Not to be had (logged): the answer goes without it.
			items = slices.DeleteFunc(slices.Clone(items), func(it string) bool { return it == "MAILBOXID" })
		}
	}
	s.e.Raw("* STATUS ")
	s.writeName(name)
	s.e.Raw(" (")
	for i, it := range items {
		if i > 0 {
			s.e.SP()
		}
		s.e.Raw(it).SP()
		switch it {
		case "MESSAGES":
			s.e.Number(st.Messages)
		case "RECENT":
			// Not an IMAP4rev2 item; such a session, which never sees
			// \Recent, hears 0 (RFC 9051 Appendix E).
			if s.rev2 {
				st.Recent = 0
			}
			s.e.Number(st.Recent)
		case "UIDNEXT":
			s.e.Number(st.UIDNext)
		case "UIDVALIDITY":
			s.e.Number(st.UIDValidity)
		case "UNSEEN":
			s.e.Number(st.Unseen)
		case "SIZE":
			s.e.Number64(st.Size)
		case "DELETED":
			s.e.Number(st.Deleted)
		case "MAILBOXID": // RFC 8474 section 4.3
			s.e.Byte('(').Raw(id).Byte(')')
		case "HIGHESTMODSEQ":
			// RFC 7162 section 3.1.10: 0 for a mailbox that keeps
			// no modseqs.
			s.e.Number64(int64(st.HighestModSeq))
		case "DELETED-STORAGE":
			// RFC 9208 section 4.2.2, in units of 1024 octets.
			s.e.Number64((st.DeletedSize + 1023) / 1024)
		}
	}
	s.e.Raw(")\r\n")
}
