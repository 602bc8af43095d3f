package imap

import (
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/storage"
)

// CONDSTORE and QRESYNC (RFC 7162): the session's side. The modseqs
// themselves are the storage core's (storage/modseq.go).

// enableCondStore turns CONDSTORE on for the session (RFC 7162 section
// 3.1, "CONDSTORE enabling commands"). The first time, with a mailbox
// selected, the client learns its HIGHESTMODSEQ at once (section 3.1),
// even though SELECT told it already.
func (s *session) enableCondStore() {
	if s.condStore {
		return
	}
	s.condStore = true
	if s.view != nil {
		s.writeHighestModSeq()
	}
}

// writeHighestModSeq writes the untagged OK with HIGHESTMODSEQ, or
// NOMODSEQ for a mailbox that keeps no modseqs (RFC 7162 section
// 3.1.2.1-2).
func (s *session) writeHighestModSeq() {
	if h, ok := s.view.HighestModSeq(); ok {
		s.e.Raw("* OK [HIGHESTMODSEQ ").Number64(int64(h)).Raw("] Highest\r\n")
	} else {
		s.e.Raw("* OK [NOMODSEQ] No permanent modsequences\r\n")
	}
}

// okHighestModSeq is a tagged OK carrying the mailbox's HIGHESTMODSEQ,
// as Dovecot answers EXPUNGE and FETCH ... VANISHED after ENABLE QRESYNC
// (RFC 7162 section 3.2.10), so that the client knows how far it is in
// sync.
func (s *session) okHighestModSeq(text string) error {
	if h, kept := s.view.HighestModSeq(); kept {
		return ok("HIGHESTMODSEQ "+strconv.FormatUint(h, 10), "%s", text)
	}
	return nil
}

// modSeqKept reports whether the selected mailbox keeps modseqs; the
// commands that need them answer BAD otherwise (RFC 7162 section 3.1.2.2).
func (s *session) modSeqKept() error {
	if _, ok := s.view.HighestModSeq(); !ok {
		return bad("The mailbox keeps no modification sequences (NOMODSEQ)")
	}
	return nil
}

// modSeqValue reads a mod-sequence-value (RFC 7162 section 7: 1*DIGIT up
// to 2^63-1).
func (s *session) modSeqValue() (uint64, error) {
	n, err := s.d.Number64()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, bad("Invalid mod-sequence value")
	}
	return uint64(n), nil
}

// ExpungeUID implements storage.UIDExpunger: after ENABLE QRESYNC an
// expunge is told as VANISHED with its UID (RFC 7162 section 3.2.10);
// consecutive ones are gathered into one response by flushVanished.
func (s *session) ExpungeUID(seq, uid uint32) {
	if len(s.contexts) > 0 {
		s.contextExpunged(seq, uid)
	}
	if !s.qresync {
		s.Expunge(seq)
		return
	}
	s.vanished = append(s.vanished, uid)
}

// flushVanished writes the VANISHED response for the expunges gathered
// by ExpungeUID. Every other update calls it first, so that the client
// sees them in order.
func (s *session) flushVanished() {
	if len(s.vanished) == 0 {
		return
	}
	sort.Slice(s.vanished, func(a, b int) bool { return s.vanished[a] < s.vanished[b] })
	s.e.Raw("* VANISHED ")
	writeCompactSet(s, s.vanished)
	s.e.CRLF()
	s.vanished = s.vanished[:0]
	s.vanishedSent = true
}

// vanishedDone gives a plain tagged OK of a command whose answer told of
// expunges the mailbox's HIGHESTMODSEQ, as Dovecot does, so that a QRESYNC
// client knows the state it is now in sync with.
func (s *session) vanishedDone(err error) error {
	sent := s.vanishedSent
	s.vanishedSent = false
	if !sent || s.view == nil {
		return err
	}
	if err == nil {
		return s.okHighestModSeq("Completed")
	}
	if st, isStatus := err.(*status); isStatus && st.typ == "OK" && st.code == "" {
		return s.okHighestModSeq(st.text)
	}
	return err
}

