//go:build unix

package mh

import (
	"testing"
	"time"
)

// expungedNumbers returns a numbers file of count entries followed by
// the '-' records of numbers 1..expunged, as one Expunge of the oldest
// messages appends them.
func expungedNumbers(count, expunged int) []byte {
	n := numbering{validity: 7, uidNext: uint32(count + 1), dir: dirID{1, 2, 3}}
	for i := 1; i <= count; i++ {
		n.entries = append(n.entries, numberEntry{num: uint32(i), ino: uint64(1000 + i), gen: 1})
	}
	data := n.encode()
	for i := 1; i <= expunged; i++ {
		data = appendRecord(data, '-', numberEntry{num: uint32(i)}, 0)
	}
	return data
}

// TestNumbersRecordsLinear: every scan of every process reads the
// numbers file, so its records cost no more to apply than the snapshot
// they change: one EXPUNGE of the 12,000 oldest of 100,000 messages
// appends 12,000 '-' records (under the fold limit of an eighth), and
// reading them costs no more than 20 times reading the same numbering
// folded into a snapshot. (Applying each with a slice delete made it
// quadratic: 1.17 s against 0.93 ms.)
func TestNumbersRecordsLinear(t *testing.T) {
	data := expungedNumbers(100_000, 12_000)
	n, err := parseNumbering(data)
	if err != nil || len(n.entries) != 88_000 || n.entries[0].num != 12_001 {
		t.Fatalf("parsed %d entries from %d, %v", len(n.entries), n.entries[0].num, err)
	}
	folded := n.encode()
	took := func(d []byte) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			if _, err := parseNumbering(d); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	withRecords, snap := took(data), took(folded)
	t.Logf("parse with 12,000 '-' records %v, folded %v", withRecords, snap)
	if withRecords > 20*snap+10*time.Millisecond {
		t.Errorf("parse with 12,000 '-' records %v, folded %v: not linear", withRecords, snap)
	}
}

// BenchmarkNumbersParseExpunged reads a 100,000-message numbers file
// with the 12,000 '-' records of one EXPUNGE (an eighth of the snapshot:
// not folded), as every scan of every process does. Compare with
// BenchmarkNumbersParseFolded.
func BenchmarkNumbersParseExpunged(b *testing.B) {
	data := expungedNumbers(100_000, 12_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseNumbering(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNumbersParseFolded reads the same numbering as one snapshot.
func BenchmarkNumbersParseFolded(b *testing.B) {
	n, err := parseNumbering(expungedNumbers(100_000, 12_000))
	if err != nil {
		b.Fatal(err)
	}
	data := n.encode()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseNumbering(data); err != nil {
			b.Fatal(err)
		}
	}
}
