package imap

import (
	"sort"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// mailboxName reads a mailbox name (list wildcards allowed, see
// wire.Decoder.Mailbox) and returns the name storage knows it by:
// checked and converted as nameFromClient does, INBOX in upper case.
func (s *session) mailboxName() (string, error) {
	name, err := s.d.Mailbox()
	if err != nil {
		return "", err
	}
	return s.nameFromClient(name)
}

// cmdSelect: RFC 3501 section 6.3.1.
func (s *session) cmdSelect(tag string, _ bool) error { return s.selectMailbox(false) }

// cmdExamine: RFC 3501 section 6.3.2. The view is read-only: nothing the
// session does changes the mailbox, \Recent included.
func (s *session) cmdExamine(tag string, _ bool) error { return s.selectMailbox(true) }

func (s *session) selectMailbox(readOnly bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.mailboxName()
	if err != nil {
		return err
	}
	var condStore bool
	var qr *qresyncParams
	if s.d.Maybe(' ') {
		// RFC 4466 section 2.1's select-params: CONDSTORE (RFC 7162
		// section 3.1.8), QRESYNC (section 3.2.5).
		if condStore, qr, err = s.selectParams(); err != nil {
			return err
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.view != nil {
		// RFC 7162 section 3.2.11: a server that offers QRESYNC tells
		// where the old mailbox's updates end.
		s.closeMailbox()
		s.e.Raw("* OK [CLOSED] Previous mailbox closed\r\n")
	}
	s.closeMailbox()
	v, err := s.account.Select(name, readOnly)
	if err != nil {
		return storageErr(err, "SELECT")
	}
	s.view, s.mailbox, s.state = v, name, stateSelected
	if s.obs != nil {
		s.obs.Selected(name)
	}
	if condStore {
		s.condStore = true
	}
	info := v.Info()
	s.writeFlagsInUse(info.Flags)
	s.e.Raw("* ").Number(v.Count()).Raw(" EXISTS\r\n")
	if !s.rev2 {
		s.e.Raw("* ").Number(v.RecentCount()).Raw(" RECENT\r\n")
	}
	s.selectedListLine(name)
	// RFC 9051 section 6.3.2 drops [UNSEEN] from what SELECT sends (and
	// from the response codes, section 7.1); IMAP4rev1 keeps it.
	if seq := s.view.FirstUnseen(); seq > 0 && !s.rev2 {
		s.e.Raw("* OK [UNSEEN ").Number(seq).Raw("] First unseen message\r\n")
	}
	s.e.Raw("* OK [UIDVALIDITY ").Number(info.UIDValidity).Raw("] UIDs valid\r\n")
	s.e.Raw("* OK [UIDNEXT ").Number(info.UIDNext).Raw("] Predicted next UID\r\n")
	s.uidValidity = info.UIDValidity
	if id := s.mailboxID(name, info.UIDValidity); id != "" {
		// RFC 8474 section 4.2.
		s.e.Raw("* OK [MAILBOXID (").Raw(id).Raw(")] Mailbox identifier\r\n")
	}
	// RFC 7162 section 3.1.2.1: every SELECT of a mailbox that keeps
	// modseqs tells its HIGHESTMODSEQ.
	s.writeHighestModSeq()
	if qr != nil {
		if err := s.resync(qr, info.UIDValidity); err != nil {
			return err
		}
	}
	if v.ReadOnly() {
		return ok("READ-ONLY", "EXAMINE completed")
	}
	return ok("READ-WRITE", "SELECT completed")
}

// writeFlagsInUse writes FLAGS (RFC 3501 section 7.2.6), the system
// flags and the keywords of inUse, and the PERMANENTFLAGS a client may
// store (section 7.1): none in a read-only mailbox, else those and any
// new keyword (\*). SELECT sends them, and again when a keyword comes
// into use (storage.Updates.FlagsInUse), as Dovecot does.
func (s *session) writeFlagsInUse(inUse []string) {
	flags := append([]string{storage.FlagAnswered, storage.FlagFlagged, storage.FlagDeleted, storage.FlagSeen, storage.FlagDraft}, keywords(inUse)...)
	s.e.Raw("* FLAGS ")
	writeFlagList(s.e, flags)
	s.e.CRLF()
	if s.view.ReadOnly() {
		s.e.Raw("* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n")
		return
	}
	s.e.Raw("* OK [PERMANENTFLAGS ")
	writeFlagList(s.e, append(flags, `\*`))
	s.e.Raw("] Flags permitted\r\n")
}

// keywords returns the non-system flags of flags, sorted.
func keywords(flags []string) []string {
	var out []string
	for _, f := range flags {
		if len(f) > 0 && f[0] != '\\' {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// closeMailbox leaves the selected state without expunging.
func (s *session) closeMailbox() {
	if s.view != nil {
		s.view.Close()
		s.view = nil
		s.mailbox = ""
		if s.obs != nil {
			s.obs.Selected("")
		}
		s.saved = nil // RFC 5182 section 2.1: no result outlives the mailbox
		s.state = stateAuth
	}
}

// cmdClose: RFC 3501 section 6.4.2. Messages marked \Deleted are removed
// silently when the mailbox is read-write.
func (s *session) cmdClose(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if !s.view.ReadOnly() {
		if err := s.view.Expunge(nil, false); err != nil {
			return storageErr(err, "CLOSE")
		}
	}
	s.closeMailbox()
	return nil
}

// cmdUnselect: RFC 3691.
func (s *session) cmdUnselect(tag string, _ bool) error {
	if err := s.d.CRLF(); err != nil {
		return err
	}
	s.closeMailbox()
	return nil
}

// writeFlagList writes a parenthesised flag list.
func writeFlagList(e *wire.Encoder, flags []string) {
	e.Byte('(')
	for i, f := range flags {
		if i > 0 {
			e.SP()
		}
		e.Raw(f)
	}
	e.Byte(')')
}

// writeFlags writes a message's flags, with \Recent when it is recent.
func writeFlags(e *wire.Encoder, flags []string, recent bool) {
	e.Byte('(')
	for i, f := range flags {
		if i > 0 {
			e.SP()
		}
		e.Raw(f)
	}
	if recent {
		if len(flags) > 0 {
			e.SP()
		}
		e.Raw(`\Recent`)
	}
	e.Byte(')')
}