// delayedExpunges gives a command's OK a HIGHESTMODSEQ below the lowest
// mod-sequence of the expunges it could not tell of (RFC 7162 section
// 3.2): the command may have sent MODSEQ values of later changes, and a
// client that loses the connection before it hears of the expunges must
// not take them as seen at its next SELECT QRESYNC. A reply that has a
// response code of its own (SELECT's READ-WRITE) keeps it, and the
// HIGHESTMODSEQ goes in an untagged OK just before it.
func (s *session) delayedExpunges(err error) error {
	low, delayed := s.view.DelayedExpungeModSeq()
	if !delayed || low <= 1 {
		return err
	}
	code := "HIGHESTMODSEQ " + strconv.FormatUint(low-1, 10)
	text := "Completed"
	if err != nil {
		st, isStatus := err.(*status)
		if !isStatus || st.typ != "OK" || st.code != "" {
			s.e.Raw("* OK [").Raw(code).Raw("] Expunges not yet told\r\n")
			return err
		}
		text = st.text
	}
	return ok(code, "%s", text)
}

// writeVanishedEarlier writes "* VANISHED (EARLIER) uids" (RFC 7162
// section 3.2.6) for the UIDs of set (nil: all) expunged since modseq. If
// the mailbox forgot expunges that old, it names every UID of set (or
// below UIDNEXT) that is not in the mailbox, as section 3.2.5.1 allows.
func (s *session) writeVanishedEarlier(set imap.UIDSet, modseq uint64) {
	var uids []uint32
	runs, complete := s.view.VanishedSince(modseq)
	if complete {
		for _, r := range runs {
			for u := r.First; ; u++ {
				if (set == nil || set.Contains(imap.UID(u))) && s.view.SeqOf(u) == 0 {
					uids = append(uids, u)
				}
				if u == r.Last || len(uids) > maxVanishedUIDs {
					break
				}
			}
		}
	} else {
		uids = s.absentUIDs(set)
	}
	if len(uids) == 0 {
		return
	}
	sort.Slice(uids, func(a, b int) bool { return uids[a] < uids[b] })
	uids = dedupe(uids)
	s.e.Raw("* VANISHED (EARLIER) ")
	writeCompactSet(s, uids)
	s.e.CRLF()
}

// maxVanishedUIDs bounds one VANISHED (EARLIER) answer built UID by UID.
const maxVanishedUIDs = 1 << 22

// absentUIDs returns the UIDs of set (nil: 1 to UIDNEXT-1) that are not
// in the view, ascending: the full answer when expunges were forgotten.
func (s *session) absentUIDs(set imap.UIDSet) []uint32 {
	have := s.view.UIDs()
	top := s.view.UIDNext() - 1
	if set == nil {
		set = imap.UIDSetNum()
		set.AddRange(1, imap.UID(top))
	}
	var out []uint32
	for _, r := range set {
		lo, hi := uint32(r.Start), uint32(r.Stop)
		if hi == 0 || hi > top {
			hi = top
		}
		if lo == 0 {
			lo = top
		}
		i := sort.Search(len(have), func(i int) bool { return have[i] >= lo })
		for u := lo; u <= hi && u != 0; u++ {
			for i < len(have) && have[i] < u {
				i++
			}
			if i < len(have) && have[i] == u {
				continue
			}
			out = append(out, u)
			if len(out) > maxVanishedUIDs {
				return out
			}
		}
	}
	return out
}

