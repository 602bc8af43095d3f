package imap

import (
	"slices"
	"sort"
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
	check, since := false, uint64(0)
	if b, _ := s.d.Peek(); b == '(' {
		// RFC 7162 section 3.1.3: (UNCHANGEDSINCE n).
		if since, err = s.storeModifiers(); err != nil {
			return err
		}
		check = true
		if err := s.d.SP(); err != nil {
			return err
		}
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
	if check {
		if err := s.modSeqKept(); err != nil {
			return err
		}
		s.enableCondStore() // a CONDSTORE enabling command (section 3.1)
	}
	seqs, err := s.resolveSeqs(set, uid)
	if err != nil {
		return err
	}
	uids := s.view.UIDsAt(seqs)
	var changed, modified []uint32
	if check {
		changed, modified, err = s.view.StoreUnchangedSince(uids, op, flags, since)
	} else {
		changed, err = s.view.Store(uids, op, flags)
	}
	if err != nil {
		return storageErr(err, "STORE")
	}
	if op != storage.RemoveFlags {
		// A new keyword is announced even to a silent STORE, as
		// Dovecot does.
		s.view.AnnounceFlags(flags, s)
	}
	failed := make(map[uint32]bool, len(modified))
	for _, u := range modified {
		failed[u] = true
	}
	// changed is in ascending order: searched rather than made a map,
	// which cost a tenth of a silent STORE's CPU outside rename(2) at
	// 10,000 messages, and is needed only for CONDSTORE's silent answer.
	wasChanged := func(uid uint32) bool {
		_, found := slices.BinarySearch(changed, uid)
		return found
	}
	msgs := make([]storage.Message, len(uids))
	s.view.Lookup(uids, msgs)
	for i := range msgs {
		m := &msgs[i]
		if m.UID == 0 || failed[m.UID] {
			continue
		}
		if silent && !(s.condStore && wasChanged(m.UID)) {
			continue
		}
		s.view.AnnounceFlags(m.Flags, s)
		s.e.Raw("* ").Number(seqs[i]).Raw(" FETCH (")
		if uid || s.qresync {
			s.e.Raw("UID ").Number(m.UID).SP()
		}
		if !silent {
			s.e.Raw("FLAGS ")
			writeFlags(s.e, m.Flags, s.recent(m.UID))
			if s.condStore {
				s.e.SP()
			}
		}
		if s.condStore {
			// RFC 7162 section 3.1.3: the new MODSEQ, even when
			// silent.
			s.e.Raw("MODSEQ (").Number64(int64(m.ModSeq)).Byte(')')
		}
		s.e.Raw(")\r\n")
	}
	if len(modified) > 0 {
		out := modified
		if !uid {
			out = make([]uint32, 0, len(modified))
			for _, u := range modified {
				if q := s.view.SeqOf(u); q > 0 {
					out = append(out, q)
				}
			}
		}
		sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
		var sb strings.Builder
		sb.WriteString("MODIFIED ")
		sb.WriteString(uidSetString(out))
		return ok(sb.String(), "Conditional STORE failed")
	}
	return nil
}

// storeModifiers reads STORE's "(UNCHANGEDSINCE n)" (RFC 7162 section
// 3.1.3).
func (s *session) storeModifiers() (uint64, error) {
	var since uint64
	seen := false
	err := s.d.List(func() error {
		name, err := s.d.Atom()
		if err != nil {
			return err
		}
		if !strings.EqualFold(name, "UNCHANGEDSINCE") {
			return bad("Unknown STORE modifier %s", sanitize(name))
		}
		if err := s.d.SP(); err != nil {
			return err
		}
		seen = true
		since, err = s.modSeqValue()
		return err
	})
	if err == nil && !seen {
		err = bad("STORE modifiers need UNCHANGEDSINCE")
	}
	return since, err
}
