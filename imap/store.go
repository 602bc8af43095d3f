package imap

import (
	"strings"

	"github.com/mailgate/mailgate/storage"
)

// cmdStore: RFC 3501 section 6.4.6. The flag list may come without
// parentheses ("STORE 1,3 +FLAGS \Deleted"), as the grammar allows.
func (s *session) cmdStore(tag string, uid bool) error {
	set, err := s.setArg(uid)
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	item, err := s.d.Atom()
	if err != nil {
		return err
	}
	item = strings.ToUpper(item)
	op := storage.ReplaceFlags
	switch {
	case strings.HasPrefix(item, "+"):
		op, item = storage.AddFlags, item[1:]
	case strings.HasPrefix(item, "-"):
		op, item = storage.RemoveFlags, item[1:]
	}
	silent := false
	switch item {
	case "FLAGS":
	case "FLAGS.SILENT":
		silent = true
	default:
		return bad("Unknown STORE item %s", sanitize(item))
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	flags, err := s.flagList(true)
	if err != nil {
		return err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.view.ReadOnly() {
		return no("READ-ONLY", "The mailbox is read-only (EXAMINE)")
	}
	seqs, err := s.resolveSeqs(set, uid)
	if err != nil {
		return err
	}
	uids := s.uidsOf(seqs)
	if _, err := s.view.Store(uids, op, flags); err != nil {
		return storageErr(err, "STORE")
	}
	if op != storage.RemoveFlags {
		// A new keyword is announced even to a silent STORE, as
		// Dovecot does.
		s.view.AnnounceFlags(flags, s)
	}
	if silent {
		return nil
	}
	msgs := make([]storage.Message, len(uids))
	s.view.Lookup(uids, msgs)
	for i := range msgs {
		if msgs[i].UID == 0 {
			continue
		}
		s.view.AnnounceFlags(msgs[i].Flags, s)
		s.e.Raw("* ").Number(seqs[i]).Raw(" FETCH (")
		if uid {
			s.e.Raw("UID ").Number(msgs[i].UID).SP()
		}
		s.e.Raw("FLAGS ")
		writeFlags(s.e, msgs[i].Flags, s.view.Recent(msgs[i].UID))
		s.e.Raw(")\r\n")
	}
	return nil
}
