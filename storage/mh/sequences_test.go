package mh

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestParseSequences(t *testing.T) {
	tests := []struct {
		name, in string
		want     sequences
	}{
		{"empty", "", nil},
		{"single", "unseen: 1\n", sequences{{"unseen", numSet{{1, 1}}}}},
		{"ranges", "unseen: 1-3 5 7-9\n", sequences{{"unseen", numSet{{1, 3}, {5, 5}, {7, 9}}}}},
		{"merged", "a: 3 1-2 4 9 8\n", sequences{{"a", numSet{{1, 4}, {8, 9}}}}},
		{"continuation", "unseen: 1 2\n  5\n\t7-8\nflagged: 3\n",
			sequences{{"unseen", numSet{{1, 2}, {5, 5}, {7, 8}}}, {"flagged", numSet{{3, 3}}}}},
		{"crlf and no final newline", "cur: 4\r\nfoo: 2", sequences{{"cur", numSet{{4, 4}}}, {"foo", numSet{{2, 2}}}}},
		{"empty sequence", "unseen:\nreplied: \n", sequences{{"unseen", nil}, {"replied", nil}}},
		{"duplicate name", "a: 1\na: 3\n", sequences{{"a", numSet{{1, 1}, {3, 3}}}}},
		{"garbage skipped", "no colon\n: 5\nx: 0 -3 4- 5-2 abc 4294967295 6\n",
			sequences{{"x", numSet{{6, 6}}}}},
		{"continuation of a bad line", "bad line\n  7\nok: 1\n", sequences{{"ok", numSet{{1, 1}}}}},
		{"keyword names", "$Forwarded: 3\nJunk: 1-2\n", sequences{{"$Forwarded", numSet{{3, 3}}}, {"Junk", numSet{{1, 2}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseSequences([]byte(tt.in))
			if !equalSeqs(got, tt.want) {
				t.Fatalf("parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatSequences(t *testing.T) {
	ss := sequences{{"cur", numSet{{4, 4}}}, {"unseen", nil}, {"flagged", numSet{{1, 3}, {7, 7}}}}
	if got := string(ss.format(nil)); got != "cur: 4\nflagged: 1-3 7\n" {
		t.Fatalf("format = %q", got)
	}
	keep := func(name string) bool { return name == "unseen" }
	if got := string(ss.format(keep)); got != "cur: 4\nunseen:\nflagged: 1-3 7\n" {
		t.Fatalf("format keeping empty = %q", got)
	}
}

func TestNumSet(t *testing.T) {
	tests := []struct {
		name string
		ops  func(numSet) numSet
		want numSet
	}{
		{"add joins neighbours", func(s numSet) numSet { return s.add(1, 1).add(3, 3).add(2, 2) }, numSet{{1, 3}}},
		{"add spans many", func(s numSet) numSet { return s.add(1, 1).add(5, 5).add(9, 9).add(2, 8) }, numSet{{1, 9}}},
		{"add at the top", func(s numSet) numSet { return s.add(4294967293, 4294967294).add(1, 1) },
			numSet{{1, 1}, {4294967293, 4294967294}}},
		{"remove splits", func(s numSet) numSet { return s.add(1, 5).remove(3) }, numSet{{1, 2}, {4, 5}}},
		{"remove ends", func(s numSet) numSet { return s.add(1, 5).remove(1).remove(5) }, numSet{{2, 4}}},
		{"remove single", func(s numSet) numSet { return s.add(1, 1).add(3, 3).remove(1) }, numSet{{3, 3}}},
		{"remove missing", func(s numSet) numSet { return s.add(1, 2).remove(7) }, numSet{{1, 2}}},
	}
	for _, tt := range tests {
		if got := tt.ops(nil); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	s := numSet{{2, 4}, {8, 8}}
	for n, want := range map[uint32]bool{1: false, 2: true, 4: true, 5: false, 8: true, 9: false} {
		if s.contains(n) != want {
			t.Errorf("contains(%d) = %v", n, !want)
		}
	}
}

func equalSeqs(a, b sequences) bool {
	return slices.EqualFunc(a, b, func(x, y sequence) bool {
		return x.name == y.name && slices.Equal(x.set, y.set)
	})
}

// FuzzParseSequences checks that the parser never panics, that what it
// returns is well formed, and that formatting it gives a file that parses
// back to the same sequences.
func FuzzParseSequences(f *testing.F) {
	for _, seed := range []string{
		"", "unseen: 1-3 5 7\n", "cur: 4\nflagged: 2\n  9-12\n\tunseen: 1\n",
		"a:\nb: 0 4294967294 4294967295\n", "x: 5-2 1--3 -4 7-\r\n", ": 1\nname with space: 2\n",
		"$Forwarded: 3\nJunk: 1-2\nunseen: 1\nunseen: 2-9\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ss := parseSequences(data)
		for _, s := range ss {
			if !validSeqName(s.name) {
				t.Fatalf("bad name %q", s.name)
			}
			for i, sp := range s.set {
				if sp.lo == 0 || sp.lo > sp.hi || (i > 0 && uint64(s.set[i-1].hi)+1 >= uint64(sp.lo)) {
					t.Fatalf("malformed set %v", s.set)
				}
			}
		}
		all := func(string) bool { return true }
		out := ss.format(all)
		again := parseSequences(out)
		if !equalSeqs(ss, again) {
			t.Fatalf("round trip:\n%q\n-> %v\n-> %q\n-> %v", data, ss, out, again)
		}
		if !bytes.Equal(again.format(all), out) {
			t.Fatal("formatting is not stable")
		}
	})
}

// TestNumSetModel checks add, remove and contains against a plain set
// on random operations.
func TestNumSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var s numSet
		model := map[uint32]bool{}
		for range 60 {
			lo := uint32(rng.IntN(40) + 1)
			if rng.IntN(3) == 0 {
				s = s.remove(lo)
				delete(model, lo)
			} else {
				hi := lo + uint32(rng.IntN(4))
				s = s.add(lo, hi)
				for n := lo; n <= hi; n++ {
					model[n] = true
				}
			}
			for i, sp := range s {
				if sp.lo > sp.hi || (i > 0 && s[i-1].hi+1 >= sp.lo) {
					t.Fatalf("round %d: malformed %v", round, s)
				}
			}
			for n := uint32(0); n <= 50; n++ {
				if s.contains(n) != model[n] {
					t.Fatalf("round %d: contains(%d) = %v in %v", round, n, !model[n], s)
				}
			}
		}
		if again := parseSequences(sequences{{"x", s}}.format(nil)); len(s) > 0 && !slices.Equal(again[0].set, s) {
			t.Fatalf("round %d: %v formats and parses as %v", round, s, again)
		}
	}
}
