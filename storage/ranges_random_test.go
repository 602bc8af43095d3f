package storage

import (
	"math/rand"
	"slices"
	"testing"
)

// TestSeqSpanRandom: SeqSpan and UIDsAt of a lazy view agree
// with a listed one for random range sets (few and more than
// lazySearchMax ranges, gaps, UIDs near 2^32) and random spans.
func TestSeqSpanRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	for round := 0; round < 300; round++ {
		var r Ranges
		u := uint32(1 + rnd.Intn(5))
		if rnd.Intn(10) == 0 {
			u = 4294967295 - 2000
		}
		nr := 1 + rnd.Intn(80)
		for i := 0; i < nr && u < 4294967290; i++ {
			hi := u + uint32(rnd.Intn(20))
			if hi > 4294967294 {
				hi = 4294967294
			}
			r = append(r, [2]uint32{u, hi})
			u = hi + 2 + uint32(rnd.Intn(10))
		}
		lazy, listed := &View{lazy: slices.Clone(r)}, &View{uids: r.expand()}
		if lazy.LastUID() != listed.LastUID() || lazy.Count() != listed.Count() {
			t.Fatalf("%v: last/count differ", r)
		}
		last := listed.LastUID()
		for k := 0; k < 200; k++ {
			pick := func() uint32 {
				switch rnd.Intn(4) {
				case 0:
					return uint32(1 + rnd.Intn(int(min(last+50, 1<<30))))
				case 1:
					return last + uint32(rnd.Intn(3))
				case 2:
					return 4294967295
				}
				return r[rnd.Intn(len(r))][rnd.Intn(2)] + uint32(rnd.Intn(3)) - 1
			}
			a, b := pick(), pick()
			a, b = min(a, b), max(a, b)
			if a == 0 {
				a = 1
			}
			lo, hi := lazy.SeqSpan(a, b)
			wlo, whi := listed.SeqSpan(a, b)
			if (lo <= hi) != (wlo <= whi) || lo <= hi && (lo != wlo || hi != whi) {
				t.Fatalf("%v: SeqSpan(%d, %d) = %d, %d; listed %d, %d", r, a, b, lo, hi, wlo, whi)
			}
		}
		n := listed.Count()
		seqs := []uint32{1, n}
		for k := 0; k < 50; k++ {
			seqs = append(seqs, 1+uint32(rnd.Intn(int(n))))
		}
		if got, want := lazy.UIDsAt(seqs), listed.UIDsAt(seqs); !slices.Equal(got, want) {
			t.Fatalf("%v: UIDsAt differ", r)
		}
	}
}
