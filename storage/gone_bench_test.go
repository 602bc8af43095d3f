package storage_test

import (
	"testing"
	"time"
)

// BenchmarkGoneCheck: View.Check, which every command of a session
// with a mailbox selected runs (one stat since 3378f94).
func BenchmarkGoneCheck(b *testing.B) {
	for _, typ := range []string{"maildir", "mbox", "mh"} {
		b.Run(typ, func(b *testing.B) {
			a, _, _ := formatAccount(b, formatCase{name: typ})
			if err := a.Create("box"); err != nil {
				b.Fatal(err)
			}
			if _, _, err := a.Append("box", msg("one"), nil, time.Time{}); err != nil {
				b.Fatal(err)
			}
			v, err := a.Select("box", false)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			v.Watch()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v.Check()
			}
		})
	}
}
