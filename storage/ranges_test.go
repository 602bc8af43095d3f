package storage

import (
	"slices"
	"testing"
)

// TestRangesLazy: what a View asks of its UIDs while it holds them as
// ranges (count, last, seqOf) agrees with the listed UIDs.
func TestRangesLazy(t *testing.T) {
	for _, r := range []Ranges{
		{},
		{{1, 1}},
		{{1, 5}},
		{{2, 4}, {7, 7}, {9, 12}},
		{{1, 3}, {4294967290, 4294967295}},
	} {
		uids := r.expand()
		if r.count() != len(uids) {
			t.Errorf("%v: count %d, listed %d", r, r.count(), len(uids))
		}
		if want := uint32(0); len(uids) > 0 && r.last() != uids[len(uids)-1] || len(uids) == 0 && r.last() != want {
			t.Errorf("%v: last %d", r, r.last())
		}
		for _, uid := range []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 4294967289, 4294967290, 4294967295} {
			want := uint32(0)
			if i := slices.Index(uids, uid); i >= 0 {
				want = uint32(i + 1)
			}
			if got := r.seqOf(uid); got != want {
				t.Errorf("%v: seqOf(%d) = %d, want %d", r, uid, got, want)
			}
			below := uint32(0)
			for _, u := range uids {
				if u < uid {
					below++
				}
			}
			if got := r.countBelow(uint64(uid)); got != below {
				t.Errorf("%v: countBelow(%d) = %d, want %d", r, uid, got, below)
			}
		}
		if got := r.countBelow(1 << 32); got != uint32(len(uids)) {
			t.Errorf("%v: countBelow(2^32) = %d, want %d", r, got, len(uids))
		}
	}
}

// TestViewSpanLazy: a View holding its UIDs as ranges answers SeqSpan,
// UIDsAt and LastUID as one holding them listed, without listing them.
func TestViewSpanLazy(t *testing.T) {
	for _, r := range []Ranges{
		{{1, 1}},
		{{1, 5}},
		{{2, 4}, {7, 7}, {9, 12}},
		{{1, 3}, {4294967290, 4294967295}},
	} {
		lazy, listed := &View{lazy: r}, &View{uids: r.expand()}
		if lazy.LastUID() != listed.LastUID() {
			t.Errorf("%v: LastUID %d, listed %d", r, lazy.LastUID(), listed.LastUID())
		}
		edges := []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 4294967289, 4294967290, 4294967295}
		for _, start := range edges {
			for _, stop := range edges {
				if stop < start {
					continue
				}
				lo, hi := lazy.SeqSpan(start, stop)
				wlo, whi := listed.SeqSpan(start, stop)
				if (lo <= hi) != (wlo <= whi) || lo <= hi && (lo != wlo || hi != whi) {
					t.Errorf("%v: SeqSpan(%d, %d) = %d, %d; listed %d, %d", r, start, stop, lo, hi, wlo, whi)
				}
			}
		}
		seqs := make([]uint32, 0, 2*r.count()+1)
		for i := range r.count() {
			seqs = append(seqs, uint32(i+1)) // ascending, as resolveSeqs gives them
		}
		for i := range r.count() {
			seqs = append(seqs, uint32(r.count()-i)) // and in any order
		}
		if got, want := lazy.UIDsAt(seqs), listed.UIDsAt(seqs); !slices.Equal(got, want) {
			t.Errorf("%v: UIDsAt %v, listed %v", r, got, want)
		}
		if lazy.uids != nil || lazy.lazy == nil {
			t.Errorf("%v: the lazy view listed its UIDs", r)
		}
	}
}
