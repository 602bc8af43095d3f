package imap

// cmdExpunge: RFC 3501 section 6.4.3, and UID EXPUNGE (RFC 4315 section
// 2.1), which removes only the given UIDs among those marked \Deleted.
// The EXPUNGE responses are sent by the dispatcher's update poll.
func (s *session) cmdExpunge(tag string, uid bool) error {
	var uids []uint32
	if uid {
		set, err := s.setArg(true)
		if err != nil {
			return err
		}
		seqs, err := s.resolveSeqs(set, true)
		if err != nil {
			return err
		}
		uids = s.view.UIDsAt(seqs)
		if uids == nil {
			uids = []uint32{}
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.view.ReadOnly() {
		return no("READ-ONLY", "The mailbox is read-only (EXAMINE)")
	}
	if err := s.view.Expunge(uids, false); err != nil {
		return storageErr(err, "EXPUNGE")
	}
	if s.qresync {
		return s.okHighestModSeq("Expunge completed")
	}
	return nil
}
