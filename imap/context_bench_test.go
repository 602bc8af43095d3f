package imap

import (
	"io"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/imap/internal/wire"
)

// BenchmarkContextMassExpunge: a SORT and a SEARCH with UPDATE each hold
// every message of a 100,000-message mailbox, and one EXPUNGE removes
// them all, from the last to the first (as the storage core reports
// them), each with its REMOVEFROM.
func BenchmarkContextMassExpunge(b *testing.B) {
	const n = 100_000
	asc := make([]uint32, n)
	for i := range asc {
		asc[i] = uint32(i + 1)
	}
	sorted := slices.Clone(asc)
	slices.Reverse(sorted) // some SORT order
	for b.Loop() {
		s := &session{}
		s.bw = wire.NewWriter(io.Discard)
		s.e = wire.NewEncoder(s.bw)
		s.contexts = []*searchContext{
			{tag: "s", uids: slices.Clone(asc)},
			{tag: "o", uids: slices.Clone(sorted), order: []sortCriterion{{}}},
		}
		for seq := uint32(n); seq >= 1; seq-- {
			s.contextExpunged(seq, seq)
		}
		for _, c := range s.contexts {
			c.compact()
			if len(c.uids) != 0 {
				b.Fatalf("%s holds %d messages after every one was expunged", c.tag, len(c.uids))
			}
		}
	}
}
