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
		}
	}
}
