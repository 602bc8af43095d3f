package harness

import (
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// expect is what every server must answer, derived from the corpus. In
// INBOX sequence numbers equal UIDs: the corpus has no gaps and the
// benchmark never expunges there.
type expect struct {
	n        int
	seen     int
	text     []uint32 // SEARCH TEXT corpus.SearchWord
	from     []uint32 // SEARCH FROM corpus.SearchFrom
	unseen   []uint32
	flagged  []uint32 // \Flagged as loaded
	samples  []uint32 // messages whose ENVELOPE and BODYSTRUCTURE are checked: all
	bodySet  imap.UIDSet
	bodyUIDs []uint32
	digests  map[uint32]uint32 // body digests of bodyUIDs and the big message
	big      uint32            // the largest message
	bigSize  int64             // its size with CRLF
}

func newExpect(c *corpus.Corpus, p *Params) *expect {
	e := &expect{n: c.Spec.N, digests: map[uint32]uint32{}}
	for _, m := range c.Msgs {
		if m.Seen {
			e.seen++
		} else {
			e.unseen = append(e.unseen, m.UID)
		}
		if m.HasWord {
			e.text = append(e.text, m.UID)
		}
		if m.From == corpus.FromTarget {
			e.from = append(e.from, m.UID)
		}
		if m.Flagged {
			e.flagged = append(e.flagged, m.UID)
		}
	}
	// Every message: a server's answer for any of them may be wrong.
	for s := 1; s <= e.n; s++ {
		e.samples = append(e.samples, uint32(s))
	}
	// The bodies fetched are the first FetchBodies ordinary messages.
	for uid := uint32(1); uid <= uint32(e.n) && len(e.bodyUIDs) < p.FetchBodies; uid++ {
		if !c.IsBig(uid) {
			e.bodyUIDs = append(e.bodyUIDs, uid)
		}
	}
	e.bodySet = uidRanges(e.bodyUIDs)
	for _, uid := range e.bodyUIDs {
		e.digests[uid] = expectedDigest(c.Message(uid))
	}
	if big := c.BigUIDs(); len(big) > 0 {
		e.big = big[0]
		e.digests[e.big] = expectedDigest(c.Message(e.big))
		e.bigSize = c.Msgs[e.big-1].VSize
	}
	return e
}

// uidRanges makes a UID set of sorted UIDs, merging runs into ranges.
func uidRanges(uids []uint32) imap.UIDSet {
	var set imap.UIDSet
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		set.AddRange(imap.UID(uids[i]), imap.UID(uids[j]))
		i = j + 1
	}
	return set
}

// sameSet compares a SEARCH answer with the expected numbers.
func sameSet(got []uint32, want []uint32) error {
	g := slices.Clone(got)
	slices.Sort(g)
	if slices.Equal(g, want) {
		return nil
	}
	return fmt.Errorf("got %d results %s, want %d %s", len(g), short(g), len(want), short(want))
}

func short(xs []uint32) string {
	if len(xs) > 12 {
		return fmt.Sprint(xs[:12]) + "..."
	}
	return fmt.Sprint(xs)
}
