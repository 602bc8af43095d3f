package imap

import (
	"errors"

	"github.com/mailgate/mailgate/storage"
)

// cmdCopy: RFC 3501 section 6.4.7, with COPYUID (RFC 4315).
func (s *session) cmdCopy(tag string, uid bool) error {
	seqs, dest, err := s.copyArgs(uid)
	if err != nil {
		return err
	}
	validity, src, dst, err := s.copyTo(seqs, dest, false)
	if err != nil {
		return err
	}
	if len(src) == 0 || validity == 0 {
		return nil // validity 0: the destination was reset meanwhile
	}
	return ok(copyUID(validity, src, dst), "COPY completed")
}

// cmdMove: RFC 6851, through the storage's Move. The COPYUID goes in an
// untagged OK before the EXPUNGE responses, which the dispatcher sends
// after it in this session's sequence numbers.
func (s *session) cmdMove(tag string, uid bool) error {
	seqs, dest, err := s.copyArgs(uid)
	if err != nil {
		return err
	}
	if s.view.ReadOnly() {
		return no("READ-ONLY", "The mailbox is read-only (EXAMINE)")
	}
	validity, src, dst, err := s.copyTo(seqs, dest, true)
	if err != nil {
		return err
	}
	if len(src) > 0 && validity != 0 {
		s.e.Raw("* OK [").Raw(copyUID(validity, src, dst)).Raw("] Moved\r\n")
	}
	return nil
}

func (s *session) copyArgs(uid bool) ([]uint32, string, error) {
	set, err := s.setArg(uid)
	if err != nil {
		return nil, "", err
	}
	if err := s.d.SP(); err != nil {
		return nil, "", err
	}
	dest, err := s.mailboxName()
	if err != nil {
		return nil, "", err
	}
	if err := s.d.CRLF(); err != nil {
		return nil, "", err
	}
	seqs, err := s.resolveSeqs(set, uid)
	return seqs, dest, err
}

// copyTo copies (or with move, moves) the messages to dest.
func (s *session) copyTo(seqs []uint32, dest string, move bool) (uint32, []uint32, []uint32, error) {
	if !s.account.Exists(dest) {
		return 0, nil, nil, no("TRYCREATE", "Destination mailbox does not exist")
	}
	what, op := "COPY", s.account.Copy
	if move {
		what, op = "MOVE", s.account.Move
	}
	validity, src, dst, err := op(s.view, s.view.UIDsAt(seqs), dest)
	if err != nil {
		if errors.Is(err, storage.ErrNoMailbox) {
			return 0, nil, nil, no("TRYCREATE", "Destination mailbox does not exist")
		}
		if move && len(src) > 0 && len(src) == len(dst) && validity != 0 {
			// A MOVE that failed after some batches were moved (and
			// are expunged here): the client still learns where they
			// went (RFC 4315), before the NO.
			s.e.Raw("* OK [").Raw(copyUID(validity, src, dst)).Raw("] Moved before the failure\r\n")
		}
		return 0, nil, nil, storageErr(err, what)
	}
	return validity, src, dst, nil
}

// copyUID formats a COPYUID response code.
func copyUID(validity uint32, src, dst []uint32) string {
	return "COPYUID " + itoa(validity) + " " + uidSetString(src) + " " + uidSetString(dst)
}

// uidSetString writes UIDs as a compact sequence set, keeping their order
// (COPYUID pairs source and destination by position).
func uidSetString(uids []uint32) string {
	var b []byte
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, itoa(uids[i])...)
		if j > i {
			b = append(b, ':')
			b = append(b, itoa(uids[j])...)
		}
		i = j + 1
	}
	return string(b)
}
