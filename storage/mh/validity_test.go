package mh

import (
	"math"
	"testing"
)

// TestDerivedValidity: a derived UIDVALIDITY is above the folder's and
// within viewValidityRange of it, never overflows nor is 0, and only a
// folder at 2^32-1, which has no greater value, gets a lower one.
func TestDerivedValidity(t *testing.T) {
	for _, tt := range []struct {
		folder, hash uint32
		want         uint32
	}{
		{1750000000, 0, 1750000001},
		{1750000000, viewValidityRange - 1, 1750000000 + viewValidityRange},
		{1750000000, viewValidityRange, 1750000001},
		{1750000000, math.MaxUint32, 1750000000 + viewValidityRange},
		{0, 5, 6},
		{math.MaxUint32 - 1, 0, math.MaxUint32},
		{math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32},
		{math.MaxUint32 - 3, 7, math.MaxUint32 - 1}, // 7 mod 3 = 1
		{math.MaxUint32, 0, 1},
		{math.MaxUint32, math.MaxUint32, viewValidityRange},
	} {
		if got := derivedValidity(tt.folder, tt.hash); got != tt.want {
			t.Errorf("derivedValidity(%d, %d) = %d, want %d", tt.folder, tt.hash, got, tt.want)
		}
	}
}