func dedupe(s []uint32) []uint32 {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// qresyncParams is SELECT's QRESYNC parameter (RFC 7162 section 3.2.5).
type qresyncParams struct {
	uidValidity uint32
	modSeq      uint64
	knownUIDs   imap.UIDSet // nil: not given
	seqMatch    imap.SeqSet // known sequence numbers...
	uidMatch    imap.UIDSet // ...and their UIDs
}

// selectParams reads SELECT/EXAMINE's optional parameters (RFC 4466
// section 2.1): CONDSTORE (RFC 7162 section 3.1.8) and QRESYNC (section
// 3.2.5).
func (s *session) selectParams() (condStore bool, qr *qresyncParams, err error) {
	err = s.d.List(func() error {
		name, err := s.d.Atom()
		if err != nil {
			return err
		}
		switch strings.ToUpper(name) {
		case "CONDSTORE":
			condStore = true
			return nil
		case "QRESYNC":
			if !s.qresync {
				return bad("QRESYNC must be enabled first (ENABLE QRESYNC)")
			}
			if err := s.d.SP(); err != nil {
				return err
			}
			qr = &qresyncParams{}
			return s.qresyncParams(qr)
		}
		return bad("Unknown SELECT parameter %s", sanitize(name))
	})
	return condStore, qr, err
}

// qresyncParams reads "(uidvalidity modseq [known-uids [(seqs uids)]])".
func (s *session) qresyncParams(qr *qresyncParams) error {
	if err := s.d.Expect('(', "("); err != nil {
		return err
	}
	v, err := s.d.Number()
	if err != nil {
		return err
	}
	if v == 0 {
		return bad("Invalid UIDVALIDITY in QRESYNC")
	}
	qr.uidValidity = v
	if err := s.d.SP(); err != nil {
		return err
	}
	if qr.modSeq, err = s.modSeqValue(); err != nil {
		return err
	}
	if qr.modSeq == 0 {
		return bad("Invalid mod-sequence in QRESYNC")
	}
	if s.d.Maybe(' ') {
		if b, _ := s.d.Peek(); b != '(' {
			set, err := s.d.NumSet(true)
			if err != nil {
				return err
			}
			qr.knownUIDs = set.(imap.UIDSet)
			s.d.Maybe(' ')
		}
		if b, _ := s.d.Peek(); b == '(' {
			s.d.Expect('(', "(")
			seqs, err := s.d.NumSet(false)
			if err != nil {
				return err
			}
			if err := s.d.SP(); err != nil {
				return err
			}
			uids, err := s.d.NumSet(true)
			if err != nil {
				return err
			}
			if err := s.d.Expect(')', ")"); err != nil {
				return err
			}
			qr.seqMatch, qr.uidMatch = seqs.(imap.SeqSet), uids.(imap.UIDSet)
		}
	}
	return s.d.Expect(')', ")")
}

// resync answers SELECT's QRESYNC parameter (RFC 7162 section 3.2.5.1)
// when the client's UIDVALIDITY is still right: VANISHED (EARLIER) for
// what was expunged since its modseq, then FETCH (UID FLAGS MODSEQ) for
// every message changed since.
func (s *session) resync(qr *qresyncParams, uidValidity uint32) error {
	if qr.uidValidity != uidValidity {
		return nil
	}
	since := qr.modSeq
	if qr.seqMatch != nil {
		since = s.seqMatchSince(qr, since)
	}
	s.writeVanishedEarlier(qr.knownUIDs, since)
	uids := s.view.UIDs()
	msgs := make([]storage.Message, fetchBatch)
	for start := 0; start < len(uids); start += fetchBatch {
		end := min(start+fetchBatch, len(uids))
		chunk := append([]uint32(nil), uids[start:end]...)
		s.view.Lookup(chunk, msgs[:end-start])
		for i := start; i < end; i++ {
			m := &msgs[i-start]
			if m.UID == 0 || m.ModSeq <= qr.modSeq {
				continue
			}
			if qr.knownUIDs != nil && !qr.knownUIDs.Contains(imap.UID(m.UID)) {
				continue
			}
			s.view.AnnounceFlags(m.Flags, s)
			s.e.Raw("* ").Number(uint32(i + 1)).Raw(" FETCH (UID ").Number(m.UID).Raw(" FLAGS ")
			writeFlags(s.e, m.Flags, s.recent(m.UID))
			s.e.Raw(" MODSEQ (").Number64(int64(m.ModSeq)).Raw("))\r\n")
		}
		if s.bw.Buffered() > 8*1024 {
			if err := s.e.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// seqMatchSince uses the client's (sequence numbers, UIDs) pairs to
// decide how far back VANISHED must look (RFC 7162 section 3.2.5.2): if
// every pair still matches, nothing below the last matching UID was
// expunged unseen and the modseq holds; if one does not, the client's
// knowledge is wrong and every expunge is reported (modseq 0).
func (s *session) seqMatchSince(qr *qresyncParams, since uint64) uint64 {
	seqs := expandSet(qr.seqMatch)
	uids := expandSet(qr.uidMatch)
	if len(seqs) != len(uids) || len(seqs) == 0 {
		return since
	}
	for i := range seqs {
		if s.view.SeqOf(uids[i]) != seqs[i] {
			return 0
		}
	}
	return since
}

// expandSet lists the numbers of a set with no "*", up to a bound.
func expandSet(set imap.NumSet) []uint32 {
	var out []uint32
	add := func(lo, hi uint32) {
		for n := lo; n <= hi && n != 0 && len(out) < 1<<16; n++ {
			out = append(out, n)
		}
	}
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			add(r.Start, r.Stop)
		}
	case imap.UIDSet:
		for _, r := range set {
			add(uint32(r.Start), uint32(r.Stop))
		}
	}
	return out
}
