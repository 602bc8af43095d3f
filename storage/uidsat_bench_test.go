package storage

import "testing"

// BenchmarkUIDsAtAll: UIDsAt of every sequence number (FETCH
// 1:* FLAGS, STORE 1:*, a UID FETCH 1:*) of a 100,000-message view held
// as 64 ranges, lazily (each at walks the ranges) and listed.
func BenchmarkUIDsAtAll(b *testing.B) {
	var r Ranges
	u := uint32(1)
	for i := 0; i < 64; i++ {
		r = append(r, [2]uint32{u, u + 1562})
		u += 1570
	}
	seqs := make([]uint32, r.count())
	for i := range seqs {
		seqs[i] = uint32(i + 1)
	}
	b.Run("lazy", func(b *testing.B) {
		v := &View{lazy: r}
		for range b.N {
			v.UIDsAt(seqs)
		}
	})
	b.Run("listed", func(b *testing.B) {
		for range b.N {
			v := &View{lazy: r}
			v.UIDs()
			v.UIDsAt(seqs)
		}
	})
}
