package storage_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestCacheHintOrders: lookups in any order (descending, repeated, past
// the last UID, 0), of keys taken in turn, with expunges between, answer
// the file's value for a live message and nothing for a gone one.
func TestCacheHintOrders(t *testing.T) {
	const n = 60
	_, newStore, u, layout := cacheFileSetup(t, n)
	v, _ := selectBox(t, newStore, u, layout)
	var all []uint32
	for uid := uint32(1); uid <= n; uid++ {
		if uid%7 != 0 { // holes in the section
			all = append(all, uid)
		}
	}
	// More keys than the mailbox keeps hints for.
	keys := []string{"env", "bs", "k3", "k4", "k5"}
	for _, k := range keys {
		setValues(v, k, all...)
	}
	v.Close()
	w, _ := selectBox(t, newStore, u, layout)
	gone := map[uint32]bool{}
	r := rand.New(rand.NewSource(1))
	for round := range 40 {
		var seq []uint32
		switch round % 4 {
		case 0:
			for uid := uint32(0); uid <= n+3; uid++ {
				seq = append(seq, uid)
			}
		case 1:
			for uid := uint32(n + 3); uid > 0; uid-- {
				seq = append(seq, uid, uid)
			}
		default:
			for range 200 {
				seq = append(seq, uint32(r.Intn(n+5)))
			}
		}
		for _, uid := range seq {
			for range 1 + r.Intn(3) {
				k := keys[r.Intn(len(keys))]
				got, ok := w.CachedBytes(uid, k)
				want := uid != 0 && uid <= n && uid%7 != 0 && !gone[uid]
				if ok != want || (ok && string(got) != fmt.Sprint(k, uid)) {
					t.Fatalf("round %d: %s of %d: %q %v, want %v", round, k, uid, got, ok, want)
				}
			}
		}
		// expunge one more
		uid := uint32(1 + r.Intn(n))
		if !gone[uid] {
			w.Store([]uint32{uid}, storage.AddFlags, []string{`\Deleted`})
			if err := w.Expunge(nil, false); err != nil {
				t.Fatal(err)
			}
			w.Poll(true, &recorder{})
			gone[uid] = true
		}
	}
}
